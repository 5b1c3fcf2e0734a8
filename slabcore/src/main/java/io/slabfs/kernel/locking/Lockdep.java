package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Kallsyms;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Models: kernel/locking/lockdep.c. Its report printing is in {@link LockdepReport}, its {@code
 * /proc} views (kernel/locking/lockdep_proc.c) in {@link LockdepProc}. What is left, about 520
 * lines, is the class table, the dependency graph with its chains and the checks that walk it, all
 * under this object's monitor; it stays one class for that.
 *
 * <p>The lock validator, for the locks of one simulated kernel.
 *
 * <p>Every acquisition goes through {@link #acquire} before the task blocks: the lock is pushed on
 * the task's held locks and, unless it is a trylock or recursive read, a dependency is recorded
 * from the nearest held lock (and from every trylock above it) to the new one, with the current
 * call path. If the new lock already reaches the held one, the cycle is reported in the kernel's
 * words ({@code WARNING: possible circular locking dependency detected}) and lockdep turns itself
 * off until {@link #reset}, as {@code debug_locks_off()} does. Read acquisitions of rwsems are
 * non-recursive reads and count like writes for cycles, as they can block behind a waiting writer.
 *
 * <p>Concurrency: the class table and the graph are guarded by this object's monitor; a check runs
 * entirely under it, so two tasks closing a cycle together produce one report. Tasks that hold or
 * wait for a lock are kept in the {@link TaskList}, which {@code held_locks} and the hung-task
 * detector walk.
 */
public final class Lockdep {

  private final Dmesg dmesg;
  private final String release;
  final IdentityHashMap<Object, LockClass> classes = new IdentityHashMap<>();
  private int nextClassId;
  long zappedClasses;
  long zappedChains;
  int maxDepth;
  int maxBfsQueueDepth;
  final Map<LockClass, Map<LockClass, Dep>> forward = new LinkedHashMap<>();

  /** {@code lock_chains}: every chain of held locks validated, in the order first seen. */
  final Map<Long, List<LockClass>> chains = new LinkedHashMap<>();

  private final LockdepReport report;
  private final TaskList tasks = new TaskList();
  volatile boolean enabled = true;
  private int splats;
  List<LockClass> lastCycle = List.of();

  public Lockdep(Dmesg dmesg, String release) {
    this.dmesg = dmesg;
    this.release = release;
    this.report = new LockdepReport(this, dmesg, release);
  }

  /**
   * Whether {@code release} ("5.19.0-slabfs") is {@code major.minor} or later; true if unparsable.
   */
  static boolean releaseAtLeast(String release, int major, int minor) {
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("^(\\d+)\\.(\\d+)").matcher(release);
    if (!m.find()) {
      return true;
    }
    int ma = Integer.parseInt(m.group(1));
    int mi = Integer.parseInt(m.group(2));
    return ma > major || (ma == major && mi >= minor);
  }

  private static final long INITIAL_CHAIN_KEY = -1L;

  /**
   * {@code iterate_chain_key()}: the 64-bit hash of the {@code hlock_id()}s of a chain (the kernel
   * mixes with {@code __jhash_mix}; a collision, as there, would skip a check).
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
   * {@code lockdep_init_map} / {@code register_lock_class}: the class of {@code key}, registered on
   * first use. Its name version is one more than the highest of the live classes of that name
   * ({@code count_matching_names()}). When the table is full lockdep prints {@code BUG:
   * MAX_LOCKDEP_KEYS too low!} and turns itself off; the lock then gets a class outside the table,
   * as lockdep no longer looks at it.
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
          StringBuilder sb =
              new StringBuilder(
                  "BUG: MAX_LOCKDEP_KEYS too low!\nturning off the locking correctness validator.\n");
          sb.append("CPU: 0 UID: 0 PID: ")
              .append(t.pid())
              .append(" Comm: ")
              .append(t.comm())
              .append(' ')
              .append(dmesg.taint())
              .append(' ')
              .append(release)
              .append(" #1\n");
          sb.append("Hardware name: slabfs simulated machine\nCall Trace:\n <TASK>\n");
          for (String f :
              List.of("dump_stack_lvl", "register_lock_class", "__lock_acquire", "lock_acquire")) {
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
   * module's static keys, when its memory is freed), with its dependencies and the chains through
   * it ({@code zap_class()}).
   *
   * @return the number of classes freed
   */
  public synchronized int freeKeyRange(java.util.function.Predicate<Object> inRange) {
    Set<LockClass> zap = Collections.newSetFromMap(new IdentityHashMap<>());
    classes
        .entrySet()
        .removeIf(
            e -> {
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
   * Waits until at least {@code n} tasks are blocked; false on timeout. Kept for {@code sim/ctl}'s
   * {@code await blocked} until it asks {@link #taskList} itself.
   */
  public boolean awaitBlocked(int n, long timeoutMillis) {
    return tasks.awaitBlocked(n, timeoutMillis);
  }

  /**
   * {@code lock_acquire()} for the current task.
   *
   * @param read 0 write, 1 non-recursive read, 2 recursive read
   * @param lockFrames the lock function's own frames, innermost first (e.g. {@code __mutex_lock}),
   *     for the saved stack trace
   */
  public void acquire(LockMap map, int read, boolean trylock, String... lockFrames) {
    acquire(map, read, trylock, true, lockFrames);
  }

  /**
   * {@code lock_acquire()} with {@code check}: false for an acquisition lockdep only tracks ({@code
   * rcu_read_lock}), never validates.
   */
  public void acquire(LockMap map, int read, boolean trylock, boolean check, String... lockFrames) {
    Task t = Task.current();
    String top = t.caller();
    HeldLock next =
        new HeldLock(
            map,
            read,
            trylock,
            check,
            Kallsyms.symbol(
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
          report.reportUnlockImbalance(t, map);
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
   * {@code validate_chain()}: only a chain of held locks (classes and read states) not seen before
   * is checked, as {@code lookup_chain_cache_add()} does.
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
      report.reportRecursive(t, prev, next, "validate_chain");
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
        report.reportRecursive(t, next, prev, "check_noncircular");
      } else {
        report.reportCircular(t, prev, next, match, lockFrames);
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
   * Dependency types, {@code lock_list::dep} (lockdep.c): bit 0 is "prev is exclusive", bit 1 "next
   * is not a recursive reader".
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
  static final class Node {
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
   * next}, forwards, along strong paths only (no {@code -(*R)->} followed by {@code -(S*)->}); a
   * class is visited once, marked when taken from the queue, as the kernel does. Returns the node
   * of {@code prev}'s class if adding prev → next closes a strong cycle.
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

  static List<String> trace(Task t, String[] lockFrames) {
    List<String> frames = new ArrayList<>(List.of(lockFrames));
    frames.addAll(CompiledFrames.compiled(t.frames()));
    frames.add("do_syscall_64");
    frames.add("entry_SYSCALL_64_after_hwframe");
    return frames;
  }

  /**
   * {@code debug_check_no_locks_freed()}: the memory of {@code freed} (a lock instance being freed
   * or initialised again: {@code mutex_init()}, {@code init_rwsem()}, {@code spin_lock_init()})
   * must not hold a lock the current task holds. Reports {@code held lock freed!} once, as the
   * kernel does.
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
          report.reportFreedLock(t, h, size);
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
      report.reportHeldReturningToUser(t);
      return true;
    }
  }

  void splat(StringBuilder sb) {
    splats++;
    enabled = false;
    dmesg.printk(sb.toString());
  }

  /** {@code debug_show_all_locks()}: see {@link LockdepReport}. */
  public String showAllLocks(long nowNanos) {
    return report.showAllLocks(nowNanos);
  }

  /** {@code /proc/lockdep}: see {@link LockdepProc}. */
  public synchronized String procLockdep() {
    return LockdepProc.procLockdep(this);
  }

  /** {@code /proc/lockdep_chains}: see {@link LockdepProc}. */
  public synchronized String procLockdepChains() {
    return LockdepProc.procLockdepChains(this);
  }

  /** {@code /proc/lockdep_stats}: see {@link LockdepProc}. */
  public synchronized String procLockdepStats() {
    return LockdepProc.procLockdepStats(this);
  }

  /** The dependency graph in Graphviz DOT; the edges of the reported cycle in red. */
  public synchronized String dot() {
    return LockdepProc.dot(this);
  }
}
