package io.slabfs.fs.cli;

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
 * <p>{@code slabfs umount MOUNTPOINT}: unmount, then wait for the daemon to exit.
 */
@Command(name = "umount", mixinStandardHelpOptions = true, description = "Unmount a slabfs mount.")
final class UmountCommand implements Callable<Integer> {
  static final Duration DAEMON_EXIT_TIMEOUT = Duration.ofSeconds(30);

  @Parameters(paramLabel = "MOUNTPOINT", description = "where slabfs is mounted")
  Path mountpoint;

  @Override
  public Integer call() throws Exception {
    Path mp = mountpoint.toAbsolutePath().normalize();
    if (!Mounts.isMounted(mp)) {
      System.err.println("slabfs: " + mp + " is not a slabfs mount");
      return 1;
    }
    OptionalLong pid = Mounts.daemonPid(mp);
    boolean dead = Mounts.isDead(mp);
    Optional<String> err = Mounts.fusermountUnmount(mp, dead);
    if (err.isPresent() && pid.isPresent() && ProcessHandle.of(pid.getAsLong()).isPresent()) {
      // Busy, e.g. processes blocked in modeled locks (--deadlock hang): the daemon's
      // SIGTERM handler fails their waits and unmounts (lazily if still busy).
      ProcessHandle.of(pid.getAsLong()).get().destroy();
      err = Optional.empty();
    }
    if (err.isPresent()) {
      System.err.println("slabfs: cannot unmount " + mp + ": " + err.get());
      return 1;
    }
    if (pid.isPresent()) {
      Optional<ProcessHandle> daemon = ProcessHandle.of(pid.getAsLong());
      if (daemon.isPresent()) {
        try {
          daemon.get().onExit().get(DAEMON_EXIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          System.err.println("slabfs: unmounted, but daemon " + pid.getAsLong() + " did not exit");
          return 1;
        }
      }
      Files.deleteIfExists(Mounts.pidFile(mp));
    }
    if (Mounts.isMounted(mp) && Mounts.fusermountUnmount(mp, true).isPresent()) {
      System.err.println("slabfs: " + mp + " is still mounted");
      return 1;
    }
    System.out.println("slabfs: unmounted " + mp);
    return 0;
  }
}
