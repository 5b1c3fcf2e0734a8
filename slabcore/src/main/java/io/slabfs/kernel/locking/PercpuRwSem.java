package io.slabfs.kernel.locking;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Models: kernel/locking/percpu-rwsem.c.
 *
 * <p>A {@code struct percpu_rw_semaphore} (kernel/locking/percpu-rwsem.c), e.g. {@code
 * cpu_hotplug_lock}. Readers never block each other. A writer first takes {@code sem->block}
 * (writer-writer exclusion): from that moment every new reader sleeps, even while old readers still
 * hold the lock; then it waits for the readers to leave. So reads are not recursion safe: a task
 * that takes the read lock again while a writer is pending deadlocks.
 *
 * <p>Concurrency: {@link #readers} and {@link #block} are guarded by this object's monitor, the
 * lock of the wait queue that readers and writers sleep on.
 */
public final class PercpuRwSem {
  private final Lockdep lockdep;
  private final LockMap map;
  private final Map<Task, Integer> readers = new HashMap<>();
  private final WaitQueueHead wait;
  private Task block;
  private boolean writerActive;

  public PercpuRwSem(Lockdep lockdep, String name) {
    this.lockdep = lockdep;
    this.map = new LockMap(lockdep.classFor(this, name, LockClass.Kind.RWSEM), this, true);
    this.wait = new WaitQueueHead(lockdep, this);
  }

  public String name() {
    return map.lockClass().displayName();
  }

  /** {@code percpu_down_read()}; {@code lockFrame} is the caller's name, e.g. cpus_read_lock. */
  public void readLock(String lockFrame) {
    Scheduler s = lockdep.taskList().scheduler();
    if (s != null) {
      s.point(lockFrame, this);
    }
    Task t = Task.current();
    lockdep.acquire(map, 1, false, lockFrame);
    synchronized (this) {
      try {
        wait.waitEvent(
            () -> block == null,
            new WaitQueueHead.Sleep(
                name() + " (read)",
                this::blockOwner,
                true,
                "percpu_rwsem_wait",
                "__percpu_down_read",
                lockFrame));
      } catch (DeadlockBroken e) {
        lockdep.release(map);
        throw e;
      }
      readers.merge(t, 1, Integer::sum);
    }
  }

  /** {@code percpu_up_read()}. */
  public void readUnlock() {
    Task t = Task.current();
    synchronized (this) {
      Integer n = readers.get(t);
      if (n == null) {
        throw new IllegalStateException(name() + ": read unlock by non-reader " + t);
      }
      if (n == 1) {
        readers.remove(t);
      } else {
        readers.put(t, n - 1);
      }
      wait.wakeUpAll();
    }
    lockdep.release(map);
  }

  /**
   * {@code percpu_down_write()}; {@code lockFrame} is the caller, e.g. cpus_write_lock. First
   * {@code sem->block} against other writers, then, with new readers held off, the wait for the
   * readers inside to leave.
   */
  public void writeLock(String lockFrame) {
    Scheduler s = lockdep.taskList().scheduler();
    if (s != null) {
      s.point(lockFrame, this);
    }
    Task t = Task.current();
    lockdep.acquire(map, 0, false, lockFrame);
    synchronized (this) {
      try {
        wait.waitEvent(
            () -> block == null,
            new WaitQueueHead.Sleep(
                name() + " (write)",
                this::blockOwner,
                true,
                "percpu_rwsem_wait",
                "percpu_down_write",
                lockFrame));
        block = t;
        wait.waitEvent(
            readers::isEmpty,
            // rcuwait_wait_event(&sem->writer, readers_active_check(sem), ...): a macro, so
            // the task sleeps in percpu_down_write itself
            new WaitQueueHead.Sleep(
                name() + " (write, waiting for readers)",
                this::readerTasks,
                true,
                "percpu_down_write",
                lockFrame));
        writerActive = true;
      } catch (DeadlockBroken e) {
        if (block == t) {
          block = null;
          wait.wakeUpAll();
        }
        lockdep.release(map);
        throw e;
      }
    }
  }

  /** {@code percpu_up_write()}. */
  public void writeUnlock() {
    synchronized (this) {
      if (block != Task.current() || !writerActive) {
        throw new IllegalStateException(name() + ": write unlock by " + Task.current());
      }
      block = null;
      writerActive = false;
      wait.wakeUpAll();
    }
    lockdep.release(map);
  }

  private synchronized Collection<Task> blockOwner() {
    return block == null ? List.of() : List.of(block);
  }

  private synchronized Collection<Task> readerTasks() {
    return new ArrayList<>(readers.keySet());
  }

  /** Readers holding the lock now. */
  public synchronized int readerCount() {
    int n = 0;
    for (int c : readers.values()) {
      n += c;
    }
    return n;
  }

  /** Whether a writer holds or waits for {@code sem->block}. */
  public synchronized boolean writerPending() {
    return block != null;
  }
}
