package io.slabfs.kernel.locking;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * Models: kernel/sched/completion.c.
 *
 * <p>A {@code struct completion} (kernel/sched/completion.c): {@code done} counts completions not
 * yet consumed; {@link #complete} adds one, {@link #completeAll} makes it infinite, and {@link
 * #waitForCompletion} sleeps uninterruptibly until one is there and takes it.
 *
 * <p>Concurrency: {@link #done} is guarded by the wait queue's lock (this object's monitor).
 */
public final class Completion {
  private static final int COMPLETE_ALL = Integer.MAX_VALUE;

  private final WaitQueueHead wait;
  private int done;

  /** {@code init_completion()}. */
  public Completion(Lockdep lockdep) {
    this.wait = new WaitQueueHead(lockdep, this);
  }

  /** {@code complete()}: one waiter may go on. */
  public void complete() {
    synchronized (this) {
      if (done != COMPLETE_ALL) {
        done++;
      }
      wait.wakeUpAll();
    }
  }

  /** {@code complete_all()}: every waiter, now and later, goes on. */
  public void completeAll() {
    synchronized (this) {
      done = COMPLETE_ALL;
      wait.wakeUpAll();
    }
  }

  /** {@code completion_done()}: whether a wait would not block. */
  public synchronized boolean isDone() {
    return done > 0;
  }

  /**
   * {@code wait_for_completion()}: sleeps in {@code TASK_UNINTERRUPTIBLE}, not abortable (the
   * waiter is in the middle of a teardown), until completed.
   *
   * @param caller the function that waits, innermost frame above {@code wait_for_completion}
   * @param waitsFor the tasks that must act before the completion comes (for the wait-for graph)
   */
  public void waitForCompletion(String caller, String what, Supplier<Collection<Task>> waitsFor) {
    Scheduler s = wait.scheduler();
    if (s != null) {
      s.point(caller, what);
    }
    synchronized (this) {
      wait.waitEvent(
          () -> done > 0,
          new WaitQueueHead.Sleep(what, waitsFor, false, "wait_for_completion", caller));
      if (done != COMPLETE_ALL) {
        done--;
      }
    }
  }
}
