package io.slabfs.kernel.explore;

import io.slabfs.kernel.locking.Scheduler;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitQueueHead;
import io.slabfs.kernel.sim.LiveReplay;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Ours: simulator.
 *
 * <p>The {@link Scheduler} of one schedule: every task of the model runs on a Java thread of its
 * own, and exactly one of them holds the baton at a time. A task gives the baton back to the
 * controller (the thread that runs {@link Run}) at each scheduling point, when it sleeps and when
 * it ends; the controller then picks the next task and hands the baton on ({@link #grant}).
 *
 * <p>A task stopped at a point waits on this object's monitor; a task asleep in {@link
 * WaitQueueHead#waitEvent} waits on its queue's lock (so that the lock is free while it sleeps) and
 * is runnable only once a {@link #wakeUp} of that queue found its condition true.
 *
 * <p>Concurrency. Lock order: a queue's lock, then this monitor (a sleeper and a waker hold the
 * queue's lock when they call in). The controller takes a queue's lock only when it does not hold
 * this monitor. Slot fields are written by the task holding the baton or by the controller while
 * every task is stopped; the monitor hand-over orders those writes.
 */
final class Baton implements Scheduler {
  /** Thrown out of every hook once the schedule is over, so the task threads unwind and end. */
  static final class Abort extends Error {
    Abort() {
      super("schedule over", null, false, false);
    }
  }

  enum State {
    NEW,
    AT_POINT,
    SLEEPING,
    RUNNING,
    DONE
  }

  /** One task under the scheduler. */
  static final class Slot {
    final int index;
    final Task task;
    final boolean kthread;
    Thread thread;
    State state = State.NEW;

    /** What it does next: the operation at the point where it stopped. */
    String label;

    WaitQueueHead queue;
    Object lock;
    BooleanSupplier condition;
    boolean idle;
    boolean woken;
    volatile boolean go;
    int steps;

    Slot(int index, Task task, boolean kthread, String label) {
      this.index = index;
      this.task = task;
      this.kthread = kthread;
      this.label = label;
    }

    String name() {
      return task.comm();
    }

    @Override
    public String toString() {
      return task + "[" + state + (woken ? ",woken" : "") + " " + label + "]";
    }
  }

  private final List<Slot> slots = new ArrayList<>();

  @SuppressWarnings("ThreadLocalUsage") // one baton per schedule: each has its own threads' slots
  private final ThreadLocal<Slot> mine = new ThreadLocal<>();

  /** The slot that holds the baton, or null while the controller decides. */
  private Slot running;

  private volatile boolean aborting;

  /** Every slot so far, by index (the controller reads it while all tasks are stopped). */
  List<Slot> slots() {
    return slots;
  }

  /** A task that runs {@code body} as {@code task} once it is first granted the baton. */
  synchronized Slot spawn(Task task, boolean kthread, String label, Runnable body) {
    Slot slot = new Slot(slots.size(), task, kthread, label);
    slots.add(slot);
    slot.thread =
        new Thread(
            () -> {
              mine.set(slot);
              try {
                awaitGrant(slot);
                Task.runAs(
                    task,
                    () -> {
                      body.run();
                      return null;
                    });
              } catch (Abort e) {
                // the schedule is over: unwound
              } catch (Throwable e) {
                if (!aborting) {
                  throw e;
                }
              } finally {
                synchronized (this) {
                  slot.state = State.DONE;
                  if (running == slot) {
                    running = null;
                  }
                  notifyAll();
                }
              }
            },
            task.comm());
    slot.thread.setDaemon(true);
    return slot;
  }

  private synchronized void awaitGrant(Slot slot) {
    while (!slot.go) {
      if (aborting) {
        throw new Abort();
      }
      try {
        wait();
      } catch (InterruptedException e) {
        throw new Abort();
      }
    }
  }

  @Override
  public boolean manages(Thread thread) {
    return thread == Thread.currentThread() && mine.get() != null;
  }

  /** Whether a point gives no order of its own ({@link LiveReplay#redundant}). */
  static boolean redundant(String op, Object object) {
    return LiveReplay.redundant(op, object);
  }

  @Override
  public void point(String op, Object object) {
    Slot slot = mine.get();
    if (slot == null || redundant(op, object)) {
      return;
    }
    synchronized (this) {
      if (aborting) {
        throw new Abort();
      }
      slot.label = label(op, object);
      stop(slot, State.AT_POINT);
    }
    awaitGrant(slot);
  }

  /** Gives the baton back: the controller waiting in {@link #awaitStop} goes on. */
  private void stop(Slot slot, State state) {
    slot.state = state;
    slot.go = false;
    running = null;
    notifyAll();
  }

  @Override
  public boolean sleep(WaitQueueHead queue, Object lock, BooleanSupplier condition, boolean idle) {
    Slot slot = mine.get();
    if (slot == null) {
      return false;
    }
    synchronized (this) {
      if (aborting) {
        throw new Abort();
      }
      slot.queue = queue;
      slot.lock = lock;
      slot.condition = condition;
      slot.idle = idle;
      slot.woken = false;
      stop(slot, State.SLEEPING);
    }
    // we hold lock: wait() drops it while we sleep, the controller notifies it to grant
    while (!slot.go) {
      if (aborting) {
        throw new Abort();
      }
      try {
        lock.wait();
      } catch (InterruptedException e) {
        throw new Abort();
      }
    }
    slot.queue = null;
    slot.lock = null;
    slot.condition = null;
    return true;
  }

  @Override
  public void wakeUp(WaitQueueHead queue) {
    synchronized (this) {
      if (aborting) {
        return;
      }
      for (Slot s : slots) {
        if (s.state == State.SLEEPING
            && s.queue == queue
            && !s.woken
            && s.condition.getAsBoolean()) {
          s.woken = true;
        }
      }
    }
  }

  @Override
  public Thread newKthread(Task task, Runnable body) {
    Slot slot = spawn(task, true, "worker_thread", body);
    return slot.thread;
  }

  /**
   * Whether {@code s} can run now: stopped at a point, or asleep, woken, and its condition true
   * (checked again under the queue's lock; a task that would find it false sleeps on, as the
   * kernel's would after {@code schedule()} returned). Called by the controller, not holding this
   * monitor, while every task is stopped.
   */
  boolean runnable(Slot s) {
    switch (s.state) {
      case NEW, AT_POINT -> {
        return true;
      }
      case SLEEPING -> {
        if (!s.woken) {
          return false;
        }
        boolean ok;
        Object lock = s.lock; // set before the slot sleeps, cleared after it wakes
        synchronized (lock) {
          ok = s.condition.getAsBoolean();
        }
        if (!ok) {
          s.woken = false;
        }
        return ok;
      }
      default -> {
        return false;
      }
    }
  }

  /** Hands the baton to {@code s} and returns once it has given it back. */
  void grant(Slot s) {
    Object sleepLock = s.state == State.SLEEPING ? s.lock : null;
    synchronized (this) {
      running = s;
      s.steps++;
      s.state = State.RUNNING;
      s.go = true;
      notifyAll();
    }
    if (sleepLock != null) {
      synchronized (sleepLock) {
        sleepLock.notifyAll();
      }
    }
  }

  /**
   * Waits until the task holding the baton stops. Returns false if it did not within {@code
   * limitMillis} (a model thread blocked outside the scheduler: a bug to report, not a wait to
   * extend).
   */
  synchronized boolean awaitStop(long limitMillis) {
    long deadline = System.nanoTime() + limitMillis * 1_000_000L;
    while (running != null) {
      long left = (deadline - System.nanoTime()) / 1_000_000L;
      if (left <= 0) {
        return false;
      }
      try {
        wait(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }
    return true;
  }

  /** Ends the schedule: every task thread unwinds with {@link Abort}; waits for them to end. */
  void abort(long limitMillis) {
    List<Object> locks = new ArrayList<>();
    synchronized (this) {
      aborting = true;
      notifyAll();
      for (Slot s : slots) {
        if (s.state == State.SLEEPING && s.lock != null) {
          locks.add(s.lock);
        }
      }
    }
    for (Object l : locks) {
      synchronized (l) {
        l.notifyAll();
      }
    }
    long deadline = System.nanoTime() + limitMillis * 1_000_000L;
    for (Slot s : new ArrayList<>(slots)) {
      if (s.thread.getState() == Thread.State.NEW) {
        continue;
      }
      try {
        long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000L);
        s.thread.join(left);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** How a step is shown in the schedule table: {@code mutex_lock(slab_mutex)}. */
  static String label(String op, Object object) {
    return LiveReplay.label(op, object);
  }
}
