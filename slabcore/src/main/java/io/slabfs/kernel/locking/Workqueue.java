package io.slabfs.kernel.locking;

import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Models: kernel/workqueue.c.
 *
 * <p>A workqueue ({@code system_wq}, {@code slub_flushwq}; kernel/workqueue.c) with one worker:
 * work items run in order on a kernel thread named like the kernel's ({@code kworker/0:1}); a
 * delayed item ({@code queue_delayed_work}) runs once its delay has passed; a task that waits for
 * an item ({@code flush_work}) sleeps on the item's {@link Completion}, blocked on the worker,
 * visibly to the hung-task detector.
 *
 * <p>Concurrency: {@link #pending} and {@link #stopped} are guarded by this object's monitor, the
 * lock of the wait queue the idle worker sleeps on ({@code TASK_IDLE}, which khungtaskd ignores).
 */
public final class Workqueue implements AutoCloseable {
  private final String name;
  private final Lockdep lockdep;
  private final Task worker;
  private final WaitQueueHead more;
  private final AtomicLong sequence = new AtomicLong();
  private final PriorityQueue<Work> pending = new PriorityQueue<>();
  private boolean stopped;

  /** The worker's thread, started by the first item queued. */
  private Thread thread;

  /** A queued {@code struct work_struct}: what to run, when, and its completion for flushers. */
  public static final class Work implements Comparable<Work> {
    private final Runnable fn;
    private final long dueNanos;
    private final long seq;
    private final Completion done;

    private Work(Runnable fn, long dueNanos, long seq, Completion done) {
      this.fn = fn;
      this.dueNanos = dueNanos;
      this.seq = seq;
      this.done = done;
    }

    @Override
    public int compareTo(Work o) {
      int c = Long.compare(dueNanos, o.dueNanos);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  public Workqueue(Lockdep lockdep, String name, String workerName) {
    this(lockdep, name, new Task(lockdep.taskList().nextKworkerPid(), workerName));
  }

  /** A workqueue whose worker is {@code worker} (a kworker with a fixed pid). */
  public Workqueue(Lockdep lockdep, String name, Task worker) {
    this.name = name;
    this.lockdep = lockdep;
    this.worker = worker;
    this.more = new WaitQueueHead(lockdep, this);
  }

  public String name() {
    return name;
  }

  /** {@code queue_work()}: returns a handle for {@link #flushWork}. */
  public Work queue(Runnable work) {
    return queueDelayed(work, 0);
  }

  /** {@code queue_delayed_work()}: the item runs once {@code delayMillis} have passed. */
  public Work queueDelayed(Runnable work, long delayMillis) {
    Scheduler s = lockdep.taskList().scheduler();
    if (s != null) {
      delayMillis = 0; // under the scheduler, time passes as fast as it chooses
    }
    Work w =
        new Work(
            work,
            System.nanoTime() + delayMillis * 1_000_000L,
            sequence.incrementAndGet(),
            new Completion(lockdep));
    synchronized (this) {
      if (!stopped) {
        if (thread == null) {
          Runnable body = () -> Task.runAs(worker, this::workerThread);
          thread = s != null ? s.newKthread(worker, body) : new Thread(body, worker.comm());
          thread.setDaemon(true);
          thread.start();
        }
        pending.add(w);
        more.wakeUpAll();
        return w;
      }
    }
    w.done.completeAll(); // a stopped queue drops the item; nobody may wait for it for ever
    return w;
  }

  /** {@code flush_work()}: waits, uninterruptibly, until the item has run. */
  public void flushWork(Work work) {
    work.done.waitForCompletion("__flush_work", "work on " + worker.comm(), () -> List.of(worker));
  }

  /** {@code flush_workqueue()}: waits for everything queued so far. */
  public void flush() {
    flushWork(queue(() -> {}));
  }

  /** {@code worker_thread()}: runs due items in order, idle in between, until closed. */
  private Void workerThread() {
    while (true) {
      Work w;
      synchronized (this) {
        Work head = pending.peek();
        more.waitEventInterruptibleTimeout(
            () -> stopped || due() == 0 || pending.peek() != head, delayOfHead());
        if (stopped) {
          return null;
        }
        if (due() != 0) {
          continue;
        }
        w = pending.poll();
      }
      try (Task.Frame f = Task.enter("process_one_work")) {
        w.fn.run();
      } catch (RuntimeException e) {
        // a kernel thread's root, like khungtaskd's: a model bug is a report, not a dead worker
        lockdep.dmesg().printk("BUG: slabfs: " + worker.comm() + ": " + e);
      } finally {
        w.done.completeAll();
      }
    }
  }

  /** Nanoseconds until the first item is due: 0 if due now, -1 if there is none. */
  private long due() {
    Work head = pending.peek();
    return head == null ? -1 : Math.max(0, head.dueNanos - System.nanoTime());
  }

  /** How long the idle worker may sleep: until the first item is due, or for ever (-1) if none. */
  private long delayOfHead() {
    long d = due();
    return d < 0 ? -1 : Math.max(1, d / 1_000_000L);
  }

  @Override
  public void close() {
    synchronized (this) {
      stopped = true;
      more.wakeUpAll();
    }
  }
}
