package io.slabfs.fs.fuse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Memory;
import jnr.ffi.Pointer;
import jnr.ffi.Runtime;
import jnr.ffi.Struct;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.struct.FuseContext;
import ru.serce.jnrfuse.struct.FuseOperations;

/**
 * libfuse2's multithreaded session loop ({@code fuse_loop_mt.c}), run by Java threads.
 *
 * <p>{@code fuse_main()} serves requests on threads libfuse creates itself: one more whenever every
 * worker is busy, and a worker exits when more than ten are idle. Under a steady load of a few
 * clients that churns: one thread start per request or more. Threads created in C are cheap, but
 * each new one that calls into Java must first attach to the JVM, which costs more than serving the
 * request; the mount then ran at a third of a C filesystem's rate.
 *
 * <p>This loop does what {@code fuse_setup()}, {@code fuse_loop_mt()} and {@code fuse_teardown()}
 * do, with the same libfuse calls, except that its workers are Java threads that stay: it starts
 * another one when a request arrives and no worker is left waiting (so a store handler that blocks
 * in the model never stalls the mount), and none ever exits before the session ends.
 */
final class FuseLoop {
  private static final Logger log = LoggerFactory.getLogger(FuseLoop.class);

  /** Workers waiting on {@code /dev/fuse} at start; more come as requests block. */
  static final int INITIAL_WORKERS = 2;

  /** A bound like libfuse3's {@code max_threads}: requests queue in the kernel past it. */
  static final int MAX_WORKERS = 512;

  private static final int EINTR = 4;
  private static final int EAGAIN = 11;

  /**
   * The part of libfuse2's API below {@code fuse_main()} that the loop needs. Not {@code
   * fuse_mount}/{@code fuse_new}: {@code fuse_new} has an unversioned compat definition that {@code
   * dlsym} returns instead of the 2.6 one; {@code fuse_setup} has none.
   */
  public interface LibFuse2 {
    Pointer fuse_setup(
        int argc,
        Pointer argv,
        Pointer op,
        long opSize,
        Pointer mountpoint,
        Pointer multithreaded,
        Pointer userData);

    void fuse_teardown(Pointer fuse, Pointer mountpoint);

    Pointer fuse_get_session(Pointer fuse);

    Pointer fuse_session_next_chan(Pointer se, Pointer ch);

    long fuse_chan_bufsize(Pointer ch);

    int fuse_chan_fd(Pointer ch);

    int fuse_chan_recv(Pointer chp, Pointer buf, long size);

    void fuse_session_process(Pointer se, Pointer buf, long len, Pointer ch);

    int fuse_session_exited(Pointer se);

    void fuse_session_exit(Pointer se);

    Pointer fuse_get_context();

    /**
     * Whether the request this thread serves has been interrupted ({@code FUSE_INTERRUPT}: the
     * calling process got a signal, e.g. was killed). Only with {@code -o intr}; jnr-fuse does not
     * bind it.
     */
    int fuse_interrupted();
  }

  private static LibFuse2 load() {
    try {
      return LibraryLoader.create(LibFuse2.class).failImmediately().load("fuse");
    } catch (LinkageError e) {
      // Debian's libfuse2 without libfuse-dev has only the versioned name
      return LibraryLoader.create(LibFuse2.class).failImmediately().load("libfuse.so.2");
    }
  }

  private static final LibFuse2 lib = load();

  /** {@code offsetof(struct fuse_context, pid)}, from jnr-fuse's layout of the struct. */
  private static final long PID_OFFSET = new FuseContext(Runtime.getSystemRuntime()).pid.offset();

  /** {@code offsetof(struct fuse_context, uid)}: the caller's fsuid. */
  private static final long UID_OFFSET = new FuseContext(Runtime.getSystemRuntime()).uid.offset();

  private final Runtime runtime = Runtime.getSystemRuntime();
  private final AtomicInteger idle = new AtomicInteger();
  private final List<Thread> workers = new ArrayList<>();
  private final Object workersLock = new Object();

  /** Native memory that libfuse may still point into (argv strings). */
  private final List<Pointer> keepAlive = new ArrayList<>();

  private final AtomicBoolean ended = new AtomicBoolean();
  private Runnable onSessionEnd;
  private Pointer session;
  private Pointer channel;
  private long bufsize;
  private volatile ReleaseOrder releases = new ReleaseOrder(tid -> true);

  /**
   * Mounts, serves until the filesystem is unmounted or the session is told to exit, then unmounts
   * and destroys the {@code struct fuse} (which calls the operations' {@code destroy}). Returns 0,
   * or 1 if libfuse refused the mount or the options.
   *
   * @param fsName {@code argv[0]}, as {@code fuse_main()} gets it
   * @param options the command-line options, e.g. {@code {"-o", "ro,nopath"}}
   * @param onSessionEnd run once when the session ends (unmounted, or told to exit) while workers
   *     may still be busy: requests blocked in the filesystem now have nobody to answer, and their
   *     workers must come back before the {@code struct fuse} is destroyed
   */
  int serve(
      Path mountpoint,
      String fsName,
      String[] options,
      FuseOperations operations,
      Runnable onSessionEnd) {
    this.onSessionEnd = onSessionEnd;
    List<String> argv = new ArrayList<>();
    argv.add(fsName);
    argv.add(mountpoint.toAbsolutePath().toString());
    argv.add("-f");
    argv.addAll(List.of(options));
    Pointer nativeArgv = nativeArgv(argv);
    int ptr = runtime.addressSize();
    Pointer mountpointOut = Memory.allocateDirect(runtime, ptr, true);
    Pointer multithreaded = Memory.allocateDirect(runtime, 4, true);
    Pointer ops = Struct.getMemory(operations);
    // fuse_setup: parse the command line, mount, fuse_new, signal handlers (only where the
    // JVM has left SIG_DFL, so none), as fuse_main does before its loop
    Pointer fuse =
        lib.fuse_setup(
            argv.size(),
            nativeArgv,
            ops,
            Struct.size(operations),
            mountpointOut,
            multithreaded,
            null);
    if (fuse == null) {
      log.error("fuse_setup refused {} (libfuse's reason is on stderr)", argv);
      return 1;
    }
    session = lib.fuse_get_session(fuse);
    channel = lib.fuse_session_next_chan(session, null);
    bufsize = lib.fuse_chan_bufsize(channel);
    releases = ReleaseOrder.ofProc(lib.fuse_chan_fd(channel));
    for (int i = 0; i < INITIAL_WORKERS; i++) {
      startWorker();
    }
    awaitWorkers();
    // unmounts (if the kernel has not already) and destroys, which calls ops->destroy
    lib.fuse_teardown(fuse, mountpointOut.getPointer(0));
    return 0;
  }

  /**
   * The pid of the process whose request this thread is serving, or 0 outside a request. Read
   * straight from {@code fuse_get_context()}: jnr-fuse's getContext() maps a new struct per call.
   */
  static int callerPid() {
    Pointer ctx = lib.fuse_get_context();
    return ctx == null ? 0 : ctx.getInt(PID_OFFSET);
  }

  /**
   * The fsuid of the process whose request this thread is serving (0 outside a request): the
   * credentials the kernel's own checks use, as the mount's {@code default_permissions} does.
   */
  static int callerUid() {
    Pointer ctx = lib.fuse_get_context();
    return ctx == null ? 0 : ctx.getInt(UID_OFFSET);
  }

  /**
   * {@code fuse_interrupted()}: whether the kernel has sent {@code FUSE_INTERRUPT} for the request
   * this thread is serving (mounted with {@code -o intr}).
   */
  static boolean interrupted() {
    return lib.fuse_interrupted() != 0;
  }

  /** Called with a request in hand and no worker left waiting, or at start. */
  private void startWorker() {
    synchronized (workersLock) {
      if (workers.size() >= MAX_WORKERS) {
        log.warn("{} FUSE workers busy; further requests wait in the kernel", MAX_WORKERS);
        return;
      }
      idle.incrementAndGet();
      Thread t = new Thread(this::work, "fuse-worker-" + workers.size());
      t.setDaemon(true);
      workers.add(t);
      t.start();
    }
  }

  /**
   * One worker: receive a request, process it, repeat. Every operation answers through {@link
   * SlabFuse#call}, which turns any failure into an errno, so nothing here catches: should an error
   * still escape (from libfuse or jnr), this worker dies with it, logged by the thread's
   * uncaught-exception handler, and another takes its place; the session goes on.
   */
  private void work() {
    boolean finished = false;
    try {
      serveRequests();
      finished = true;
    } finally {
      if (!finished && !ended.get()) {
        idle.decrementAndGet(); // counted idle on its way out; the replacement counts itself
        startWorker();
      }
    }
  }

  /**
   * Waits until every {@code FUSE_RELEASE} the kernel queued before the request this thread serves
   * has run (see {@link ReleaseOrder}); at once outside a request.
   */
  void awaitEarlierReleases() {
    releases.awaitEarlier();
  }

  private void serveRequests() {
    ReleaseOrder order = releases;
    order.join();
    try {
      serveRequests(order);
    } finally {
      order.leave();
    }
  }

  private void serveRequests(ReleaseOrder order) {
    // cleared, so its pages are in before the first read(2) copies a request into them
    Pointer buf = Memory.allocateDirect(runtime, (int) bufsize, true);
    Pointer chp = Memory.allocateDirect(runtime, runtime.addressSize());
    while (lib.fuse_session_exited(session) == 0) {
      chp.putPointer(0, channel);
      int res = lib.fuse_chan_recv(chp, buf, bufsize);
      if (res == -EINTR || res == -EAGAIN) {
        continue;
      }
      if (res <= 0) {
        // 0: unmounted (ENODEV) or exited; < 0: the device failed, so end the session
        if (res < 0) {
          log.error("reading /dev/fuse: errno {}", -res);
        }
        endSession();
        return;
      }
      // struct fuse_in_header: len, opcode (u32), unique (u64), ...
      long unique = buf.getLong(8);
      order.received(unique, buf.getInt(4));
      if (idle.decrementAndGet() == 0) {
        startWorker();
      }
      try {
        lib.fuse_session_process(session, buf, res, chp.getPointer(0));
      } finally {
        order.processed(unique);
        idle.incrementAndGet();
      }
    }
  }

  private void endSession() {
    lib.fuse_session_exit(session);
    if (ended.compareAndSet(false, true)) {
      onSessionEnd.run();
    }
  }

  /** Waits for every worker, including those started while waiting. */
  private void awaitWorkers() {
    for (int i = 0; ; i++) {
      Thread t;
      synchronized (workersLock) {
        if (i >= workers.size()) {
          return;
        }
        t = workers.get(i);
      }
      boolean interrupted = false;
      while (t.isAlive()) {
        try {
          t.join();
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** A NULL-terminated {@code char *argv[]}; the strings live as long as the array. */
  private Pointer nativeArgv(List<String> argv) {
    int ptr = runtime.addressSize();
    Pointer array = Memory.allocateDirect(runtime, ptr * (argv.size() + 1), true);
    for (int i = 0; i < argv.size(); i++) {
      byte[] s = argv.get(i).getBytes(StandardCharsets.UTF_8);
      Pointer str = Memory.allocateDirect(runtime, s.length + 1, true);
      str.put(0, s, 0, s.length);
      keepAlive.add(str);
      array.putPointer((long) i * ptr, str);
    }
    keepAlive.add(array);
    return array;
  }
}
