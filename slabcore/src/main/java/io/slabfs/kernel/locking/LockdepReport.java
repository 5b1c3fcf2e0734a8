package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Kallsyms;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Models: the report printing of kernel/locking/lockdep.c: {@code print_circular_bug()}, {@code
 * print_deadlock_bug()}, {@code print_unlock_imbalance_bug()}, {@code print_freed_lock_bug()}, the
 * report of {@code lockdep_sys_exit()}, {@code lockdep_print_held_locks()} and {@code
 * debug_show_all_locks()}. The checks that decide to report are in {@link Lockdep}.
 *
 * <p>Concurrency: every report is printed with {@link Lockdep}'s monitor held, so two tasks closing
 * a cycle together produce one report.
 */
final class LockdepReport {
  private final Lockdep lockdep;
  private final Dmesg dmesg;
  private final String release;

  /** Since 6.4 the scenario prints {@code rlock(} for a read held or taken. */
  private final boolean scenarioReadForms;

  LockdepReport(Lockdep lockdep, Dmesg dmesg, String release) {
    this.lockdep = lockdep;
    this.dmesg = dmesg;
    this.release = release;
    this.scenarioReadForms = Lockdep.releaseAtLeast(release, 6, 4);
  }

  private String header(String title) {
    return "=".repeat(title.length())
        + "\n"
        + title
        + "\n"
        + release
        + " #1 "
        + dmesg.taint()
        + "\n"
        + "-".repeat(title.length())
        + "\n";
  }

  /** {@code print_circular_bug()}: the report of seed 001, in the kernel's layout. */
  void reportCircular(
      Task t, HeldLock prev, HeldLock next, Lockdep.Node match, String[] lockFrames) {
    // the path next(p0) -> ... -> prev(pn), with the edge into each node
    List<Lockdep.Node> nodes = new ArrayList<>();
    for (Lockdep.Node x = match; x != null; x = x.parent) {
      nodes.add(x);
    }
    Collections.reverse(nodes);
    List<LockClass> path = new ArrayList<>(nodes.size());
    nodes.forEach(x -> path.add(x.cls));
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: possible circular locking dependency detected"));
    sb.append(t).append(" is trying to acquire lock:\n").append(next.describe()).append("\n\n");
    sb.append("but task is already holding lock:\n").append(prev.describe()).append("\n\n");
    sb.append("which lock already depends on the new lock.\n\n\n");
    sb.append("the existing dependency chain (in reverse order) is:\n");
    // print pn..p1 with the trace of the edge into each
    for (int k = path.size() - 1; k >= 1; k--) {
      LockClass c = path.get(k);
      sb.append("\n-> #").append(k).append(' ').append(c.withUsage()).append(":\n");
      for (String f : nodes.get(k).edge.trace) {
        sb.append("       ").append(Kallsyms.symbol(f)).append('\n');
      }
    }
    LockClass source = path.get(0);
    sb.append("\n-> #0 ").append(source.withUsage()).append(":\n");
    sb.append("       ").append(Kallsyms.symbol("__lock_acquire")).append('\n');
    sb.append("       ").append(Kallsyms.symbol("lock_acquire")).append('\n');
    for (String f : Lockdep.trace(t, lockFrames)) {
      sb.append("       ").append(Kallsyms.symbol(f)).append('\n');
    }
    sb.append("\nother info that might help us debug this:\n\n");
    LockClass target = path.get(path.size() - 1);
    LockClass parent = path.get(path.size() - 2);
    if (parent != source) {
      sb.append("Chain exists of:\n  ")
          .append(source.displayName())
          .append(" --> ")
          .append(parent.displayName())
          .append(" --> ")
          .append(target.displayName())
          .append("\n\n");
    }
    sb.append(" Possible unsafe locking scenario:\n\n");
    sb.append("       CPU0                    CPU1\n");
    sb.append("       ----                    ----\n");
    sb.append(scenarioVerb(prev)).append(target.displayName()).append(");\n");
    sb.append("                               lock(").append(parent.displayName()).append(");\n");
    sb.append("                               lock(").append(target.displayName()).append(");\n");
    sb.append(scenarioVerb(next)).append(source.displayName()).append(");\n");
    sb.append("\n *** DEADLOCK ***\n\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "check_noncircular", lockFrames);
    lockdep.lastCycle = path;
    lockdep.splat(sb);
  }

  /**
   * CPU0's lines of {@code print_circular_lock_scenario()}: {@code lock(} before 6.4 ("Improve the
   * deadlock scenario print for sync and read lock", 0471db447cb7), {@code rlock(} for a read from
   * then on.
   */
  private String scenarioVerb(HeldLock h) {
    return scenarioReadForms && h.read() != 0 ? "  rlock(" : "  lock(";
  }

  /**
   * {@code print_deadlock_bug()}: the same class taken twice by one task. Its scenario prints
   * {@code lock(} for reads too, in every era.
   */
  void reportRecursive(Task t, HeldLock held, HeldLock next, String check) {
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: possible recursive locking detected"));
    sb.append(t).append(" is trying to acquire lock:\n").append(next.describe()).append("\n\n");
    sb.append("but task is already holding lock:\n").append(held.describe()).append("\n\n");
    sb.append("other info that might help us debug this:\n");
    sb.append(" Possible unsafe locking scenario:\n\n");
    sb.append("       CPU0\n       ----\n");
    sb.append("  lock(").append(held.map().lockClass().displayName()).append(");\n");
    sb.append("  lock(").append(next.map().lockClass().displayName()).append(");\n");
    sb.append("\n *** DEADLOCK ***\n\n May be due to missing lock nesting notation\n\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, check, new String[0]);
    lockdep.lastCycle = List.of(held.map().lockClass());
    lockdep.splat(sb);
  }

  /** {@code print_unlock_imbalance_bug()}: a release of a lock the task does not hold. */
  void reportUnlockImbalance(Task t, LockMap map) {
    String ip = CompiledFrames.caller(t.frames());
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: bad unlock balance detected!"));
    sb.append(t)
        .append(" is trying to release lock (")
        .append(map.lockClass().mapName())
        .append(") at:\n");
    sb.append("[<").append(textAddress(ip)).append(">] ").append(Kallsyms.symbol(ip)).append('\n');
    sb.append("but there are no more locks to release!\n");
    sb.append("\nother info that might help us debug this:\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "print_unlock_imbalance_bug", new String[0]);
    lockdep.splat(sb);
  }

  /** A kernel text address for {@code function}, for {@code print_ip_sym()}'s {@code [<%px>]}. */
  static String textAddress(String function) {
    return String.format("ffffffff81%06x", (function.hashCode() & 0xfffff) << 4);
  }

  /** {@code print_freed_lock_bug()}: {@code h}, held by {@code t}, is in memory being freed. */
  void reportFreedLock(Task t, HeldLock h, int size) {
    long from = Long.parseUnsignedLong(h.map().address(), 16);
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: held lock freed!"));
    sb.append(t)
        .append(" is freeing memory ")
        .append(h.map().address())
        .append('-')
        .append(String.format("%016x", from + size - 1))
        .append(", with a lock still held there!\n");
    sb.append(h.describe()).append('\n');
    appendHeld(sb, t);
    appendBacktrace(sb, t, "debug_check_no_locks_freed", new String[0]);
    lockdep.splat(sb);
  }

  /** The report of {@code lockdep_sys_exit()}: {@code t} returns to user space holding locks. */
  void reportHeldReturningToUser(Task t) {
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: lock held when returning to user space!"));
    sb.append(t).append(" is leaving the kernel with locks still held!\n");
    appendHeld(sb, t);
    lockdep.splat(sb);
  }

  private static void appendHeld(StringBuilder sb, Task t) {
    List<HeldLock> held = t.held();
    if (held.isEmpty()) {
      sb.append("no locks held by ").append(t).append(".\n");
      return;
    }
    sb.append(held.size())
        .append(held.size() == 1 ? " lock" : " locks")
        .append(" held by ")
        .append(t)
        .append(":\n");
    for (int i = 0; i < held.size(); i++) {
      sb.append(" #").append(i).append(": ").append(held.get(i).describe()).append('\n');
    }
  }

  private void appendBacktrace(StringBuilder sb, Task t, String check, String[] lockFrames) {
    sb.append("\nstack backtrace:\n");
    List<String> frames =
        new java.util.ArrayList<>(
            List.of("dump_stack_lvl", check, "__lock_acquire", "lock_acquire"));
    frames.addAll(Lockdep.trace(t, lockFrames));
    sb.append(
        String.join(
            "\n",
            io.slabfs.kernel.debug.DumpStack.dumpStack(
                release, dmesg.taint(), 0, t.pid(), t.comm(), frames)));
  }

  /**
   * {@code debug_show_all_locks()}: every task holding or waiting for a lock, waiters marked with
   * what they wait for and for how long.
   */
  String showAllLocks(long nowNanos) {
    StringBuilder sb = new StringBuilder("\nShowing all locks held in the system:\n");
    List<Task> all = lockdep.taskList().tasks();
    all.sort((a, b) -> Integer.compare(a.pid(), b.pid()));
    for (Task t : all) {
      if (t.held().isEmpty() && t.blocked() == null) {
        continue;
      }
      appendHeld(sb, t);
      Wait w = t.blocked();
      if (w != null) {
        sb.append("   ^ waiting in ")
            .append(w.sleepFrames()[0])
            .append(" for ")
            .append(w.what())
            .append(" (blocked ")
            .append((nowNanos - w.sinceNanos()) / 1_000_000_000L)
            .append(" s)\n");
      }
    }
    sb.append("\n=============================================\n");
    return sb.toString();
  }
}
