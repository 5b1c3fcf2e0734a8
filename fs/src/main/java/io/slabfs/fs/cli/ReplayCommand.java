package io.slabfs.fs.cli;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.explore.Explorer;
import io.slabfs.kernel.explore.Scenario;
import io.slabfs.kernel.sim.BootSet;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs replay SCENARIO TOKEN}: runs exactly the schedule of a token that {@code slabfs
 * explore} printed, in the model, and prints what it shows; the same every time. Exit status 0 when
 * the schedule shows nothing, 1 when it shows a finding, 2 for a bad token.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = "Run again the schedule of a token printed by slabfs explore.")
final class ReplayCommand implements Callable<Integer> {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "SCENARIO", description = "the .scenario file explored")
  Path scenario;

  @Parameters(index = "1", paramLabel = "TOKEN", description = "the token after 'replay:'")
  String token;

  @Option(
      names = "--kernel",
      paramLabel = "ERA",
      description = "must be the token's era (the token names it already)")
  String kernel;

  @Option(
      names = "--boot",
      paramLabel = "SET",
      description = "as given to explore (default: ${DEFAULT-VALUE})")
  String boot = "minimal";

  @Option(
      names = "--mount",
      paramLabel = "MOUNTPOINT",
      description = "steer real processes through a live mount (not implemented yet)")
  Path mount;

  @Override
  public Integer call() {
    ExploreCommand.quietDmesgLog();
    if (mount != null) {
      throw ExploreCommand.usage(
          spec,
          "--mount: replaying on a live mount is not implemented "
              + "yet; replay in the model (without --mount)");
    }
    BootSet set = ExploreCommand.bootSet(spec, boot);
    if (kernel != null) {
      KernelEra era = ExploreCommand.era(spec, kernel);
      if (!token.startsWith(era.id() + ":")) {
        throw ExploreCommand.usage(
            spec,
            "--kernel "
                + kernel
                + " is not the token's era ("
                + token.substring(0, Math.max(0, token.indexOf(':')))
                + ")");
      }
    }
    Scenario sc = ExploreCommand.read(spec, scenario);
    try {
      Explorer.Summary sum = Explorer.replay(sc, token, set, System.out);
      System.out.flush();
      return sum.findings().isEmpty() ? 0 : 1;
    } catch (Scenario.BadScenario e) {
      System.err.println("slabfs: " + scenario + ": " + e.getMessage());
      return 2;
    }
  }
}
