package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Scheduler;
import io.slabfs.kernel.locking.Task;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: fs/kernfs/dir.c.
 *
 * <p>A {@code struct kernfs_node}: a directory, an attribute file or a symlink.
 *
 * <p>Concurrency. Two counters, as in fs/kernfs/dir.c. The node stays in memory for as long as Java
 * references it (the kernel's {@code count}). {@link #active} counts callers that are running one
 * of its operations right now: it starts at {@link #DEACTIVATED_BIAS}, {@link #activate()} makes it
 * usable, {@link #getActive()} fails once {@link #deactivate()} has added the bias back, and {@link
 * KernfsRoot#drain} waits until it is back at the bias exactly. The parent link and the name never
 * change after creation.
 */
public abstract sealed class KernfsNode permits KernfsDir, KernfsFile, KernfsLink {
  /** {@code KN_DEACTIVATED_BIAS}. */
  static final int DEACTIVATED_BIAS = Integer.MIN_VALUE + 1;

  private final KernfsRoot root;
  private final KernfsDir parent;
  private final String name;
  private final long ino;

  /**
   * {@code kn->mode} and {@code kn->iattr}: what {@code stat} shows and the open check uses.
   * Replaced whole by {@link #setattr}, so a reader sees one setattr's result or the next one's.
   */
  private volatile Attrs attrs;

  private final AtomicInteger active = new AtomicInteger(DEACTIVATED_BIAS);
  private volatile boolean removed;

  /** Tasks inside an operation on this node now: whom a drain waits for. */
  private final Map<Task, Integer> holders = new ConcurrentHashMap<>();

  KernfsNode(KernfsRoot root, KernfsDir parent, String name, int mode) {
    this.root = root;
    this.parent = parent;
    this.name = name;
    this.ino = root.nextIno();
    long now = root.wallClockMillis() * 1_000_000L;
    this.attrs = new Attrs(mode, 0, 0, now, now, now);
  }

  /**
   * The attributes {@code stat} shows: mode, owner, and times in nanoseconds since the epoch (all
   * three the node's creation time until a setattr).
   */
  public record Attrs(int mode, int uid, int gid, long atime, long mtime, long ctime) {}

  public String name() {
    return name;
  }

  /** The parent directory; {@code null} only for the root. Kept after removal. */
  public KernfsDir parent() {
    return parent;
  }

  /** Permission bits (e.g. {@code 0400}), without the file type. */
  public int mode() {
    return attrs.mode();
  }

  public long ino() {
    return ino;
  }

  public Attrs attrs() {
    return attrs;
  }

  /**
   * {@code __kernfs_setattr()}: stores what {@code iattr} sets (kernfs keeps it in {@code
   * kn->iattr}, so it shows in every later {@code stat} and permission check); the change time, and
   * a time set without its {@code _SET} bit, become {@code nowNanos}.
   */
  synchronized void setattr(Iattr iattr, long nowNanos) {
    Attrs a = attrs;
    attrs =
        new Attrs(
            iattr.has(Iattr.ATTR_MODE) ? iattr.mode() & 07777 : a.mode(),
            iattr.has(Iattr.ATTR_UID) ? iattr.uid() : a.uid(),
            iattr.has(Iattr.ATTR_GID) ? iattr.gid() : a.gid(),
            !iattr.has(Iattr.ATTR_ATIME)
                ? a.atime()
                : iattr.has(Iattr.ATTR_ATIME_SET) ? iattr.atimeNanos() : nowNanos,
            !iattr.has(Iattr.ATTR_MTIME)
                ? a.mtime()
                : iattr.has(Iattr.ATTR_MTIME_SET) ? iattr.mtimeNanos() : nowNanos,
            nowNanos);
  }

  public KernfsRoot root() {
    return root;
  }

  /** {@code kernfs_active()}: activated and not yet deactivated. */
  public boolean isActive() {
    return active.get() >= 0;
  }

  /** Unlinked from its parent by {@code kernfs_remove}. */
  public boolean isRemoved() {
    return removed;
  }

  /** The path from the kernfs root, e.g. {@code kernel/slab/kmalloc-64/order}. */
  public String path() {
    if (parent == null) {
      return "";
    }
    String up = parent.path();
    return up.isEmpty() ? name : up + "/" + name;
  }

  /**
   * An active reference: while it is open, the node's operations may run and a removal's drain
   * waits for it. Closing it is {@code kernfs_put_active()}.
   */
  @FunctionalInterface
  public interface Active extends AutoCloseable {
    @Override
    void close();
  }

  /**
   * {@code kernfs_get_active()}, failing as the callers of a removed node do: {@code ENODEV}. Use
   * it in try-with-resources; closing it is {@code kernfs_put_active()}.
   */
  public Active getActive() throws ErrnoException {
    Scheduler s = root.lockdep().taskList().scheduler();
    if (s != null) {
      s.point("kernfs_get_active", this);
    }
    if (!tryGetActive()) {
      throw Errno.ENODEV.with(path() + " was removed");
    }
    return this::putActive;
  }

  /**
   * {@code kernfs_get_active()}: {@code atomic_inc_unless_negative}. Returns false once the node
   * has been deactivated. Every success must be paired with {@link #putActive()}.
   */
  private boolean tryGetActive() {
    int v;
    do {
      v = active.get();
      if (v < 0) {
        return false;
      }
    } while (!active.compareAndSet(v, v + 1));
    root.activeRefs.incrementAndGet();
    holders.merge(Task.current(), 1, Integer::sum);
    if (this instanceof KernfsFile f && f.activeMap() != null) {
      // rwsem_acquire_read(&kn->dep_map, 0, 1 /* trylock */)
      root.lockdep().acquire(f.activeMap(), 1, true);
    }
    return true;
  }

  /** {@code kernfs_put_active()}: wakes a drainer when the last active user leaves. */
  private void putActive() {
    if (this instanceof KernfsFile f && f.activeMap() != null) {
      root.lockdep().release(f.activeMap());
    }
    holders.computeIfPresent(Task.current(), (t, n) -> n == 1 ? null : n - 1);
    root.activeRefs.decrementAndGet();
    if (active.decrementAndGet() == DEACTIVATED_BIAS) {
      root.wakeDrainers();
    }
  }

  /** The tasks holding an active reference now (also for reports and tests). */
  public Collection<Task> activeHolders() {
    return List.copyOf(holders.keySet());
  }

  /** Active references held now, without the deactivation bias (for reports and tests). */
  public int activeRefs() {
    int v = active.get();
    return v < 0 ? v - DEACTIVATED_BIAS : v;
  }

  /** {@code kernfs_activate()} for this node. */
  void activate() {
    active.compareAndSet(DEACTIVATED_BIAS, 0);
  }

  /** Adds the bias: from now on every {@link #getActive()} fails. */
  void deactivate() {
    int v;
    do {
      v = active.get();
      if (v < 0) {
        return;
      }
    } while (!active.compareAndSet(v, v + DEACTIVATED_BIAS));
  }

  /** True when deactivated and no active user is left. */
  boolean drained() {
    return active.get() == DEACTIVATED_BIAS;
  }

  void markRemoved() {
    removed = true;
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "(" + path() + ")";
  }
}
