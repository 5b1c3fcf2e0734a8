package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Dmesg;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Ours: simulator (the lock playground, {@code slabfs lockdep FILE}).
 *
 * <p>A script of lock declarations and lock events, fed in order to a fresh {@link Lockdep}, the
 * class the mount uses, each event attributed to its task. Like the kernel's {@code
 * lib/locking-selftest.c}, it is a validation of dependencies: nothing blocks, a task that "waits"
 * for a lock another task holds simply takes it.
 *
 * <pre>
 * lock A mutex                  # declare instance A of type mutex, its own lock class
 * lock X1 rwsem class=X         # X1 and X2: two instances of one class X
 * T1 mutex_lock A               # TASK OPERATION LOCK
 * T1 rcu_read_lock              # no lock: rcu_lock_map
 * </pre>
 *
 * <p>The operations are the kernel API's, annotated as the kernel annotates them (read = 0
 * exclusive, 1 non-recursive reader, 2 recursive reader): {@code down_read} 1; {@code read_lock} 2
 * (the selftests' {@code force_read_lock_recursive}); {@code percpu_down_read} 1; {@code
 * kernfs_get_active} a read trylock; {@code kernfs_drain} a write acquire and release; {@code
 * rcu_read_lock} a recursive read lockdep does not check. The {@code *_init} operations
 * re-initialise a lock ({@code debug_check_no_locks_freed()}).
 */
public final class LockScript {
  /** A malformed script: the 1-based line and what is wrong. */
  public static final class ScriptError extends Exception {
    private final int line;

    ScriptError(int line, String message) {
      super("line " + line + ": " + message);
      this.line = line;
    }

    public int line() {
      return line;
    }
  }

  /** A lock type of the playground: its lockdep kind and {@code sizeof} for the freed range. */
  enum Type {
    MUTEX("mutex", LockClass.Kind.MUTEX, 32),
    RWSEM("rwsem", LockClass.Kind.RW_SEMAPHORE, 40),
    PERCPU_RWSEM("percpu_rwsem", LockClass.Kind.PERCPU_RWSEM, 48),
    SPINLOCK("spinlock", LockClass.Kind.SPINLOCK, 4),
    RWLOCK("rwlock", LockClass.Kind.RWLOCK, 8),
    KN_ACTIVE("kn_active", LockClass.Kind.PERCPU_RWSEM, 4);

    final String word;
    final LockClass.Kind kind;
    final int size;

    Type(String word, LockClass.Kind kind, int size) {
      this.word = word;
      this.kind = kind;
      this.size = size;
    }

    static Type of(String word) {
      for (Type t : values()) {
        if (t.word.equals(word)) {
          return t;
        }
      }
      return null;
    }
  }

  private enum Action {
    ACQUIRE,
    RELEASE,
    ACQUIRE_RELEASE,
    INIT
  }

  /** One operation: its type, what lockdep sees, and the lock function's frames. */
  private enum Op {
    MUTEX_LOCK(Type.MUTEX, Action.ACQUIRE, 0, false, "__mutex_lock"),
    MUTEX_TRYLOCK(Type.MUTEX, Action.ACQUIRE, 0, true),
    MUTEX_UNLOCK(Type.MUTEX, Action.RELEASE, 0, false),
    MUTEX_INIT(Type.MUTEX, Action.INIT, 0, false),
    DOWN_READ(Type.RWSEM, Action.ACQUIRE, 1, false, "down_read"),
    DOWN_READ_TRYLOCK(Type.RWSEM, Action.ACQUIRE, 1, true),
    UP_READ(Type.RWSEM, Action.RELEASE, 0, false),
    DOWN_WRITE(Type.RWSEM, Action.ACQUIRE, 0, false, "down_write"),
    DOWN_WRITE_TRYLOCK(Type.RWSEM, Action.ACQUIRE, 0, true),
    UP_WRITE(Type.RWSEM, Action.RELEASE, 0, false),
    INIT_RWSEM(Type.RWSEM, Action.INIT, 0, false),
    PERCPU_DOWN_READ(Type.PERCPU_RWSEM, Action.ACQUIRE, 1, false),
    PERCPU_UP_READ(Type.PERCPU_RWSEM, Action.RELEASE, 0, false),
    PERCPU_DOWN_WRITE(Type.PERCPU_RWSEM, Action.ACQUIRE, 0, false, "percpu_down_write"),
    PERCPU_UP_WRITE(Type.PERCPU_RWSEM, Action.RELEASE, 0, false),
    SPIN_LOCK(Type.SPINLOCK, Action.ACQUIRE, 0, false, "_raw_spin_lock"),
    SPIN_UNLOCK(Type.SPINLOCK, Action.RELEASE, 0, false),
    SPIN_LOCK_INIT(Type.SPINLOCK, Action.INIT, 0, false),
    READ_LOCK(Type.RWLOCK, Action.ACQUIRE, 2, false, "_raw_read_lock"),
    READ_UNLOCK(Type.RWLOCK, Action.RELEASE, 0, false),
    WRITE_LOCK(Type.RWLOCK, Action.ACQUIRE, 0, false, "_raw_write_lock"),
    WRITE_UNLOCK(Type.RWLOCK, Action.RELEASE, 0, false),
    RWLOCK_INIT(Type.RWLOCK, Action.INIT, 0, false),
    KERNFS_GET_ACTIVE(Type.KN_ACTIVE, Action.ACQUIRE, 1, true),
    KERNFS_PUT_ACTIVE(Type.KN_ACTIVE, Action.RELEASE, 0, false),
    KERNFS_DRAIN(Type.KN_ACTIVE, Action.ACQUIRE_RELEASE, 0, false, "kernfs_drain"),
    RCU_READ_LOCK(null, Action.ACQUIRE, 2, false),
    RCU_READ_UNLOCK(null, Action.RELEASE, 0, false);

    final Type type;
    final Action action;
    final int read;
    final boolean trylock;

    @SuppressWarnings("ImmutableEnumChecker") // never written after construction
    final String[] frames;

    Op(Type type, Action action, int read, boolean trylock, String... frames) {
      this.type = type;
      this.action = action;
      this.read = read;
      this.trylock = trylock;
      this.frames = frames;
    }

    String word() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Op of(String word) {
      for (Op o : values()) {
        if (o.word().equals(word)) {
          return o;
        }
      }
      return null;
    }
  }

  private record Decl(String name, Type type, String className) {}

  private record Event(int line, String task, Op op, String lock) {}

  private final Map<String, Decl> locks;
  private final List<Event> events;

  private LockScript(Map<String, Decl> locks, List<Event> events) {
    this.locks = locks;
    this.events = events;
  }

  /** Every operation word, for help texts. */
  public static List<String> operations() {
    List<String> out = new ArrayList<>();
    for (Op o : Op.values()) {
      out.add(o.word());
    }
    return out;
  }

  /** Parses a script; nothing runs until {@link #run}. */
  public static LockScript parse(String text) throws ScriptError {
    Map<String, Decl> locks = new LinkedHashMap<>();
    Map<String, Type> classTypes = new HashMap<>();
    List<Event> events = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      int n = i + 1;
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      String[] w = line.split("\\s+");
      if (w[0].equals("lock")) {
        if (w.length < 3 || w.length > 4) {
          throw new ScriptError(n, "expected 'lock NAME TYPE [class=CLASS]'");
        }
        Type type = Type.of(w[2]);
        if (type == null) {
          throw new ScriptError(
              n,
              "unknown lock type '"
                  + w[2]
                  + "' (mutex, rwsem, percpu_rwsem, spinlock, rwlock, kn_active)");
        }
        if (locks.containsKey(w[1])) {
          throw new ScriptError(n, "lock '" + w[1] + "' declared twice");
        }
        String cls = w[1];
        if (w.length == 4) {
          if (!w[3].startsWith("class=") || w[3].length() == "class=".length()) {
            throw new ScriptError(n, "expected class=CLASS, not '" + w[3] + "'");
          }
          cls = w[3].substring("class=".length());
        }
        Type known = classTypes.putIfAbsent(cls, type);
        if (known != null && known != type) {
          throw new ScriptError(
              n, "class '" + cls + "' is a " + known.word + ", not a " + type.word);
        }
        locks.put(w[1], new Decl(w[1], type, cls));
        continue;
      }
      if (w.length < 2) {
        throw new ScriptError(n, "expected 'TASK OPERATION [LOCK]' or 'lock NAME TYPE'");
      }
      Op op = Op.of(w[1]);
      if (op == null) {
        throw new ScriptError(n, "unknown operation '" + w[1] + "'");
      }
      if (op.type == null) {
        if (w.length != 2) {
          throw new ScriptError(n, w[1] + " takes no lock");
        }
        events.add(new Event(n, w[0], op, null));
        continue;
      }
      if (w.length != 3) {
        throw new ScriptError(n, "expected 'TASK " + w[1] + " LOCK'");
      }
      Decl d = locks.get(w[2]);
      if (d == null) {
        throw new ScriptError(n, "lock '" + w[2] + "' is not declared");
      }
      if (d.type != op.type) {
        throw new ScriptError(
            n, w[1] + " needs a " + op.type.word + "; " + w[2] + " is a " + d.type.word);
      }
      events.add(new Event(n, w[0], op, w[2]));
    }
    return new LockScript(locks, events);
  }

  /**
   * Runs the events on a fresh lockdep printing to its own ring.
   *
   * @param release {@code uname -r} for the report headers, e.g. {@code 6.18.0-slabfs}
   */
  public Lockdep run(String release) {
    Lockdep lockdep = new Lockdep(new Dmesg(() -> 0L), release);
    run(lockdep);
    return lockdep;
  }

  /** Runs the events on {@code lockdep}. */
  public void run(Lockdep lockdep) {
    Map<String, Object> classKeys = new HashMap<>();
    Map<String, LockMap> maps = new HashMap<>();
    Map<String, Object> instances = new HashMap<>();
    for (Decl d : locks.values()) {
      Object key = classKeys.computeIfAbsent(d.className, k -> new Object());
      Object instance = new Object();
      instances.put(d.name, instance);
      maps.put(
          d.name, new LockMap(lockdep.classFor(key, d.className, d.type.kind), instance, true));
    }
    LockMap rcu = null;
    Map<String, Task> tasks = new LinkedHashMap<>();
    for (Event e : events) {
      Task t =
          tasks.computeIfAbsent(
              e.task,
              name ->
                  new Task(1000 + tasks.size(), name.length() > 15 ? name.substring(0, 15) : name));
      LockMap map;
      if (e.op.type == null) {
        if (rcu == null) {
          Object key = new Object();
          rcu = new LockMap(lockdep.classFor(key, "rcu_read_lock", LockClass.Kind.RCU), key, true);
        }
        map = rcu;
      } else {
        map = maps.get(e.lock);
      }
      Object instance = e.lock == null ? null : instances.get(e.lock);
      int size = e.op.type == null ? 0 : e.op.type.size;
      Task.runAs(
          t,
          () -> {
            try (Task.Frame f = t.frame(e.task)) {
              switch (e.op.action) {
                case ACQUIRE ->
                    lockdep.acquire(map, e.op.read, e.op.trylock, e.op.type != null, e.op.frames);
                case RELEASE -> lockdep.release(map);
                case ACQUIRE_RELEASE -> {
                  lockdep.acquire(map, e.op.read, e.op.trylock, e.op.frames);
                  lockdep.release(map);
                }
                case INIT -> lockdep.checkNoLocksFreed(instance, size);
              }
            }
            return null;
          });
    }
  }
}
