package io.slabfs.fs.cli;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.explore.Explorer;
import io.slabfs.kernel.explore.Scenario;
import io.slabfs.kernel.sim.BootSet;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs explore SCENARIO}: runs the scenario's tasks in the model under the
 * deterministic scheduler, over many schedules, and reports each distinct deadlock, lockdep report,
 * KASAN report, WARN and BUG once, with its schedule and a replay token. Exit status 0 when nothing
 * was found, 1 when something was, 2 for a bad scenario or option.
 */
@Command(
    name = "explore",
    mixinStandardHelpOptions = true,
    description =
        "Find the interleavings of a scenario's tasks that deadlock, trip lockdep or "
            + "KASAN, WARN or BUG; in the model, no mount.")
final class ExploreCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(paramLabel = "SCENARIO", description = "a .scenario file")
  Path scenario;

  @Option(
      names = "--kernel",
      paramLabel = "ERA",
      description =
          "v5.19, v6.1, v6.18, v7, v7+static-cache, v7+static-cache-unpinned "
              + "(default: ${DEFAULT-VALUE})")
  String kernel = "v6.18";

  @Option(
      names = "--cpus",
      paramLabel = "N",
      description = "possible CPUs (default: ${DEFAULT-VALUE})")
  int cpus = 2;

  @Option(
      names = "--boot",
      paramLabel = "SET",
      description = "default, host or minimal (default: ${DEFAULT-VALUE}: a boot per schedule)")
  String boot = "minimal";

  @Option(
      names = "--strategy",
      paramLabel = "S",
      description = "dfs (exhaustive within the bound), random or pct (default: ${DEFAULT-VALUE})")
  String strategy = "dfs";

  @Option(
      names = "--preemptions",
      paramLabel = "N",
      description =
          "dfs: at most N preemptions per schedule; pct: depth N+1 (default: ${DEFAULT-VALUE})")
  int preemptions = 2;

  @Option(
      names = "--schedules",
      paramLabel = "N",
      description = "at most N schedules (default: 1000000 for dfs, 1000 otherwise)")
  Long schedules;

  @Option(
      names = "--seed",
      paramLabel = "S",
      description = "seed of random and pct (default: ${DEFAULT-VALUE})")
  long seed = 1;

  @Option(
      names = "--no-state-hashing",
      description = "dfs: run every schedule, even from a state explored before")
  boolean noStateHashing;

  @Override
  public Integer call() {
    quietDmesgLog();
    KernelEra era = era(spec, kernel);
    if (cpus < 1 || cpus > 256) {
      throw usage(spec, "--cpus: must be 1 to 256, got " + cpus);
    }
    BootSet set = bootSet(spec, boot);
    Explorer.Strategy s;
    try {
      s = Explorer.Strategy.valueOf(strategy.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw usage(spec, "--strategy: must be dfs, random or pct, got '" + strategy + "'");
    }
    if (preemptions < 0 || preemptions > 20) {
      throw usage(spec, "--preemptions: must be 0 to 20, got " + preemptions);
    }
    long max = schedules != null ? schedules : s == Explorer.Strategy.DFS ? 1_000_000 : 1000;
    if (max < 1) {
      throw usage(spec, "--schedules: must be at least 1, got " + max);
    }
    Scenario sc = read(spec, scenario);
    try {
      Explorer.Summary sum =
          Explorer.explore(
              sc,
              Explorer.boot(era, cpus, set),
              new Explorer.Options(s, preemptions, max, seed, !noStateHashing),
              System.out);
      System.out.flush();
      return sum.findings().isEmpty() ? 0 : 1;
    } catch (Scenario.BadScenario e) {
      System.err.println("slabfs: " + scenario + ": " + e.getMessage());
      return 2;
    }
  }

  /** Every schedule boots a kernel: its boot messages would flood the log. */
  static void quietDmesgLog() {
    org.slf4j.Logger l = LoggerFactory.getLogger("dmesg");
    if (l instanceof ch.qos.logback.classic.Logger lb) {
      lb.setLevel(ch.qos.logback.classic.Level.OFF);
    }
  }

  static CommandLine.ParameterException usage(CommandLine.Model.CommandSpec spec, String m) {
    return new CommandLine.ParameterException(spec.commandLine(), m);
  }

  static KernelEra era(CommandLine.Model.CommandSpec spec, String kernel) {
    return KernelEra.byId(kernel)
        .orElseThrow(
            () ->
                usage(
                    spec,
                    "--kernel: unknown era '" + kernel + "' (one of " + KernelEra.ids() + ")"));
  }

  static BootSet bootSet(CommandLine.Model.CommandSpec spec, String boot) {
    return BootSet.byId(boot)
        .orElseThrow(
            () -> usage(spec, "--boot: unknown set '" + boot + "' (default, host or minimal)"));
  }

  /** Reads and parses the scenario; a bad one is a usage error naming the line. */
  static Scenario read(CommandLine.Model.CommandSpec spec, Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw usage(spec, file + ": cannot read: " + e.getMessage());
    }
    try {
      return Scenario.parse(file.getFileName().toString(), text);
    } catch (Scenario.BadScenario e) {
      throw usage(spec, file + ": " + e.getMessage());
    }
  }
}
