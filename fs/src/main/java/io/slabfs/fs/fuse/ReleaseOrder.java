package io.slabfs.fs.fuse;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ours: the FUSE edge. {@code close(2)} on sysfs releases the file before it returns (kernfs's
 * {@code release} runs in {@code __fput}); through FUSE the kernel queues {@code FUSE_RELEASE} and
 * returns at once ({@code fuse_file_release} always puts the file asynchronously: fs/fuse/file.c),
 * so a request a client sends after its {@code close()} can reach slabfs before that file is
 * released. This tracks the {@code RELEASE} requests in flight, so that a request can wait until
 * every one the kernel queued before it has run ({@link #awaitEarlier}): a read of {@code
 * sim/stats} then counts open files as sysfs would.
 *
 * <p>Why it is exact. The kernel hands requests out of one FIFO in the order of their {@code
 * unique} ids (interrupts and forgets aside, which are not releases), and the {@code RELEASE} of a
 * {@code close()} is queued before the close returns ({@code __fput} runs as task work before the
 * return to user space). So when a worker holds a request with id {@code u}, every release with a
 * smaller id has been taken by some worker: it is {@linkplain #received registered} (then the wait
 * is for its {@link #processed}), or its worker has just come back from {@code read(/dev/fuse)} and
 * not yet registered it. That worker is not blocked in {@code read(2)} of {@code /dev/fuse}, which
 * {@code /proc/self/task/TID/syscall} tells (it shows a blocked task's system call and arguments,
 * and {@code running} for one that runs); the wait lasts until each such worker has registered or
 * is blocked in that read again. One limit is the kernel's: a release held back in {@code
 * fc->bg_queue} while {@code max_background} (12) other background requests are in flight is not
 * yet queued, so nothing can wait for it.
 *
 * <p>Concurrency: called by every worker; lock-free but for the waiter's polling of workers.
 */
final class ReleaseOrder {
  /** {@code FUSE_RELEASE} (include/uapi/linux/fuse.h). */
  static final int FUSE_RELEASE = 18;

  private static final Logger log = LoggerFactory.getLogger(ReleaseOrder.class);

  /** How often a waiter looks again: releases take microseconds. */
  private static final long POLL_NANOS = 50_000;

  /**
   * A bound that only a broken release reaches (none blocks in the model): the reader then sees a
   * count that may still hold a closed file, rather than hanging the one file that shows the
   * model's state.
   */
  private static final long GIVE_UP_NANOS = 10_000_000_000L;

  /** A worker between requests: in, or on its way into, {@code read(/dev/fuse)}. */
  private static final long IN_RECV = -1;

  /** One worker: its kernel thread id and the request it holds. */
  static final class Worker {
    private final ReleaseOrder order;
    private final String tid;
    private volatile long holding = IN_RECV;

    Worker(ReleaseOrder order, String tid) {
      this.order = order;
      this.tid = tid;
    }
  }

  /** How the waiter learns what a worker does in the kernel (for tests: a fake). */
  interface ThreadState {
    /** Whether thread {@code tid} of this process sleeps in {@code read(2)} of the FUSE device. */
    boolean inDeviceRead(String tid);
  }

  private final ConcurrentSkipListSet<Long> releasing = new ConcurrentSkipListSet<>();
  private final Set<Worker> workers = ConcurrentHashMap.newKeySet();
  private final ThreadState threads;

  /** The worker the calling thread is, of whichever order it joined (one per thread). */
  private static final ThreadLocal<Worker> SELF = new ThreadLocal<>();

  ReleaseOrder(ThreadState threads) {
    this.threads = threads;
  }

  /**
   * The kernel's view of this process's threads, {@code /proc/self/task/TID/syscall}: {@code NR
   * ARG1 ...} for a blocked task, NR {@code read}'s number on this architecture and ARG1 {@code
   * deviceFd} in hex. On an architecture whose {@code read} number is not known here, a worker
   * between requests counts as idle, so only registered releases are waited for.
   */
  static ReleaseOrder ofProc(int deviceFd) {
    String read =
        switch (System.getProperty("os.arch")) {
          case "amd64", "x86_64" -> "0";
          case "aarch64", "riscv64" -> "63";
          default -> null;
        };
    if (read == null || deviceFd < 0) {
      return new ReleaseOrder(tid -> true);
    }
    String blockedInRead = read + " 0x" + Integer.toHexString(deviceFd) + " ";
    return new ReleaseOrder(
        tid -> {
          try {
            return Files.readString(
                    Path.of("/proc/self/task", tid, "syscall"), StandardCharsets.US_ASCII)
                .startsWith(blockedInRead);
          } catch (IOException e) {
            return true; // the thread is gone: it holds nothing
          }
        });
  }

  /** The calling worker joins, identified by its kernel thread id (from /proc/thread-self). */
  void join() {
    String tid;
    try {
      tid = Files.readSymbolicLink(Path.of("/proc/thread-self")).getFileName().toString();
    } catch (IOException | UnsupportedOperationException e) {
      tid = "";
    }
    join(tid);
  }

  /** The calling worker joins as thread {@code tid}. */
  void join(String tid) {
    Worker w = new Worker(this, tid);
    SELF.set(w);
    workers.add(w);
  }

  /** The calling thread's worker of this order, or null. */
  private Worker self() {
    Worker w = SELF.get();
    return w != null && w.order == this ? w : null;
  }

  /** The calling worker leaves (the session ended). */
  void leave() {
    Worker w = self();
    if (w != null) {
      workers.remove(w);
      SELF.remove();
    }
  }

  /** The calling worker has taken request {@code unique} of {@code opcode} from the kernel. */
  void received(long unique, int opcode) {
    if (opcode == FUSE_RELEASE) {
      releasing.add(unique);
    }
    Worker w = self();
    if (w != null) {
      w.holding = unique;
    }
  }

  /** The calling worker has answered request {@code unique}. */
  void processed(long unique) {
    releasing.remove(unique);
    Worker w = self();
    if (w != null) {
      w.holding = IN_RECV;
    }
  }

  /**
   * Waits until every {@code RELEASE} the kernel queued before the calling worker's request has
   * run. Outside a request (a model test, a kernel thread), returns at once.
   */
  void awaitEarlier() {
    Worker me = self();
    if (me == null || me.holding == IN_RECV) {
      return;
    }
    long mine = me.holding;
    long deadline = System.nanoTime() + GIVE_UP_NANOS;
    while (!settled(me, mine)) {
      if (System.nanoTime() - deadline > 0) {
        log.warn("gave up waiting for the releases before request {}", mine);
        return;
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  /**
   * Workers first, then releases: a worker registers its release before it shows what it holds, so
   * one seen holding a request has its release (if any) in {@link #releasing} already.
   */
  private boolean settled(Worker me, long mine) {
    for (Worker w : workers) {
      if (w != me && w.holding == IN_RECV && !threads.inDeviceRead(w.tid)) {
        return false; // back from read(2), or on its way in: it may hold an earlier release
      }
    }
    Long first = releasing.isEmpty() ? null : releasing.first();
    return first == null || first >= mine;
  }
}
