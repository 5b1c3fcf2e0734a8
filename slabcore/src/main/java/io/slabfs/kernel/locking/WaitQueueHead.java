package io.slabfs.kernel.locking;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Models: kernel/sched/wait.c.
 *
 * <p>A wait queue head (include/linux/wait.h, kernel/sched/wait.c): the one way a task of the model
 * sleeps. Every modeled wait (a mutex, a percpu rw-semaphore, a kernfs drain, a completion, a
 * workqueue flush, a wait point) is a {@link #waitEvent} on one of these, so the task list, {@code
 * sim/held_locks}, khungtaskd and the deadlock breaker see every wait the same way, and a scheduler
 * that wants to take control of the model's interleavings has one place to do it.
 *
 * <p>The condition is evaluated under the queue's lock, and wakers call {@link #wakeUpAll} after
 * changing what the condition reads, so no wake-up is lost. The lock is the queue itself, or (as in
 * {@code wait_event_lock_irq(wq, condition, lock)}) the monitor that already guards the condition's
 * state, which the waiter holds when it calls and which is dropped while it sleeps.
 *
 * <p>Concurrency: sleepers wait on {@link #lock}'s monitor; {@link #wakeUpAll} notifies it. As
 * {@code wq_has_sleeper()} lets a waker skip the queue's lock, {@link #wakeUpAll} does nothing
 * while {@link #sleepers} is 0: a sleeper counts itself (a volatile write) before it evaluates the
 * condition, and a waker changes the condition's state before it reads the count, so either the
 * waker sees the sleeper or the sleeper sees the change (the pairing of {@code set_current_state()}
 * with the waker's {@code smp_mb()}).
 */
public final class WaitQueueHead {
  private final TaskList tasks;
  private final Object lock;

  /** Tasks between their first condition check and the end of their sleep. */
  private final AtomicInteger sleepers = new AtomicInteger();

  /** {@code DECLARE_WAIT_QUEUE_HEAD}: a queue with a lock of its own. */
  public WaitQueueHead(Lockdep lockdep) {
    this(lockdep.taskList());
  }

  /** A queue with a lock of its own whose sleepers show in {@code tasks}. */
  WaitQueueHead(TaskList tasks) {
    this.tasks = tasks;
    this.lock = this;
  }

  /**
   * A queue whose condition is guarded by {@code lock}'s monitor: the waiter calls {@link
   * #waitEvent} holding it, the waker calls {@link #wakeUpAll} holding it or not.
   */
  public WaitQueueHead(Lockdep lockdep, Object lock) {
    this.tasks = lockdep.taskList();
    this.lock = lock;
  }

  /**
   * What a sleeper is waiting for, for its stack trace and the wait-for graph.
   *
   * @param frames the functions it sleeps in, innermost first (e.g. {@code
   *     schedule_preempt_disabled, __mutex_lock})
   * @param what a short description ({@code drain of kernel/slab/x/cpu_partial})
   * @param waitsFor the tasks that must act before it can go on
   * @param abortable whether failing the wait with {@link DeadlockBroken} leaves the model
   *     consistent (a lock not yet taken: yes; a drain half-way through a removal: no)
   */
  @SuppressWarnings("ArrayRecordComponent") // varargs frames, never written after construction
  public record Sleep(
      String what, Supplier<Collection<Task>> waitsFor, boolean abortable, String... frames) {
    /** A sleep that no task in particular must end (a wait point, a completion). */
    public static Sleep on(String what, boolean abortable, String... frames) {
      return new Sleep(what, List::of, abortable, frames);
    }
  }

  /**
   * {@code wait_event(wq, condition)}: sleeps in {@code TASK_UNINTERRUPTIBLE} until {@code
   * condition} holds, visibly blocked on {@code sleep} to the task list and khungtaskd. Returns at
   * once, without blocking, if it holds already. Throws {@link DeadlockBroken} if the sleep is
   * abortable and the deadlock breaker (or unmount) chose this task.
   */
  public void waitEvent(BooleanSupplier condition, Sleep sleep) {
    synchronized (lock) {
      if (condition.getAsBoolean()) {
        return;
      }
      Task t = Task.current();
      sleepers.incrementAndGet();
      tasks.block(
          new Wait(
              sleep.frames(),
              this,
              sleep.waitsFor(),
              sleep.abortable(),
              System.nanoTime(),
              sleep.what()));
      try {
        while (!condition.getAsBoolean()) {
          if (sleep.abortable()) {
            t.checkVictim();
          }
          Scheduler s = tasks.scheduler();
          if (s != null && s.sleep(this, lock, condition, false)) {
            continue;
          }
          try {
            lock.wait();
          } catch (InterruptedException e) {
            // TASK_UNINTERRUPTIBLE: only the condition (or the deadlock breaker) ends the sleep
          }
        }
      } finally {
        tasks.unblock();
        sleepers.decrementAndGet();
      }
    }
  }

  /**
   * {@code wait_event_interruptible_timeout(wq, condition, timeout)}: sleeps in {@code
   * TASK_INTERRUPTIBLE}, which khungtaskd does not watch and which the task list does not count as
   * blocked, until {@code condition} holds (true), {@code timeoutMillis} pass or the thread is
   * interrupted (false). A negative timeout waits without a time limit ({@code
   * MAX_SCHEDULE_TIMEOUT}); 0 only checks. Used by the {@code sim/ctl await} commands and by idle
   * kernel threads waiting for work.
   */
  public boolean waitEventInterruptibleTimeout(BooleanSupplier condition, long timeoutMillis) {
    synchronized (lock) {
      sleepers.incrementAndGet();
      try {
        return waitInterruptibleLocked(condition, timeoutMillis);
      } finally {
        sleepers.decrementAndGet();
      }
    }
  }

  /** {@link #waitEventInterruptibleTimeout}'s sleep; the caller holds {@link #lock}. */
  private boolean waitInterruptibleLocked(BooleanSupplier condition, long timeoutMillis) {
    Scheduler s = tasks.scheduler();
    if (s != null && s.manages(Thread.currentThread())) {
      // under the scheduler time does not pass: a timeout expires at once; no limit is idle
      while (!condition.getAsBoolean()) {
        if (timeoutMillis >= 0) {
          return false;
        }
        s.sleep(this, lock, condition, true);
      }
      return true;
    }
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!condition.getAsBoolean()) {
      long left = 0;
      if (timeoutMillis >= 0) {
        left = (deadline - System.nanoTime()) / 1_000_000L;
        if (left <= 0) {
          return false;
        }
      }
      try {
        lock.wait(left);
      } catch (InterruptedException e) {
        return false;
      }
    }
    return true;
  }

  /** How often a killable wait looks for a signal, which wakes no Java monitor. */
  static final long SIGNAL_POLL_MILLIS = 100;

  /**
   * {@code wait_event_interruptible_timeout()} as a system call of a FUSE client sleeps in it:
   * {@link #waitEventInterruptibleTimeout} until {@code condition} holds (true) or {@code
   * timeoutMillis} pass (false; negative: no limit), ending with {@code EINTR} when the calling
   * process gets a signal ({@link Task#fatalSignalPending}: FUSE's interrupt). The interrupt wakes
   * no monitor, so the wait looks for it every {@link #SIGNAL_POLL_MILLIS}.
   *
   * @param what what is awaited, for the {@code EINTR} reason
   */
  public boolean waitEventKillableTimeout(
      BooleanSupplier condition, long timeoutMillis, String what) throws ErrnoException {
    Task self = Task.current();
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (true) {
      long left = timeoutMillis < 0 ? SIGNAL_POLL_MILLIS : deadline - System.currentTimeMillis();
      long slice = Math.min(Math.max(left, 0), SIGNAL_POLL_MILLIS);
      if (waitEventInterruptibleTimeout(condition, slice)) {
        return true;
      }
      if (self.fatalSignalPending()) {
        throw Errno.EINTR.with("fatal signal pending while waiting for " + what);
      }
      if (timeoutMillis >= 0 && left <= slice) {
        return false;
      }
    }
  }

  /**
   * The scheduler of {@code slabfs explore}, or {@code null}: for the callers' scheduling points.
   */
  public Scheduler scheduler() {
    return tasks.scheduler();
  }

  /**
   * {@code wake_up_all()}: every sleeper re-checks its condition. Without a sleeper it returns at
   * once, as {@code if (wq_has_sleeper(wq)) wake_up_all(wq)} does, so the hot paths that wake a
   * queue nobody waits on (every open and release) take no shared monitor.
   */
  public void wakeUpAll() {
    if (sleepers.get() == 0) {
      return;
    }
    synchronized (lock) {
      Scheduler s = tasks.scheduler();
      if (s != null) {
        s.wakeUp(this);
      }
      lock.notifyAll();
    }
  }
}
