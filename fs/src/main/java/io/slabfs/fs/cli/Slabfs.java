package io.slabfs.fs.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs}: mount and unmount a simulated sysfs; {@code slabfs lockdep}, the lock
 * playground; explore and replay the interleavings of a scenario in the model.
 */
@Command(
    name = "slabfs",
    mixinStandardHelpOptions = true,
    version = "slabfs 0.1.0",
    description = "A simulated Linux sysfs (SLUB, kobjects, kernfs, CPU hotplug) through FUSE.",
    subcommands = {
      MountCommand.class,
      UmountCommand.class,
      LockdepCommand.class,
      ExploreCommand.class,
      ReplayCommand.class
    })
public final class Slabfs implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(
        spec.commandLine(), "missing command: mount, umount, lockdep, explore or replay");
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line; bad usage is one line on stderr and exit code 2. */
  static int run(String... args) {
    CommandLine cl = new CommandLine(new Slabfs());
    cl.setParameterExceptionHandler(
        (ex, a) -> {
          ex.getCommandLine().getErr().println("slabfs: " + ex.getMessage());
          return 2;
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parsed) -> {
          c.getErr().println("slabfs: " + (ex.getMessage() == null ? ex : ex.getMessage()));
          return 1;
        });
    return cl.execute(args);
  }
}
