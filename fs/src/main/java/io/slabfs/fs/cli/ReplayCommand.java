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
 * explore} printed, in the model, and prints what it shows; the same every time. With {@code
 * --mount}, real processes then follow the same schedule on a live mount ({@link MountReplay}).
 * Exit status 0 when the schedule shows nothing, 1 when it shows a finding, 2 for a bad token (or a
 * mount of another era), 3 when the mount did not follow the schedule.
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
      description =
          "also follow the schedule with real processes on this live mount of the token's era "
              + "(exit 3 if the mount does not follow it)")
  Path mount;

  @Option(
      names = "--step-timeout",
      paramLabel = "S",
      description =
          "with --mount: abandon the replay if a step does not happen in S seconds "
              + "(default: ${DEFAULT-VALUE})")
  long stepTimeout = 30;

  @Override
  public Integer call() {
    ExploreCommand.quietDmesgLog();
    if (stepTimeout < 1 || stepTimeout > 3600) {
      throw ExploreCommand.usage(spec, "--step-timeout: must be 1 to 3600, got " + stepTimeout);
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
    Explorer.Replayed model;
    try {
      model = Explorer.replayed(sc, token, set, System.out);
      System.out.flush();
    } catch (Scenario.BadScenario e) {
      System.err.println("slabfs: " + scenario + ": " + e.getMessage());
      return 2;
    }
    if (mount == null) {
      return model.summary().findings().isEmpty() ? 0 : 1;
    }
    System.out.println();
    try {
      return new MountReplay(mount, sc, model, System.out, stepTimeout).run();
    } catch (MountReplay.Failed e) {
      System.out.flush();
      System.err.println("slabfs: " + e.getMessage());
      return e.status;
    } catch (java.io.IOException e) {
      System.err.println("slabfs: " + mount + ": " + e.getMessage());
      return 3;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 3;
    } finally {
      System.out.flush();
    }
  }
}
