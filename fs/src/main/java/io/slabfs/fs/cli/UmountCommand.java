package io.slabfs.fs.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs umount MOUNTPOINT}: unmount, then wait for the daemon to exit. Only the daemon
 * confirmed to serve MOUNTPOINT ({@link Mounts#servingDaemon}) is ever signalled; when the mount is
 * busy and no such daemon is found, it says so and fails, leaving everything as it was.
 */
@Command(name = "umount", mixinStandardHelpOptions = true, description = "Unmount a slabfs mount.")
final class UmountCommand implements Callable<Integer> {
  static final Duration DAEMON_EXIT_TIMEOUT = Duration.ofSeconds(30);

  @Parameters(paramLabel = "MOUNTPOINT", description = "where slabfs is mounted")
  Path mountpoint;

  @Override
  public Integer call() throws Exception {
    Path mp = Mounts.canonical(mountpoint);
    if (!Mounts.isMounted(mp)) {
      System.err.println("slabfs: " + mp + " is not a slabfs mount");
      return 1;
    }
    Mounts.Serving serving = Mounts.servingDaemon(mp);
    OptionalLong pid = serving.pid();
    boolean dead = Mounts.isDead(mp);
    Optional<String> err = Mounts.fusermountUnmount(mp, dead);
    if (err.isPresent()) {
      if (pid.isEmpty()) {
        System.err.println(
            "slabfs: cannot unmount "
                + mp
                + ": "
                + err.get()
                + "; no daemon to stop: "
                + serving.why());
        return 1;
      }
      // Busy, e.g. processes blocked in modeled locks (--deadlock hang): the daemon's
      // SIGTERM handler fails their waits and unmounts (lazily if still busy).
      Optional<ProcessHandle> daemon = ProcessHandle.of(pid.getAsLong());
      if (daemon.isPresent()) {
        daemon.get().destroy();
      }
    }
    if (pid.isPresent()) {
      Optional<ProcessHandle> daemon = ProcessHandle.of(pid.getAsLong());
      if (daemon.isPresent()) {
        try {
          daemon.get().onExit().get(DAEMON_EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          System.err.println(
              "slabfs: "
                  + mp
                  + ": daemon "
                  + pid.getAsLong()
                  + " did not exit within "
                  + DAEMON_EXIT_TIMEOUT.toSeconds()
                  + " s"
                  + (err.isPresent() ? "" : " of the unmount"));
          return 1;
        }
      }
      deletePidFileOf(mp, pid.getAsLong());
    }
    if (Mounts.isMounted(mp) && Mounts.fusermountUnmount(mp, true).isPresent()) {
      System.err.println("slabfs: " + mp + " is still mounted");
      return 1;
    }
    System.out.println("slabfs: unmounted " + mp);
    if (pid.isEmpty() && !dead) {
      System.err.println(
          "slabfs: no daemon was waited for ("
              + serving.why()
              + "); the one serving "
              + mp
              + " exits by itself now that it is unmounted");
    }
    return 0;
  }

  /** Removes the pid file of {@code mp} if it still names {@code pid} (a new mount's stays). */
  private static void deletePidFileOf(Path mp, long pid) throws IOException {
    OptionalLong recorded = Mounts.recordedPid(mp);
    if (recorded.isPresent() && recorded.getAsLong() == pid) {
      Files.deleteIfExists(Mounts.pidFile(mp));
    }
  }
}
