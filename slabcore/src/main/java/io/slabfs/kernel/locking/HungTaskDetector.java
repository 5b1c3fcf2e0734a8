package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Kallsyms;
import io.slabfs.kernel.debug.Dmesg;
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
 * Models: kernel/hung_task.c.
 *
 * <p>{@code khungtaskd} (kernel/hung_task.c): once a second it looks at every blocked task; one
 * blocked longer than the timeout is reported ({@code INFO: task ... blocked for more than N
 * seconds.}, its stack, then all held locks), once per wait, within the warning budget.
 *
 * <p>With {@code --deadlock break} it then looks for a real cycle in the wait-for graph among
 * the reported tasks and breaks it: the most recently blocked task of the cycle whose wait can
 * be abandoned without corrupting the model is woken with {@link DeadlockBroken}, so its
 * system call fails with {@code EDEADLK}. With {@code hang}, tasks stay blocked, as in the
 * kernel.
 */
public final class HungTaskDetector implements AutoCloseable {
  /** {@code hung_task_warnings} default. */
  static final int WARNINGS = 10;

  private final Lockdep lockdep;
  private final Dmesg dmesg;
  private final String release;
  private final long timeoutNanos;
  private final boolean breakDeadlocks;
  private final LongSupplier nanoTime;
  /** One khungtaskd thread serves every simulated kernel in this JVM. */
  private static final ScheduledExecutorService KHUNGTASKD =
      Executors.newSingleThreadScheduledExecutor(r -> {
        Thread th = new Thread(r, "khungtaskd");
        th.setDaemon(true);
        return th;
      });

  private final java.util.concurrent.ScheduledFuture<?> scan;
  private final Set<Wait> reported = java.util.Collections.newSetFromMap(new java.util.WeakHashMap<>());
  private int warnings = WARNINGS;
  private int deadlocksBroken;
  private int hungReports;

  public HungTaskDetector(Lockdep lockdep, String release, int timeoutSecs,
      boolean breakDeadlocks) {
    this.lockdep = lockdep;
    this.dmesg = lockdep.dmesg();
    this.release = release;
    this.timeoutNanos = TimeUnit.SECONDS.toNanos(timeoutSecs);
    this.breakDeadlocks = breakDeadlocks;
    this.nanoTime = System::nanoTime;
    this.scan = timeoutSecs > 0
        ? KHUNGTASKD.scheduleWithFixedDelay(this::checkSafely, 1, 1, TimeUnit.SECONDS)
        : null;
  }

  public synchronized int deadlocksBroken() {
    return deadlocksBroken;
  }

  public synchronized int hungReports() {
    return hungReports;
  }

  private void checkSafely() {
    try {
      check();
    } catch (RuntimeException e) {
      dmesg.printk("BUG: slabfs: khungtaskd: " + e);
    }
  }

  /** One scan ({@code check_hung_uninterruptible_tasks}); public so tests can drive it. */
  public synchronized void check() {
    long now = nanoTime.getAsLong();
    List<Task> hung = new ArrayList<>();
    for (Task t : lockdep.taskList().tasks()) {
      Wait w = t.blocked();
      if (w != null && now - w.sinceNanos() >= timeoutNanos) {
        hung.add(t);
      }
    }
    boolean printed = false;
    for (Task t : hung) {
      Wait w = t.blocked();
      if (w == null || reported.contains(w)) {
        continue;
      }
      reported.add(w);
      if (warnings > 0) {
        warnings--;
        hungReports++;
        dmesg.printk(report(t, w, now));
        printed = true;
        if (warnings == 0) {
          dmesg.printk("Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings");
        }
      }
    }
    if (printed) {
      dmesg.printk(lockdep.enabled() ? lockdep.showAllLocks(now) : "INFO: lockdep is turned off.");
    }
    if (breakDeadlocks) {
      breakCycle(hung);
    }
  }

  private String report(Task t, Wait w, long now) {
    long secs = (now - w.sinceNanos()) / 1_000_000_000L;
    StringBuilder sb = new StringBuilder();
    sb.append("INFO: task ").append(t.comm()).append(':').append(t.pid())
        .append(" blocked for more than ").append(secs).append(" seconds.\n");
    sb.append("      ").append(dmesg.taint()).append(' ').append(release).append(" #1\n");
    sb.append("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.\n");
    sb.append(String.format("task:%-15s state:D stack:0     pid:%-5d tgid:%-5d ppid:1      "
        + "task_flags:0x400000 flags:0x00004000%n", t.comm(), t.pid(), t.pid()));
    sb.append("Call Trace:\n <TASK>\n");
    sb.append(' ').append(Kallsyms.symbol("__schedule")).append('\n');
    sb.append(' ').append(Kallsyms.symbol("schedule")).append('\n');
    for (String f : w.sleepFrames()) {
      sb.append(' ').append(Kallsyms.symbol(f)).append('\n');
    }
    for (String f : t.frames()) {
      sb.append(' ').append(Kallsyms.symbol(f)).append('\n');
    }
    sb.append(' ').append(Kallsyms.symbol("do_syscall_64")).append('\n');
    sb.append(" </TASK>");
    Collection<Task> owners = w.waitsFor().get();
    if (!owners.isEmpty()) {
      Task o = owners.iterator().next();
      sb.append("\nINFO: task ").append(t.comm()).append(':').append(t.pid())
          .append(" is blocked on ").append(w.what()).append(", likely held by task ")
          .append(o.comm()).append(':').append(o.pid());
    }
    return sb.toString();
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
        if (w != null && w.abortable()
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
        dmesg.printk("slabfs: deadlock " + names + ": no waiter can be failed safely; left hanging");
        return;
      }
      Wait w = victim.blocked();
      deadlocksBroken++;
      dmesg.printk("slabfs: deadlock " + names + ": breaking it by failing the system call of "
          + victim + " (waiting for " + w.what() + ") with -EDEADLK");
      victim.markVictim("deadlock broken: " + names);
      w.queue().wakeUpAll();
      return;
    }
  }

  /** Depth-first search; state: 1 on the current path, 2 finished. */
  private static List<Task> findCycle(Task t, Set<Task> hung, Map<Task, Integer> state,
      List<Task> path) {
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
  public void close() {
    if (scan != null) {
      scan.cancel(false);
    }
  }
}
