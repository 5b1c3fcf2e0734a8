package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Kallsyms;
import io.slabfs.kernel.debug.Dmesg;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Models: kernel/locking/lockdep.c.
 *
 * <p>The lock validator, for the locks of one simulated kernel.
 *
 * <p>Every acquisition goes through {@link #acquire} before the task blocks: the lock is
 * pushed on the task's held locks and, unless it is a trylock or recursive read, a dependency
 * is recorded from the nearest held lock (and from every trylock above it) to the new one,
 * with the current call path. If the new lock already reaches the held one, the cycle is
 * reported in the kernel's words ({@code WARNING: possible circular locking dependency
 * detected}) and lockdep turns itself off until {@link #reset}, as {@code
 * debug_locks_off()} does. Read acquisitions of rwsems are non-recursive reads and count like
 * writes for cycles, as they can block behind a waiting writer.
 *
 * <p>Concurrency: the class table and the graph are guarded by this object's monitor; a
 * check runs entirely under it, so two tasks closing a cycle together produce one report.
 * Tasks that hold or wait for a lock are kept in the {@link TaskList}, which {@code held_locks}
 * and the hung-task detector walk.
 */
public final class Lockdep {
  private static final String EQ54 = "=".repeat(54);
  private static final String DASH54 = "-".repeat(54);

  private final Dmesg dmesg;
  private final String release;
  private final Map<Object, LockClass> classes = new IdentityHashMap<>();
  private final Map<String, Integer> nameVersions = new HashMap<>();
  private final Map<LockClass, Map<LockClass, List<String>>> forward = new LinkedHashMap<>();
  private final TaskList tasks = new TaskList();
  private volatile boolean enabled = true;
  private int splats;
  private List<LockClass> lastCycle = List.of();

  public Lockdep(Dmesg dmesg, String release) {
    this.dmesg = dmesg;
    this.release = release;
  }

  public Dmesg dmesg() {
    return dmesg;
  }

  /** The class of {@code key} taken with {@code subclass} ({@code mutex_lock_nested}). */
  public synchronized LockClass subclassFor(LockClass base, Object key, int subclass) {
    if (subclass == 0) {
      return base;
    }
    return classFor(new SubclassKey(key, subclass), base.name() + "/" + subclass, base.kind());
  }

  private record SubclassKey(Object key, int subclass) {}

  /** {@code lockdep_init_map}: the class of {@code key}, registered on first use. */
  public synchronized LockClass classFor(Object key, String name, LockClass.Kind kind) {
    LockClass c = classes.get(key);
    if (c == null) {
      int version = nameVersions.merge(name, 1, Integer::sum);
      c = new LockClass(name, version, kind, classes.size());
      classes.put(key, c);
    }
    return c;
  }

  /** {@code debug_locks_off()} without a report: held locks are still tracked, not checked. */
  public void turnOff() {
    enabled = false;
  }

  /** Whether lockdep is still checking (false after its first report). */
  public boolean enabled() {
    return enabled;
  }

  public synchronized int classCount() {
    return classes.size();
  }

  public synchronized int dependencyCount() {
    int n = 0;
    for (Map<LockClass, List<String>> m : forward.values()) {
      n += m.size();
    }
    return n;
  }

  public synchronized int splatCount() {
    return splats;
  }

  /** The task list this lockdep walks for {@code debug_show_all_locks()}. */
  public TaskList taskList() {
    return tasks;
  }

  /**
   * Waits until at least {@code n} tasks are blocked; false on timeout. Kept for {@code
   * sim/ctl}'s {@code await blocked} until it asks {@link #taskList} itself.
   */
  public boolean awaitBlocked(int n, long timeoutMillis) {
    return tasks.awaitBlocked(n, timeoutMillis);
  }

  /**
   * {@code lock_acquire()} for the current task.
   *
   * @param read 0 write, 1 non-recursive read, 2 recursive read
   * @param lockFrames the lock function's own frames, innermost first (e.g. {@code
   *     __mutex_lock}), for the saved stack trace
   */
  public void acquire(LockMap map, int read, boolean trylock, String... lockFrames) {
    Task t = Task.current();
    HeldLock next = new HeldLock(map, read, trylock, Kallsyms.symbol(t.caller()));
    if (enabled && !trylock && read != 2) {
      synchronized (this) {
        if (enabled) {
          validate(t, next, lockFrames);
        }
      }
    }
    t.pushHeld(next);
    tasks.add(t);
  }

  /** {@code lock_release()} for the current task. */
  public void release(LockMap map) {
    Task t = Task.current();
    t.popHeld(map);
    tasks.forgetIfIdle(t);
  }

  /** {@code lockdep_reset}: forget every dependency and check again. */
  public synchronized void reset() {
    forward.clear();
    lastCycle = List.of();
    enabled = true;
    dmesg.printk("lockdep: all dependencies forgotten; checking again");
  }

  // ---------------------------------------------------------------------------- checking

  private void validate(Task t, HeldLock next, String[] lockFrames) {
    List<HeldLock> held = t.held();
    for (HeldLock h : held) {
      if (h.map().lockClass() == next.map().lockClass() && !(next.read() == 2 && h.read() != 0)) {
        reportRecursive(t, h, next);
        return;
      }
    }
    for (int i = held.size() - 1; i >= 0; i--) {
      HeldLock prev = held.get(i);
      if (prev.read() == 2) {
        continue;
      }
      if (!checkPrevAdd(t, prev, next, lockFrames)) {
        return;
      }
      if (!prev.trylock()) {
        break;
      }
    }
  }

  /** {@code check_prev_add()}: record prev → next unless next already reaches prev. */
  private boolean checkPrevAdd(Task t, HeldLock prev, HeldLock next, String[] lockFrames) {
    LockClass p = prev.map().lockClass();
    LockClass n = next.map().lockClass();
    Map<LockClass, List<String>> out = forward.computeIfAbsent(p, k -> new LinkedHashMap<>());
    if (out.containsKey(n)) {
      return true;
    }
    List<LockClass> path = findPath(n, p);
    if (path != null) {
      reportCircular(t, prev, next, path, lockFrames);
      return false;
    }
    out.put(n, trace(t, lockFrames));
    return true;
  }

  /** Breadth-first search over forward dependencies: the shortest path from → to, or null. */
  private List<LockClass> findPath(LockClass from, LockClass to) {
    Map<LockClass, LockClass> parent = new IdentityHashMap<>();
    ArrayDeque<LockClass> queue = new ArrayDeque<>();
    queue.add(from);
    parent.put(from, from);
    while (!queue.isEmpty()) {
      LockClass c = queue.poll();
      if (c == to) {
        List<LockClass> path = new ArrayList<>();
        for (LockClass x = to; x != from; x = parent.get(x)) {
          path.add(x);
        }
        path.add(from);
        Collections.reverse(path);
        return path;
      }
      for (LockClass d : forward.getOrDefault(c, Map.of()).keySet()) {
        if (!parent.containsKey(d)) {
          parent.put(d, c);
          queue.add(d);
        }
      }
    }
    return null;
  }

  private static List<String> trace(Task t, String[] lockFrames) {
    List<String> frames = new ArrayList<>(List.of(lockFrames));
    frames.addAll(t.frames());
    frames.add("do_syscall_64");
    frames.add("entry_SYSCALL_64_after_hwframe");
    return frames;
  }

  // ----------------------------------------------------------------------------- reports

  private String header(String title) {
    return EQ54 + "\n" + title + "\n" + release + " #1 " + dmesg.taint() + "\n" + DASH54 + "\n";
  }

  /** {@code print_circular_bug()}: the report of seed 001, in the kernel's layout. */
  private void reportCircular(
      Task t, HeldLock prev, HeldLock next, List<LockClass> path, String[] lockFrames) {
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: possible circular locking dependency detected"));
    sb.append(t).append(" is trying to acquire lock:\n").append(next.describe()).append("\n\n");
    sb.append("but task is already holding lock:\n").append(prev.describe()).append("\n\n");
    sb.append("which lock already depends on the new lock.\n\n\n");
    sb.append("the existing dependency chain (in reverse order) is:\n");
    // path = next(p0) ... prev(pn); print pn..p1 with the trace of the edge into each
    for (int k = path.size() - 1; k >= 1; k--) {
      LockClass c = path.get(k);
      sb.append("\n-> #").append(k).append(' ').append(c.withUsage()).append(":\n");
      for (String f : forward.get(path.get(k - 1)).get(c)) {
        sb.append("       ").append(Kallsyms.symbol(f)).append('\n');
      }
    }
    LockClass source = path.get(0);
    sb.append("\n-> #0 ").append(source.withUsage()).append(":\n");
    sb.append("       ").append(Kallsyms.symbol("__lock_acquire")).append('\n');
    sb.append("       ").append(Kallsyms.symbol("lock_acquire")).append('\n');
    for (String f : trace(t, lockFrames)) {
      sb.append("       ").append(Kallsyms.symbol(f)).append('\n');
    }
    sb.append("\nother info that might help us debug this:\n\n");
    LockClass target = path.get(path.size() - 1);
    LockClass parent = path.get(path.size() - 2);
    if (parent != source) {
      sb.append("Chain exists of:\n  ").append(source.displayName()).append(" --> ")
          .append(parent.displayName()).append(" --> ").append(target.displayName())
          .append("\n\n");
    }
    sb.append(" Possible unsafe locking scenario:\n\n");
    sb.append("       CPU0                    CPU1\n");
    sb.append("       ----                    ----\n");
    sb.append(prev.read() != 0 ? "  rlock(" : "  lock(").append(target.displayName()).append(");\n");
    sb.append("                               lock(").append(parent.displayName()).append(");\n");
    sb.append("                               lock(").append(target.displayName()).append(");\n");
    sb.append(next.read() != 0 ? "  rlock(" : "  lock(").append(source.displayName()).append(");\n");
    sb.append("\n *** DEADLOCK ***\n\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "check_noncircular", lockFrames);
    lastCycle = new ArrayList<>(path);
    splat(sb);
  }

  /** {@code print_deadlock_bug()}: the same class taken twice by one task. */
  private void reportRecursive(Task t, HeldLock held, HeldLock next) {
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: possible recursive locking detected"));
    sb.append(t).append(" is trying to acquire lock:\n").append(next.describe()).append("\n\n");
    sb.append("but task is already holding lock:\n").append(held.describe()).append("\n\n");
    sb.append("other info that might help us debug this:\n");
    sb.append(" Possible unsafe locking scenario:\n\n");
    sb.append("       CPU0\n       ----\n");
    String name = held.map().lockClass().displayName();
    sb.append(held.read() != 0 ? "  rlock(" : "  lock(").append(name).append(");\n");
    sb.append(next.read() != 0 ? "  rlock(" : "  lock(").append(name).append(");\n");
    sb.append("\n *** DEADLOCK ***\n\n May be due to missing lock nesting notation\n\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "validate_chain", new String[0]);
    lastCycle = List.of(held.map().lockClass());
    splat(sb);
  }

  private void splat(StringBuilder sb) {
    splats++;
    enabled = false;
    dmesg.printk(sb.toString());
  }

  private static void appendHeld(StringBuilder sb, Task t) {
    List<HeldLock> held = t.held();
    if (held.isEmpty()) {
      sb.append("no locks held by ").append(t).append(".\n");
      return;
    }
    sb.append(held.size()).append(held.size() == 1 ? " lock" : " locks").append(" held by ")
        .append(t).append(":\n");
    for (int i = 0; i < held.size(); i++) {
      sb.append(" #").append(i).append(": ").append(held.get(i).describe()).append('\n');
    }
  }

  private void appendBacktrace(StringBuilder sb, Task t, String check, String[] lockFrames) {
    sb.append("\nstack backtrace:\n");
    List<String> frames = new java.util.ArrayList<>(
        List.of("dump_stack_lvl", check, "__lock_acquire", "lock_acquire"));
    frames.addAll(trace(t, lockFrames));
    sb.append(String.join("\n", io.slabfs.kernel.debug.DumpStack.dumpStack(release,
        dmesg.taint(), 0, t.pid(), t.comm(), frames)));
  }

  /**
   * {@code debug_show_all_locks()}: every task holding or waiting for a lock, waiters marked
   * with what they wait for and for how long.
   */
  public String showAllLocks(long nowNanos) {
    StringBuilder sb = new StringBuilder("\nShowing all locks held in the system:\n");
    List<Task> all = tasks.tasks();
    all.sort((a, b) -> Integer.compare(a.pid(), b.pid()));
    for (Task t : all) {
      if (t.held().isEmpty() && t.blocked() == null) {
        continue;
      }
      appendHeld(sb, t);
      Wait w = t.blocked();
      if (w != null) {
        sb.append("   ^ waiting in ").append(w.sleepFrames()[0]).append(" for ").append(w.what())
            .append(" (blocked ").append((nowNanos - w.sinceNanos()) / 1_000_000_000L)
            .append(" s)\n");
      }
    }
    sb.append("\n=============================================\n");
    return sb.toString();
  }

  /** {@code /proc/lockdep}: each class with its forward dependencies. */
  public synchronized String procLockdep() {
    StringBuilder sb = new StringBuilder("all lock classes:\n");
    Map<LockClass, Integer> backward = new HashMap<>();
    forward.values().forEach(m -> m.keySet().forEach(c -> backward.merge(c, 1, Integer::sum)));
    for (LockClass c : classes.values()) {
      Map<LockClass, List<String>> out = forward.getOrDefault(c, Map.of());
      sb.append(String.format("%016x FD:%5d BD:%5d %s: %s%n", 0xffffffff83000000L + c.id() * 0x10L,
          out.size(), backward.getOrDefault(c, 0), c.kind().usage, c.displayName()));
      for (LockClass d : out.keySet()) {
        sb.append(String.format(" -> [%016x] %s%n", 0xffffffff83000000L + d.id() * 0x10L,
            d.displayName()));
      }
      sb.append('\n');
    }
    sb.append("lockdep ").append(enabled ? "on" : "off (after a report; lockdep_reset re-arms it)")
        .append('\n');
    return sb.toString();
  }

  /** The dependency graph in Graphviz DOT; the edges of the reported cycle in red. */
  public synchronized String dot() {
    StringBuilder sb = new StringBuilder("digraph lockdep {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    Set<String> cycleEdges = new java.util.HashSet<>();
    for (int i = 0; i < lastCycle.size(); i++) {
      LockClass a = lastCycle.get(i);
      LockClass b = lastCycle.get((i + 1) % lastCycle.size());
      cycleEdges.add(a.displayName() + "->" + b.displayName());
    }
    for (Map.Entry<LockClass, Map<LockClass, List<String>>> e : forward.entrySet()) {
      for (LockClass d : e.getValue().keySet()) {
        String key = e.getKey().displayName() + "->" + d.displayName();
        sb.append("  \"").append(e.getKey().displayName()).append("\" -> \"")
            .append(d.displayName()).append('"')
            .append(cycleEdges.contains(key) ? " [color=red, penwidth=2.5]" : "").append(";\n");
      }
    }
    if (lastCycle.size() > 1) {
      // the closing edge was refused, so draw it too
      LockClass last = lastCycle.get(lastCycle.size() - 1);
      sb.append("  \"").append(last.displayName()).append("\" -> \"")
          .append(lastCycle.get(0).displayName())
          .append("\" [color=red, penwidth=2.5, style=dashed, label=\"closes the cycle\"];\n");
    }
    return sb.append("}\n").toString();
  }
}
