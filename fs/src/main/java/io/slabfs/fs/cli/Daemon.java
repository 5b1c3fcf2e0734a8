package io.slabfs.fs.cli;

import io.slabfs.fs.fuse.SlabFuse;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import jnr.ffi.LibraryLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ours: simulator (the daemon process behind a mount).
 *
 * <p>The mounted filesystem's process: boots the kernel model, serves it through FUSE until the
 * mount goes away (umount, SIGTERM, Ctrl-C), then exits.
 *
 * <p>Readiness is not guessed: the mount counts as ready once libfuse has answered the kernel's
 * FUSE_INIT and {@code /proc/self/mountinfo} shows the mount.
 */
final class Daemon {
  private static final Logger log = LoggerFactory.getLogger(Daemon.class);
  static final long MOUNT_TIMEOUT_SECONDS = 60;

  /**
   * The one libc call the daemon makes itself: a one-method binding loads in milliseconds,
   * jnr-posix's in a tenth of a second of start-up.
   */
  public interface LibC {
    int setsid();
  }

  private final BootOptions options;
  private final Path mountpoint;
  private final boolean allowOther;
  private final boolean notifyReady;

  Daemon(BootOptions options, Path mountpoint, boolean allowOther, boolean notifyReady) {
    this.options = options;
    this.mountpoint = mountpoint;
    this.allowOther = allowOther;
    this.notifyReady = notifyReady;
  }

  /**
   * FUSE options: content changes on every read, entries can vanish at any time, and operations on
   * open files go by handle only ({@code nopath}), so a file whose node was removed still reaches
   * the model and answers ENODEV as sysfs does, instead of libfuse failing its path lookup with
   * ENOENT.
   */
  String[] fuseOptions() {
    return new String[] {
      "-o",
      "fsname=slabfs,subtype=slabfs,direct_io,attr_timeout=0,entry_timeout=0,"
          + "negative_timeout=0,default_permissions,nopath,intr"
          + (allowOther ? ",allow_other" : "")
    };
  }

  int run() throws Exception {
    PrintStream ready = System.out;
    if (notifyReady) {
      LibraryLoader.create(LibC.class).load("c").setsid();
      System.setOut(System.err);
    }
    Path pidFile = Mounts.pidFile(mountpoint);
    Mounts.writePidFile(mountpoint);
    log.info("slabfs {} booting: {}", mountpoint, options);
    log.info("slabfs {} FUSE options: {}", mountpoint, String.join(" ", fuseOptions()));
    // Boot on one core while jnr-fuse builds its callbacks on the other.
    FutureTask<Kernel> booting = new FutureTask<>(() -> Kernel.boot(options));
    new Thread(booting, "boot").start();
    SlabFuse fuse = new SlabFuse();
    Kernel kernel;
    try {
      kernel = booting.get();
    } catch (ExecutionException e) {
      return fail(ready, "boot failed: " + e.getCause(), pidFile);
    }
    AtomicReference<String> mountError = new AtomicReference<>();
    Thread loop =
        new Thread(
            () -> {
              try {
                if (fuse.serve(kernel, mountpoint, fuseOptions()) != 0) {
                  mountError.set("libfuse refused it; see the log");
                }
              } catch (RuntimeException | LinkageError e) {
                // the mount itself failed (libfuse missing, fuse_setup refused): requests cannot
                // fail
                // here, SlabFuse.call answers for each of them
                log.error("FUSE loop failed", e);
                mountError.set(e.toString());
              } finally {
                fuse.initialized().countDown();
              }
            },
            "fuse-main");
    loop.start();
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  if (loop.isAlive()) {
                    kernel.abortBlocked();
                    // A plain unmount ends the FUSE loop at once; lazy only when something holds it
                    // busy.
                    if (Mounts.fusermountUnmount(mountpoint, false).isPresent()) {
                      Mounts.fusermountUnmount(mountpoint, true);
                    }
                    try {
                      loop.join(TimeUnit.SECONDS.toMillis(10));
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }
                },
                "slabfs-shutdown"));
    boolean initialized = fuse.initialized().await(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
    if (mountError.get() != null || !loop.isAlive()) {
      return fail(
          ready,
          "mount failed at "
              + mountpoint
              + ": "
              + Objects.requireNonNullElse(mountError.get(), "libfuse exited; see the log"),
          pidFile);
    }
    if (!initialized || !Mounts.isMounted(mountpoint)) {
      Mounts.fusermountUnmount(mountpoint, true);
      return fail(ready, "mount at " + mountpoint + " did not become ready", pidFile);
    }
    log.info("slabfs ready at {}", mountpoint);
    if (notifyReady) {
      ready.println(MountCommand.READY);
      ready.flush();
      ready.close();
    } else {
      System.out.println(
          "slabfs: mounted "
              + options.era().id()
              + " at "
              + mountpoint
              + " (seed "
              + options.seed()
              + "); Ctrl-C unmounts");
    }
    loop.join();
    log.info("slabfs unmounted from {}", mountpoint);
    kernel.close();
    Files.deleteIfExists(pidFile);
    return 0;
  }

  private static int fail(PrintStream ready, String message, Path pidFile) {
    log.error(message);
    ready.println("slabfs: " + message);
    ready.flush();
    try {
      Files.deleteIfExists(pidFile);
    } catch (Exception e) {
      log.warn("cannot remove {}: {}", pidFile, e.toString());
    }
    return 1;
  }
}
