package io.slabfs.kernel.locking;

/**
 * Models: include/linux/lockdep_types.h.
 *
 * <p>A lockdep lock class ({@code struct lock_class}): every lock initialised from the same key
 * shares it, e.g. every cache's {@code cpu_partial} file shares one {@code kn->active} class.
 * Classes that share a name are told apart by their name version: {@code kn->active#43}.
 */
public final class LockClass {
  /**
   * What kind of lock it is, for the usage string lockdep prints after the name: the usage
   * characters ({@code get_usage_chars()}: fixed for the model's own locks, or from how the class
   * was used) and the wait types ({@code -{outer:inner}}).
   */
  public enum Kind {
    /** A mutex: {@code {+.+.}-{3:3}}. */
    MUTEX("{+.+.}-{3:3}"),
    /**
     * An rwsem-like lock taken for read and write ({@code cpu_hotplug_lock}, {@code kn->active}).
     */
    RWSEM("{++++}-{0:0}"),
    /** {@code sb_writers}: read side only. */
    PERCPU_READ("{.+.+}-{0:0}"),
    /** A completion or work item wait: {@code (wq_completion)...}. */
    COMPLETION("{+.+.}-{0:0}"),
    /** {@code struct rw_semaphore}: {@code LD_WAIT_SLEEP}. */
    RW_SEMAPHORE(null, "-{3:3}"),
    /** {@code struct percpu_rw_semaphore}, {@code kn->active}: {@code lockdep_init_map}, 0. */
    PERCPU_RWSEM(null, "-{0:0}"),
    /** {@code spinlock_t}: {@code LD_WAIT_CONFIG}, which is {@code LD_WAIT_SPIN} (2). */
    SPINLOCK(null, "-{2:2}"),
    /** {@code rwlock_t}. */
    RWLOCK(null, "-{2:2}"),
    /** {@code rcu_read_lock}: never validated, {@code LD_WAIT_FREE}:{@code LD_WAIT_CONFIG}. */
    RCU(null, "-{1:2}");

    final String usage;
    final String waitTypes;

    Kind(String usage) {
      this(usage, null);
    }

    Kind(String usage, String waitTypes) {
      this.usage = usage;
      this.waitTypes = waitTypes;
    }
  }

  static final int USED_WRITE = 1;
  static final int USED_READ = 2;

  /** {@code LOCKF_USED}: acquired at all, checked or not. */
  static final int USED = 4;

  private volatile int usageMask;

  private final String name;
  private final int nameVersion;
  private final Kind kind;
  private final int id;

  LockClass(String name, int nameVersion, Kind kind, int id) {
    this.name = name;
    this.nameVersion = nameVersion;
    this.kind = kind;
    this.id = id;
  }

  /**
   * The name as lockdep prints it: {@code name}, {@code name#N} from the second class of that name
   * on, and a subclass after a slash: {@code &of->mutex/1}.
   */
  public String displayName() {
    int slash = name.lastIndexOf('/');
    if (slash > 0 && name.substring(slash + 1).chars().allMatch(Character::isDigit)) {
      String base = name.substring(0, slash);
      return (nameVersion > 1 ? base + "#" + nameVersion : base) + name.substring(slash);
    }
    return nameVersion > 1 ? name + "#" + nameVersion : name;
  }

  public String name() {
    return name;
  }

  /**
   * The name a {@code lockdep_map} of this class carries ({@code print_lockdep_cache()}): the name
   * given at init, without the name version or subclass.
   */
  public String mapName() {
    int slash = name.lastIndexOf('/');
    if (slash > 0 && name.substring(slash + 1).chars().allMatch(Character::isDigit)) {
      return name.substring(0, slash);
    }
    return name;
  }

  public Kind kind() {
    return kind;
  }

  /** {@code (name){usage}}, as in every lockdep line. */
  public String withUsage() {
    return "(" + displayName() + ")" + usage();
  }

  /**
   * {@code {usage}-{outer:inner}}: in process context with interrupts on, a write marks {@code
   * ENABLED_HARDIRQ} and {@code ENABLED_SOFTIRQ} ({@code +.+.}), a read their {@code _READ} twins
   * ({@code .+.+}).
   */
  String usage() {
    if (kind.usage != null) {
      return kind.usage;
    }
    int m = usageMask;
    char w = (m & USED_WRITE) != 0 ? '+' : '.';
    char r = (m & USED_READ) != 0 ? '+' : '.';
    return "{" + w + r + w + r + "}" + kind.waitTypes;
  }

  /** {@code mark_usage()}: a checked acquisition marks how; every one marks it used. */
  void markUsed(int read, boolean check) {
    int bit = USED | (check ? (read == 0 ? USED_WRITE : USED_READ) : 0);
    if ((usageMask & bit) != bit) {
      usageMask |= bit;
    }
  }

  int id() {
    return id;
  }

  int nameVersion() {
    return nameVersion;
  }

  /** {@code usage_mask}: whether the class was ever taken (for write, for read). */
  int usageMask() {
    return usageMask;
  }

  @Override
  public String toString() {
    return displayName();
  }
}
