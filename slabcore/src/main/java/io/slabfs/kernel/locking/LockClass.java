package io.slabfs.kernel.locking;

/**
 * Models: include/linux/lockdep_types.h.
 *
 * <p>A lockdep lock class ({@code struct lock_class}): every lock initialised from the same key
 * shares it, e.g. every cache's {@code cpu_partial} file shares one {@code kn->active} class.
 * Classes that share a name are told apart by their name version: {@code kn->active#43}.
 */
public final class LockClass {
  /** What kind of lock it is, for the usage string lockdep prints after the name. */
  public enum Kind {
    /** A mutex: {@code {+.+.}-{3:3}}. */
    MUTEX("{+.+.}-{3:3}"),
    /** An rwsem-like lock taken for read and write ({@code cpu_hotplug_lock}, {@code kn->active}). */
    RWSEM("{++++}-{0:0}"),
    /** {@code sb_writers}: read side only. */
    PERCPU_READ("{.+.+}-{0:0}"),
    /** A completion or work item wait: {@code (wq_completion)...}. */
    COMPLETION("{+.+.}-{0:0}");

    final String usage;

    Kind(String usage) {
      this.usage = usage;
    }
  }

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
   * The name as lockdep prints it: {@code name}, {@code name#N} from the second class of that
   * name on, and a subclass after a slash: {@code &of->mutex/1}.
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
   * The name a {@code lockdep_map} of this class carries ({@code print_lockdep_cache()}): the
   * name given at init, without the name version or subclass.
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
    return "(" + displayName() + ")" + kind.usage;
  }

  int id() {
    return id;
  }

  @Override
  public String toString() {
    return displayName();
  }
}
