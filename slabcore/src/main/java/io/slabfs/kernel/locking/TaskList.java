package io.slabfs.kernel.locking;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * Models: kernel/sched/core.c.
 *
 * <p>The scheduler's side of the tasks that matter to lockdep and khungtaskd: which tasks exist
 * ({@code for_each_process_thread()}), and which of them sleep in {@code TASK_UNINTERRUPTIBLE} and
 * on what ({@code set_current_state()} before {@code schedule()}, {@code
 * __set_current_state(TASK_RUNNING)} after). The awaits ({@link #awaitTasks}, {@link
 * #awaitBlocked}) and {@link #abortAllWaits} are ours: simulator.
 *
 * <p>Only tasks that hold or wait for a modeled lock are listed: {@link Lockdep#acquire} and {@link
 * #block} add the current task, and it is dropped once it holds nothing and waits for nothing.
 * {@code debug_show_all_locks()} ({@link Lockdep#showAllLocks}) and {@code
 * check_hung_uninterruptible_tasks()} ({@link HungTaskDetector}) walk this list.
 *
 * <p>Concurrency: the set is concurrent; {@link #blockedChanged} is woken whenever a task starts
 * waiting, for {@link #awaitTasks}.
 */
public final class TaskList {
  private final Set<Task> tasks = ConcurrentHashMap.newKeySet();

  /** Woken whenever a task starts waiting, for {@link #awaitTasks}. */
  private final WaitQueueHead blockedChanged = new WaitQueueHead(this);

  /** The scheduler of {@code slabfs explore}; {@code null} in a normal boot. */
  private volatile Scheduler scheduler;

  /** Pids of this kernel's kworkers, so that reports are the same from boot to boot. */
  private final AtomicInteger kworkerPids = new AtomicInteger(200);

  TaskList() {}

  /** The scheduler that runs this kernel's tasks one at a time, or {@code null}. */
  public Scheduler scheduler() {
    return scheduler;
  }

  /** Hands this kernel's interleavings to {@code s} ({@code null}: back to the JVM's threads). */
  public void setScheduler(Scheduler s) {
    scheduler = s;
  }

  /** The pid of this kernel's next kworker. */
  int nextKworkerPid() {
    return kworkerPids.incrementAndGet();
  }

  /** Tasks that hold or wait for a modeled lock now. */
  public List<Task> tasks() {
    return new ArrayList<>(tasks);
  }

  /** Locks held right now, over all tasks. */
  public int heldCount() {
    int n = 0;
    for (Task t : tasks) {
      n += t.held().size();
    }
    return n;
  }

  /** Context switches: every time a task went to sleep in a wait ({@code schedule()}). */
  private final java.util.concurrent.atomic.AtomicLong switches =
      new java.util.concurrent.atomic.AtomicLong();

  /** The pids of every task that has ever been listed. */
  private final java.util.BitSet pidsSeen = new java.util.BitSet();

  /** The current task took a lock ({@link Lockdep#acquire}). */
  void add(Task t) {
    if (tasks.add(t)) {
      seen(t);
    }
  }

  private void seen(Task t) {
    if (t.pid() >= 0) {
      synchronized (pidsSeen) {
        pidsSeen.set(t.pid());
      }
    }
  }

  /** {@code nr_context_switches()} of the model: the sleeps in a wait since boot. */
  public long contextSwitches() {
    return switches.get();
  }

  /** How many distinct processes (pids) have held or waited for a modeled lock since boot. */
  public int processesSeen() {
    synchronized (pidsSeen) {
      return pidsSeen.cardinality();
    }
  }

  /** Tasks listed now that are not asleep in a wait ({@code nr_running()} of the model). */
  public int runningCount() {
    int n = 0;
    for (Task t : tasks) {
      if (t.blocked() == null) {
        n++;
      }
    }
    return n;
  }

  /** The current task starts waiting. */
  void block(Wait w) {
    Task t = Task.current();
    t.setBlocked(w);
    if (tasks.add(t)) {
      seen(t);
    }
    switches.incrementAndGet();
    blockedChanged.wakeUpAll();
  }

  /** Tasks blocked right now. */
  public int blockedCount() {
    int n = 0;
    for (Task t : tasks) {
      if (t.blocked() != null) {
        n++;
      }
    }
    return n;
  }

  /** Waits until at least {@code n} tasks are blocked; false on timeout. */
  public boolean awaitBlocked(int n, long timeoutMillis) {
    return awaitTasks(
        all -> all.stream().filter(t -> t.blocked() != null).count() >= n, timeoutMillis);
  }

  /**
   * Waits until {@code condition} holds for the tasks that hold or wait for locks, re-checked each
   * time a task starts waiting; false on timeout.
   */
  public boolean awaitTasks(Predicate<List<Task>> condition, long timeoutMillis) {
    return blockedChanged.waitEventInterruptibleTimeout(
        () -> condition.test(tasks()), timeoutMillis);
  }

  /** The current task stops waiting; a victim mark that came too late is dropped. */
  void unblock() {
    Task t = Task.current();
    t.setBlocked(null);
    t.clearVictim();
    forgetIfIdle(t);
  }

  void forgetIfIdle(Task t) {
    if (t.blocked() == null && t.held().isEmpty()) {
      tasks.remove(t);
    }
  }

  /**
   * Fails every abortable wait with {@link DeadlockBroken}, so blocked system calls return and the
   * filesystem can be unmounted; used when slabfs shuts down.
   */
  public void abortAllWaits(String why) {
    for (Task t : tasks()) {
      Wait w = t.blocked();
      if (w != null && w.abortable()) {
        t.markVictim(why);
        w.queue().wakeUpAll();
      }
    }
  }
}
