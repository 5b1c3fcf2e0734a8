package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.DumpStack;
import io.slabfs.kernel.debug.KernelVersion;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Models: kernel/hung_task.c (and {@code sched_show_task()} of kernel/sched/core.c).
 *
 * <p>{@code khungtaskd}: it wakes every {@code hung_task_check_interval_secs}, which defaults to
 * the timeout, and looks at every task in uninterruptible sleep. A task that has not run since the
 * previous check and has been blocked for at least the timeout is reported, and reported again at
 * every later check while it stays blocked (the seconds growing), until {@code hung_task_warnings}
 * (10) runs out: the last report is followed by {@code Future hung task reports are suppressed, see
 * sysctl kernel.hung_task_warnings}. After a check that reported, {@code debug_show_all_locks()}.
 *
 * <p>Each report is the era's: the {@code task:} line of {@code sched_show_task()} per version
 * (right-aligned numbers up to 5.19, left-aligned from 6.1, {@code tgid:} from 6.12, {@code
 * task_flags:} from 6.15), the blocked task's stack. Only 6.15 on ({@code
 * CONFIG_DETECT_HUNG_TASK_BLOCKER}) names a blocker, and only for a mutex (and semaphores and
 * rw-semaphores, which the model has none of): never for a percpu rw-semaphore or a kernfs drain.
 * What the simulator knows of who blocks whom, where the kernel prints nothing, goes on a {@code
 * slabfs:} line after the report.
 *
 * <p>With {@code --deadlock break} it then looks for a real cycle in the wait-for graph among the
 * reported tasks and breaks it: the most recently blocked task of the cycle whose wait can be
 * abandoned without corrupting the model is woken with {@link DeadlockBroken}, so its system call
 * fails with {@code EDEADLK}. With {@code hang}, tasks stay blocked, as in the kernel.
 */
public final class HungTaskDetector implements AutoCloseable {
  /** {@code hung_task_warnings} default. */
  static final int WARNINGS = 10;

  /** {@code hung_task_timeout_max}: {@code LONG_MAX / HZ} (HZ 250). */
  public static final long TIMEOUT_MAX = Long.MAX_VALUE / 250;

  private final Lockdep lockdep;
  private final Dmesg dmesg;
  private final String release;
  private final KernelVersion version;
  private final boolean breakDeadlocks;
  private final LongSupplier nanoTime;

  /** One khungtaskd thread serves every simulated kernel in this JVM. */
  private static final ScheduledExecutorService KHUNGTASKD =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread th = new Thread(r, "khungtaskd");
            th.setDaemon(true);
            return th;
          });

  // The sysctls (kernel.hung_task_*) and the watchdog's state, guarded by this.
  private long timeoutSecs;
  private long intervalSecs;
  private int warnings = WARNINGS;
  private long lastCheckedNanos;
  private java.util.concurrent.ScheduledFuture<?> scan;
  private boolean closed;
  private int deadlocksBroken;
  private int hungReports;

  public HungTaskDetector(
      Lockdep lockdep, String release, int timeoutSecs, boolean breakDeadlocks) {
    this.lockdep = lockdep;
    this.dmesg = lockdep.dmesg();
    this.release = release;
    this.version = KernelVersion.parse(release);
    this.timeoutSecs = timeoutSecs;
    this.breakDeadlocks = breakDeadlocks;
    this.nanoTime = System::nanoTime;
    synchronized (this) {
      this.lastCheckedNanos = nanoTime.getAsLong();
      arm();
    }
  }

  /**
   * {@code watchdog()}'s sleep: until {@code hung_last_checked} plus the interval ({@code
   * hung_task_check_interval_secs}, 0 meaning the timeout, never more than the timeout); with a
   * timeout of 0, forever ({@code MAX_SCHEDULE_TIMEOUT}). Called with this held.
   */
  private void arm() {
    if (scan != null) {
      scan.cancel(false);
      scan = null;
    }
    if (closed || timeoutSecs == 0) {
      return;
    }
    long interval = intervalSecs == 0 ? timeoutSecs : Math.min(intervalSecs, timeoutSecs);
    long delay =
        Math.max(0, TimeUnit.SECONDS.toNanos(interval) - (nanoTime.getAsLong() - lastCheckedNanos));
    scan = KHUNGTASKD.schedule(this::watchdogWakes, delay, TimeUnit.NANOSECONDS);
  }

  /** The watchdog's loop body once its sleep is over: a check, then sleep again. */
  private void watchdogWakes() {
    try {
      synchronized (this) {
        if (closed || timeoutSecs == 0) {
          return;
        }
        long now = nanoTime.getAsLong();
        check(now);
        lastCheckedNanos = now;
        arm();
      }
    } catch (RuntimeException e) {
      dmesg.printk("BUG: slabfs: khungtaskd: " + e);
    }
  }

  /** {@code sysctl_hung_task_timeout_secs}. */
  public synchronized long timeoutSecs() {
    return timeoutSecs;
  }

  /**
   * A write of {@code hung_task_timeout_secs} ({@code proc_dohung_task_timeout_secs}): the value,
   * then {@code wake_up_process(watchdog_task)}, which re-computes its sleep (0: no more checks).
   */
  public synchronized void setTimeoutSecs(long secs) {
    timeoutSecs = secs;
    arm();
  }

  /** {@code sysctl_hung_task_check_interval_secs} (0: the timeout). */
  public synchronized long intervalSecs() {
    return intervalSecs;
  }

  /** A write of {@code hung_task_check_interval_secs}: the value, then the watchdog woken. */
  public synchronized void setIntervalSecs(long secs) {
    intervalSecs = secs;
    arm();
  }

  /** {@code sysctl_hung_task_warnings}: reports left, -1 for no limit. */
  public synchronized int warnings() {
    return warnings;
  }

  public synchronized void setWarnings(int n) {
    warnings = n;
  }

  /** Whether the watchdog will check again by itself (the timeout is not 0). */
  public synchronized boolean armed() {
    return scan != null;
  }

  public synchronized int deadlocksBroken() {
    return deadlocksBroken;
  }

  public synchronized int hungReports() {
    return hungReports;
  }

  /**
   * One scan ({@code check_hung_uninterruptible_tasks(timeout)}) with the timeout now in force,
   * whatever it is; public so tests can drive it (the watchdog itself never scans with a timeout of
   * 0).
   */
  public void check() {
    check(nanoTime.getAsLong());
  }

  /** One scan at time {@code now} (of {@link System#nanoTime()}): tests pass a later time. */
  public synchronized void check(long now) {
    long timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSecs);
    List<Task> hung = new ArrayList<>();
    List<Task> all = lockdep.taskList().tasks();
    all.sort((a, b) -> Integer.compare(a.pid(), b.pid()));
    for (Task t : all) {
      Wait w = t.blocked();
      if (w != null && now - w.sinceNanos() >= timeoutNanos) {
        hung.add(t);
      }
    }
    boolean printed = false;
    for (Task t : hung) {
      Wait w = t.blocked();
      if (w == null || warnings == 0) {
        continue;
      }
      if (warnings > 0) {
        warnings--; // -1: no limit
      }
      hungReports++;
      List<String> r = report(t, w, now);
      r.addAll(blocker(t, w, hung));
      if (warnings == 0) {
        r.add("Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings");
      }
      dmesg.printkRecords(r);
      printed = true;
    }
    if (printed) {
      dmesg.printk(lockdep.enabled() ? lockdep.showAllLocks(now) : "INFO: lockdep is turned off.");
    }
    if (breakDeadlocks) {
      breakCycle(hung);
    }
  }

  /** {@code check_hung_task()}'s report of {@code t}. */
  private List<String> report(Task t, Wait w, long now) {
    long secs = (now - w.sinceNanos()) / 1_000_000_000L;
    List<String> r = new ArrayList<>();
    r.add(
        "INFO: task " + t.comm() + ":" + t.pid() + " blocked for more than " + secs + " seconds.");
    r.add("      " + dmesg.taint().print(version) + " " + release + " #1");
    r.add("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.");
    r.addAll(schedShowTask(t, 'D'));
    return r;
  }

  /** {@code sched_show_task()}: the {@code task:} line and the task's stack. */
  private List<String> schedShowTask(Task t, char state) {
    List<String> r = new ArrayList<>();
    r.add(taskLine(version, t.comm(), state, t.pid(), t.tgid(), t.ppid(), t.isKthread()));
    List<String> frames = new ArrayList<>(List.of("__schedule", "schedule"));
    Wait w = t.blocked();
    if (w != null) {
      frames.addAll(List.of(w.sleepFrames()));
    }
    frames.addAll(t.frames());
    frames.addAll(DumpStack.entryFrames(release, t.isKthread()));
    r.addAll(DumpStack.callTrace(frames, t.pid(), false));
    return r;
  }

  /** The {@code task:} line of {@code sched_show_task()} of kernel {@code v}. */
  static String taskLine(
      KernelVersion v, String comm, char state, int pid, int tgid, int ppid, boolean kthread) {
    String c = comm.length() > 15 ? comm.substring(0, 15) : comm;
    long flags = kthread ? 0x00004000L : 0x00000000L;
    if (!v.atLeast(6, 1)) {
      return String.format(
          "task:%-15.15s state:%c stack:%5d pid:%5d ppid:%6d flags:0x%08x",
          c, state, 0, pid, ppid, flags);
    }
    StringBuilder sb =
        new StringBuilder(
            String.format("task:%-15.15s state:%c stack:%-5d " + "pid:%-5d ", c, state, 0, pid));
    if (v.atLeast(6, 12)) {
      sb.append(String.format("tgid:%-5d ", tgid));
    }
    sb.append(String.format("ppid:%-6d ", ppid));
    if (v.atLeast(6, 15)) {
      // p->flags: PF_KTHREAD|PF_NOFREEZE|PF_WQ_WORKER... for a worker, PF_RANDOMIZE for a user task
      sb.append(String.format("task_flags:0x%04x ", kthread ? 0x4208060 : 0x400000));
    }
    sb.append(String.format("flags:0x%08x", flags));
    return sb.toString();
  }

  /**
   * {@code debug_show_blocker()} (6.15 on) for a mutex wait: the owner's line and its stack, unless
   * the owner is hung too. Elsewhere, a {@code slabfs:} line naming what slabfs knows.
   */
  private List<String> blocker(Task t, Wait w, List<Task> hung) {
    List<String> r = new ArrayList<>();
    Collection<Task> owners = w.waitsFor().get();
    boolean mutex = List.of(w.sleepFrames()).contains("__mutex_lock");
    if (mutex && version.atLeast(6, 15)) {
      if (owners.isEmpty()) {
        r.add(
            "INFO: task "
                + t.comm()
                + ":"
                + t.pid()
                + " is blocked on a mutex, but the owner is not found.");
        return r;
      }
      Task o = owners.iterator().next();
      r.add(
          "INFO: task "
              + t.comm()
              + ":"
              + t.pid()
              + " is blocked on a mutex likely owned by "
              + "task "
              + o.comm()
              + ":"
              + o.pid()
              + ".");
      if (!hung.contains(o)) {
        r.addAll(schedShowTask(o, o.blocked() != null ? 'D' : 'S'));
      }
      return r;
    }
    if (!owners.isEmpty()) {
      StringBuilder sb =
          new StringBuilder(
              "slabfs: task " + t.comm() + ":" + t.pid() + " waits for " + w.what() + ", which ");
      String sep = "";
      for (Task o : owners) {
        sb.append(sep).append(o.comm()).append(':').append(o.pid());
        sep = ", ";
      }
      sb.append(owners.size() == 1 ? " holds" : " hold").append(" (see sim/held_locks)");
      r.add(sb.toString());
    }
    return r;
  }

  /** Finds a cycle among hung tasks in the wait-for graph and fails one abortable waiter. */
  private void breakCycle(List<Task> hung) {
    Set<Task> hungSet = new HashSet<>(hung);
    Map<Task, Integer> state = new HashMap<>();
    for (Task start : hung) {
      List<Task> cycle = findCycle(start, hungSet, state, new ArrayList<>());
      if (cycle == null) {
        continue;
      }
      Task victim = null;
      for (Task t : cycle) {
        Wait w = t.blocked();
        if (w != null
            && w.abortable()
            && (victim == null || w.sinceNanos() > victim.blocked().sinceNanos())) {
          victim = t;
        }
      }
      StringBuilder names = new StringBuilder();
      for (Task t : cycle) {
        names.append(t).append(" -> ");
      }
      names.append(cycle.get(0));
      if (victim == null) {
        dmesg.printk(
            "slabfs: deadlock " + names + ": no waiter can be failed safely; left hanging");
        return;
      }
      Wait w = victim.blocked();
      deadlocksBroken++;
      dmesg.printk(
          "slabfs: deadlock "
              + names
              + ": breaking it by failing the system call of "
              + victim
              + " (waiting for "
              + w.what()
              + ") with -EDEADLK");
      victim.markVictim("deadlock broken: " + names);
      w.queue().wakeUpAll();
      return;
    }
  }

  /** Depth-first search; state: 1 on the current path, 2 finished. */
  private static List<Task> findCycle(
      Task t, Set<Task> hung, Map<Task, Integer> state, List<Task> path) {
    Integer s = state.get(t);
    if (s != null) {
      if (s == 1) {
        return new ArrayList<>(path.subList(path.indexOf(t), path.size()));
      }
      return null;
    }
    state.put(t, 1);
    path.add(t);
    Wait w = t.blocked();
    if (w != null) {
      for (Task next : w.waitsFor().get()) {
        if (hung.contains(next) || next == t) {
          List<Task> c = findCycle(next, hung, state, path);
          if (c != null) {
            return c;
          }
        }
      }
    }
    path.remove(path.size() - 1);
    state.put(t, 2);
    return null;
  }

  @Override
  public synchronized void close() {
    closed = true;
    arm();
  }
}
