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
  private int nextClassId;
  private long zappedClasses;
  private long zappedChains;
  private int maxDepth;
  private int maxBfsQueueDepth;
  private final Map<LockClass, Map<LockClass, Dep>> forward = new LinkedHashMap<>();
  /** {@code lock_chains}: every chain of held locks validated, in the order first seen. */
  private final Map<Long, List<LockClass>> chains = new LinkedHashMap<>();
  /** Since 6.4 the scenario prints {@code rlock(} for a read held or taken. */
  private final boolean scenarioReadForms;
  private final TaskList tasks = new TaskList();
  private volatile boolean enabled = true;
  private int splats;
  private List<LockClass> lastCycle = List.of();

  public Lockdep(Dmesg dmesg, String release) {
    this.dmesg = dmesg;
    this.release = release;
    this.scenarioReadForms = releaseAtLeast(release, 6, 4);
  }

  /** Whether {@code release} ("5.19.0-slabfs") is {@code major.minor} or later; true if unparsable. */
  static boolean releaseAtLeast(String release, int major, int minor) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
    if (!m.find()) {
      return true;
    }
    int ma = Integer.parseInt(m.group(1));
    int mi = Integer.parseInt(m.group(2));
    return ma > major || (ma == major && mi >= minor);
  }

  private static final long INITIAL_CHAIN_KEY = -1L;

  /**
   * {@code iterate_chain_key()}: the 64-bit hash of the {@code hlock_id()}s of a chain (the
   * kernel mixes with {@code __jhash_mix}; a collision, as there, would skip a check).
   */
  static long iterateChainKey(long key, int id) {
    long h = (key ^ id) * 0x9E3779B97F4A7C15L;
    return h ^ (h >>> 29);
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

  /** {@code MAX_LOCKDEP_KEYS}: the size of the class table ({@code 1 << 13}). */
  public static final int MAX_LOCKDEP_KEYS = 1 << 13;

  /**
   * {@code lockdep_init_map} / {@code register_lock_class}: the class of {@code key},
   * registered on first use. Its name version is one more than the highest of the live
   * classes of that name ({@code count_matching_names()}). When the table is full lockdep
   * prints {@code BUG: MAX_LOCKDEP_KEYS too low!} and turns itself off; the lock then gets a
   * class outside the table, as lockdep no longer looks at it.
   */
  public synchronized LockClass classFor(Object key, String name, LockClass.Kind kind) {
    LockClass c = classes.get(key);
    if (c == null) {
      int version = 1;
      for (LockClass o : classes.values()) {
        if (o.name().equals(name)) {
          version = Math.max(version, o.nameVersion() + 1);
        }
      }
      c = new LockClass(name, version, kind, nextClassId++);
      if (classes.size() >= MAX_LOCKDEP_KEYS) {
        if (enabled) {
          enabled = false;
          Task t = Task.current();
          StringBuilder sb = new StringBuilder(
              "BUG: MAX_LOCKDEP_KEYS too low!\nturning off the locking correctness validator.\n");
          sb.append("CPU: 0 UID: 0 PID: ").append(t.pid()).append(" Comm: ").append(t.comm())
              .append(' ').append(dmesg.taint()).append(' ').append(release).append(" #1\n");
          sb.append("Hardware name: slabfs simulated machine\nCall Trace:\n <TASK>\n");
          for (String f : List.of("dump_stack_lvl", "register_lock_class", "__lock_acquire",
              "lock_acquire")) {
            sb.append(' ').append(Kallsyms.symbol(f)).append('\n');
          }
          for (String f : trace(t, new String[0])) {
            sb.append(' ').append(Kallsyms.symbol(f)).append('\n');
          }
          sb.append(" </TASK>");
          dmesg.printk(sb.toString());
        }
        return c;
      }
      classes.put(key, c);
    }
    return c;
  }

  /**
   * {@code lockdep_free_key_range()}: zaps every class whose key {@code inRange} accepts (a
   * module's static keys, when its memory is freed), with its dependencies and the chains
   * through it ({@code zap_class()}).
   *
   * @return the number of classes freed
   */
  public synchronized int freeKeyRange(java.util.function.Predicate<Object> inRange) {
    Set<LockClass> zap = Collections.newSetFromMap(new IdentityHashMap<>());
    classes.entrySet().removeIf(e -> {
      if (inRange.test(e.getKey())) {
        zap.add(e.getValue());
        return true;
      }
      return false;
    });
    if (zap.isEmpty()) {
      return 0;
    }
    for (LockClass c : zap) {
      forward.remove(c);
    }
    for (Map<LockClass, Dep> out : forward.values()) {
      out.keySet().removeIf(zap::contains);
    }
    int before = chains.size();
    chains.values().removeIf(chain -> chain.stream().anyMatch(zap::contains));
    zappedChains += before - chains.size();
    zappedClasses += zap.size();
    lastCycle = List.of();
    return zap.size();
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
    for (Map<LockClass, Dep> m : forward.values()) {
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
    acquire(map, read, trylock, true, lockFrames);
  }

  /**
   * {@code lock_acquire()} with {@code check}: false for an acquisition lockdep only tracks
   * ({@code rcu_read_lock}), never validates.
   */
  public void acquire(LockMap map, int read, boolean trylock, boolean check,
      String... lockFrames) {
    Task t = Task.current();
    String top = t.caller();
    HeldLock next = new HeldLock(map, read, trylock, check, Kallsyms.symbol(
        CompiledFrames.hasFrame(top) ? top : CompiledFrames.caller(t.frames())));
    map.lockClass().markUsed(read, check);
    if (enabled && !trylock && check) {
      synchronized (this) {
        if (enabled) {
          validateChain(t, next, lockFrames);
        }
      }
    }
    t.pushHeld(next);
    tasks.add(t);
  }

  /** {@code lock_release()} for the current task. */
  public void release(LockMap map) {
    Task t = Task.current();
    if (!t.popHeld(map) && enabled) {
      synchronized (this) {
        if (enabled) {
          reportUnlockImbalance(t, map);
        }
      }
    }
    tasks.forgetIfIdle(t);
  }

  /** {@code lockdep_reset}: forget every dependency and chain, and check again. */
  public synchronized void reset() {
    forward.clear();
    chains.clear();
    lastCycle = List.of();
    enabled = true;
    dmesg.printk("lockdep: all dependencies forgotten; checking again");
  }

  // ---------------------------------------------------------------------------- checking

  /**
   * {@code validate_chain()}: only a chain of held locks (classes and read states) not seen
   * before is checked, as {@code lookup_chain_cache_add()} does.
   */
  private void validateChain(Task t, HeldLock next, String[] lockFrames) {
    List<HeldLock> held = t.held();
    long chain = INITIAL_CHAIN_KEY;
    for (HeldLock h : held) {
      chain = iterateChainKey(chain, h.id());
    }
    chain = iterateChainKey(chain, next.id());
    if (chains.containsKey(chain)) {
      return;
    }
    maxDepth = Math.max(maxDepth, held.size() + 1);
    List<LockClass> classesOfChain = new ArrayList<>(held.size() + 1);
    held.forEach(h -> classesOfChain.add(h.map().lockClass()));
    classesOfChain.add(next.map().lockClass());
    chains.put(chain, classesOfChain);
    if (!checkDeadlock(t, held, next)) {
      return;
    }
    if (!held.isEmpty()) {
      checkPrevsAdd(t, held, next, lockFrames);
    }
  }

  /** {@code check_deadlock()}: the same class held already, unless read after read. */
  private boolean checkDeadlock(Task t, List<HeldLock> held, HeldLock next) {
    for (HeldLock prev : held) {
      if (prev.map().lockClass() != next.map().lockClass()) {
        continue;
      }
      if (next.read() == 2 && prev.read() != 0) {
        continue;
      }
      reportRecursive(t, prev, next, "validate_chain");
      return false;
    }
    return true;
  }

  /**
   * {@code check_prevs_add()}: a dependency from the nearest checked held lock, and from every
   * trylock above it, to the new one.
   */
  private void checkPrevsAdd(Task t, List<HeldLock> held, HeldLock next, String[] lockFrames) {
    for (int i = held.size() - 1; i >= 0; i--) {
      HeldLock prev = held.get(i);
      if (!prev.check()) {
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

  /**
   * {@code check_prev_add()}: record prev → next, typed, unless a strong path next → … → prev
   * closes a strong cycle ({@code check_noncircular()}).
   */
  private boolean checkPrevAdd(Task t, HeldLock prev, HeldLock next, String[] lockFrames) {
    LockClass p = prev.map().lockClass();
    LockClass n = next.map().lockClass();
    Node match = checkNoncircular(next, prev);
    if (match != null) {
      if (p == n) {
        reportRecursive(t, next, prev, "check_noncircular");
      } else {
        reportCircular(t, prev, next, match, lockFrames);
      }
      return false;
    }
    Map<LockClass, Dep> out = forward.computeIfAbsent(p, k -> new LinkedHashMap<>());
    Dep d = out.get(n);
    if (d != null) {
      d.dep |= calcDep(prev, next);
      return true;
    }
    out.put(n, new Dep(n, calcDep(prev, next), trace(t, lockFrames)));
    return true;
  }

  /**
   * Dependency types, {@code lock_list::dep} (lockdep.c): bit 0 is "prev is exclusive", bit 1
   * "next is not a recursive reader".
   */
  static final int DEP_SR = 1;
  static final int DEP_ER = 2;
  static final int DEP_SN = 4;
  static final int DEP_EN = 8;

  /** {@code calc_dep()}. */
  static int calcDep(HeldLock prev, HeldLock next) {
    return 1 << ((prev.read() == 0 ? 1 : 0) + ((next.read() != 2 ? 1 : 0) << 1));
  }

  /** {@code struct lock_list} of {@code locks_after}: one typed edge and its saved trace. */
  static final class Dep {
    final LockClass target;
    int dep;
    final List<String> trace;

    Dep(LockClass target, int dep, List<String> trace) {
      this.target = target;
      this.dep = dep;
      this.trace = trace;
    }
  }

  /** One step of a breadth-first search: the edge taken into {@code cls} and its parent. */
  private static final class Node {
    final LockClass cls;
    final Node parent;
    final Dep edge;
    boolean onlyXr;

    Node(LockClass cls, Node parent, Dep edge) {
      this.cls = cls;
      this.parent = parent;
      this.edge = edge;
    }
  }

  /**
   * {@code check_noncircular()} with {@code __bfs()} and {@code hlock_conflict()}: from {@code
   * next}, forwards, along strong paths only (no {@code -(*R)->} followed by {@code -(S*)->});
   * a class is visited once, marked when taken from the queue, as the kernel does. Returns the
   * node of {@code prev}'s class if adding prev → next closes a strong cycle.
   */
  private Node checkNoncircular(HeldLock next, HeldLock prev) {
    LockClass target = prev.map().lockClass();
    Node root = new Node(next.map().lockClass(), null, null);
    root.onlyXr = next.read() == 2;
    Set<LockClass> accessed = Collections.newSetFromMap(new IdentityHashMap<>());
    ArrayDeque<Node> queue = new ArrayDeque<>();
    queue.add(root);
    while (!queue.isEmpty()) {
      Node lock = queue.poll();
      if (!accessed.add(lock.cls)) {
        continue;
      }
      if (lock.parent != null) {
        int dep = lock.edge.dep;
        if (lock.parent.onlyXr) {
          dep &= ~(DEP_SR | DEP_SN);
        }
        if (dep == 0) {
          continue;
        }
        lock.onlyXr = (dep & (DEP_SN | DEP_EN)) == 0;
      }
      if (lock.cls == target && (prev.read() == 0 || !lock.onlyXr)) {
        return lock;
      }
      Map<LockClass, Dep> out = forward.get(lock.cls);
      if (out != null) {
        for (Dep d : out.values()) {
          queue.add(new Node(d.target, lock, d));
        }
        maxBfsQueueDepth = Math.max(maxBfsQueueDepth, queue.size());
      }
    }
    return null;
  }

  private static List<String> trace(Task t, String[] lockFrames) {
    List<String> frames = new ArrayList<>(List.of(lockFrames));
    frames.addAll(CompiledFrames.compiled(t.frames()));
    frames.add("do_syscall_64");
    frames.add("entry_SYSCALL_64_after_hwframe");
    return frames;
  }

  // ----------------------------------------------------------------------------- reports

  private String header(String title) {
    return "=".repeat(title.length()) + "\n" + title + "\n" + release + " #1 " + dmesg.taint()
        + "\n" + "-".repeat(title.length()) + "\n";
  }

  /** {@code print_circular_bug()}: the report of seed 001, in the kernel's layout. */
  private void reportCircular(Task t, HeldLock prev, HeldLock next, Node match,
      String[] lockFrames) {
    // the path next(p0) -> ... -> prev(pn), with the edge into each node
    List<Node> nodes = new ArrayList<>();
    for (Node x = match; x != null; x = x.parent) {
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
    sb.append(scenarioVerb(prev)).append(target.displayName()).append(");\n");
    sb.append("                               lock(").append(parent.displayName()).append(");\n");
    sb.append("                               lock(").append(target.displayName()).append(");\n");
    sb.append(scenarioVerb(next)).append(source.displayName()).append(");\n");
    sb.append("\n *** DEADLOCK ***\n\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "check_noncircular", lockFrames);
    lastCycle = path;
    splat(sb);
  }

  /**
   * CPU0's lines of {@code print_circular_lock_scenario()}: {@code lock(} before 6.4 ("Improve
   * the deadlock scenario print for sync and read lock", 0471db447cb7), {@code rlock(} for a
   * read from then on.
   */
  private String scenarioVerb(HeldLock h) {
    return scenarioReadForms && h.read() != 0 ? "  rlock(" : "  lock(";
  }

  /**
   * {@code print_deadlock_bug()}: the same class taken twice by one task. Its scenario prints
   * {@code lock(} for reads too, in every era.
   */
  private void reportRecursive(Task t, HeldLock held, HeldLock next, String check) {
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
    lastCycle = List.of(held.map().lockClass());
    splat(sb);
  }

  /** {@code print_unlock_imbalance_bug()}: a release of a lock the task does not hold. */
  private void reportUnlockImbalance(Task t, LockMap map) {
    String ip = CompiledFrames.caller(t.frames());
    StringBuilder sb = new StringBuilder("\n");
    sb.append(header("WARNING: bad unlock balance detected!"));
    sb.append(t).append(" is trying to release lock (").append(map.lockClass().mapName())
        .append(") at:\n");
    sb.append("[<").append(textAddress(ip)).append(">] ").append(Kallsyms.symbol(ip))
        .append('\n');
    sb.append("but there are no more locks to release!\n");
    sb.append("\nother info that might help us debug this:\n");
    appendHeld(sb, t);
    appendBacktrace(sb, t, "print_unlock_imbalance_bug", new String[0]);
    splat(sb);
  }

  /** A kernel text address for {@code function}, for {@code print_ip_sym()}'s {@code [<%px>]}. */
  static String textAddress(String function) {
    return String.format("ffffffff81%06x", (function.hashCode() & 0xfffff) << 4);
  }

  /**
   * {@code debug_check_no_locks_freed()}: the memory of {@code freed} (a lock instance being
   * freed or initialised again: {@code mutex_init()}, {@code init_rwsem()}, {@code
   * spin_lock_init()}) must not hold a lock the current task holds. Reports {@code held lock
   * freed!} once, as the kernel does.
   *
   * @param size {@code sizeof} the freed object, for the printed range
   */
  public void checkNoLocksFreed(Object freed, int size) {
    if (!enabled) {
      return;
    }
    Task t = Task.current();
    for (HeldLock h : t.held()) {
      if (h.map().instance() == freed) {
        synchronized (this) {
          if (!enabled) {
            return;
          }
          long from = Long.parseUnsignedLong(h.map().address(), 16);
          StringBuilder sb = new StringBuilder("\n");
          sb.append(header("WARNING: held lock freed!"));
          sb.append(t).append(" is freeing memory ").append(h.map().address()).append('-')
              .append(String.format("%016x", from + size - 1))
              .append(", with a lock still held there!\n");
          sb.append(h.describe()).append('\n');
          appendHeld(sb, t);
          appendBacktrace(sb, t, "debug_check_no_locks_freed", new String[0]);
          splat(sb);
        }
        return;
      }
    }
  }

  /**
   * {@code lockdep_sys_exit()}: called on the way back to user space (the end of every FUSE
   * request); a task still holding a modeled lock there is a kernel bug.
   *
   * @return whether it reported
   */
  public boolean checkReturnToUser(Task t) {
    List<HeldLock> held = t.held();
    if (held.isEmpty() || !enabled) {
      return false;
    }
    synchronized (this) {
      if (!enabled) {
        return false;
      }
      StringBuilder sb = new StringBuilder("\n");
      sb.append(header("WARNING: lock held when returning to user space!"));
      sb.append(t).append(" is leaving the kernel with locks still held!\n");
      appendHeld(sb, t);
      splat(sb);
      return true;
    }
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
      Map<LockClass, Dep> out = forward.getOrDefault(c, Map.of());
      sb.append(String.format("%016x FD:%5d BD:%5d %s: %s%n", 0xffffffff83000000L + c.id() * 0x10L,
          out.size(), backward.getOrDefault(c, 0), c.usage(), c.displayName()));
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

  private static String keyAddress(LockClass c) {
    return String.format("%016x", 0xffffffff83000000L + c.id() * 0x10L);
  }

  /** {@code /proc/lockdep_chains} ({@code lc_show()}): every chain validated, its classes. */
  public synchronized String procLockdepChains() {
    StringBuilder sb = new StringBuilder("all lock chains:\n");
    for (List<LockClass> chain : chains.values()) {
      sb.append("irq_context: 0\n");
      for (LockClass c : chain) {
        sb.append('[').append(keyAddress(c)).append("] ").append(c.displayName()).append('\n');
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * {@code /proc/lockdep_stats} ({@code lockdep_stats_show()}), for a kernel with {@code
   * CONFIG_PROVE_LOCKING} and the default {@code CONFIG_LOCKDEP_BITS} (15), {@code
   * _CHAINS_BITS} (16) and {@code _STACK_TRACE_BITS} (19). Nothing runs in interrupt context:
   * the irq-safe counts are 0, every write class is hardirq- and softirq-unsafe, every read
   * class read-unsafe.
   */
  public synchronized String procLockdepStats() {
    long unused = 0;
    long uncategorized = 0;
    long unsafe = 0;
    long readUnsafe = 0;
    long indirect = 0;
    int maxIndex = 0;
    for (LockClass c : classes.values()) {
      int m = c.usageMask();
      if (m == 0) {
        unused++;
      }
      if (m == LockClass.USED) {
        uncategorized++;
      }
      if ((m & LockClass.USED_WRITE) != 0) {
        unsafe++;
      }
      if ((m & LockClass.USED_READ) != 0) {
        readUnsafe++;
      }
      indirect += countForwardDeps(c);
      maxIndex = Math.max(maxIndex, c.id());
    }
    long edges = 0;
    long traceEntries = 0;
    for (Map<LockClass, Dep> out : forward.values()) {
      edges += out.size();
      for (Dep d : out.values()) {
        traceEntries += d.trace.size();
      }
    }
    long listEntries = 2 * edges; // locks_after and locks_before
    long hlocks = 0;
    for (List<LockClass> chain : chains.values()) {
      hlocks += chain.size();
    }
    int chainCount = chains.size();
    StringBuilder sb = new StringBuilder();
    stat(sb, "lock-classes", classes.size(), MAX_LOCKDEP_KEYS);
    stat(sb, "direct dependencies", listEntries, 1L << 15);
    stat(sb, "indirect dependencies", indirect, -1);
    stat(sb, "all direct dependencies", listEntries, -1);
    stat(sb, "dependency chains", chainCount, 1L << 16);
    stat(sb, "dependency chain hlocks used", hlocks, 5L << 16);
    stat(sb, "dependency chain hlocks lost", 0, -1);
    stat(sb, "in-hardirq chains", 0, -1);
    stat(sb, "in-softirq chains", 0, -1);
    stat(sb, "in-process chains", chainCount, -1);
    stat(sb, "stack-trace entries", traceEntries, 1L << 19);
    stat(sb, "number of stack traces", edges, -1);
    stat(sb, "number of stack hash chains", edges, -1);
    stat(sb, "combined max dependencies", chainCount + 1L, -1);
    stat(sb, "hardirq-safe locks", 0, -1);
    stat(sb, "hardirq-unsafe locks", unsafe, -1);
    stat(sb, "softirq-safe locks", 0, -1);
    stat(sb, "softirq-unsafe locks", unsafe, -1);
    stat(sb, "irq-safe locks", 0, -1);
    stat(sb, "irq-unsafe locks", unsafe, -1);
    stat(sb, "hardirq-read-safe locks", 0, -1);
    stat(sb, "hardirq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "softirq-read-safe locks", 0, -1);
    stat(sb, "softirq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "irq-read-safe locks", 0, -1);
    stat(sb, "irq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "uncategorized locks", uncategorized, -1);
    stat(sb, "unused locks", unused, -1);
    stat(sb, "max locking depth", maxDepth, -1);
    stat(sb, "max bfs queue depth", maxBfsQueueDepth, -1);
    stat(sb, "max lock class index", maxIndex, -1);
    stat(sb, "debug_locks", enabled ? 1 : 0, -1);
    sb.append('\n');
    stat(sb, "zapped classes", zappedClasses, -1);
    stat(sb, "zapped lock chains", zappedChains, -1);
    stat(sb, "large chain blocks", 0, -1);
    return sb.toString();
  }

  /** {@code " name:    %11lu [max: %lu]"}: the name and colon padded to 31 columns. */
  private static void stat(StringBuilder sb, String name, long value, long max) {
    sb.append(' ').append(String.format("%-31s", name + ":")).append(String.format("%11d", value));
    if (max >= 0) {
      sb.append(" [max: ").append(max).append(']');
    }
    sb.append('\n');
  }

  /** {@code lockdep_count_forward_deps()}: the classes reachable from {@code c}, itself too. */
  private int countForwardDeps(LockClass c) {
    Set<LockClass> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    ArrayDeque<LockClass> queue = new ArrayDeque<>();
    queue.add(c);
    seen.add(c);
    while (!queue.isEmpty()) {
      for (LockClass d : forward.getOrDefault(queue.poll(), Map.of()).keySet()) {
        if (seen.add(d)) {
          queue.add(d);
        }
      }
    }
    return seen.size();
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
    for (Map.Entry<LockClass, Map<LockClass, Dep>> e : forward.entrySet()) {
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
