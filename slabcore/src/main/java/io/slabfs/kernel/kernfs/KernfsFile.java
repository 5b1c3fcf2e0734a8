package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.locking.LockClass;
import io.slabfs.kernel.locking.LockMap;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: fs/kernfs/file.c.
 *
 * <p>A kernfs attribute file. {@link #size()} is what {@code stat} reports: {@code PAGE_SIZE} for
 * text attributes, the real size for binary ones.
 */
public final class KernfsFile extends KernfsNode {
  private final KernfsOps ops;
  private final long size;
  private final LockMap activeMap;

  KernfsFile(KernfsRoot root, KernfsDir parent, String name, int mode, KernfsOps ops, long size) {
    super(root, parent, name, mode);
    this.ops = ops;
    this.size = size;
    // one kn->active class per attribute definition (its lock class key); procfs has none
    this.activeMap =
        ops.procfs() || ops.sysctl()
            ? null
            : new LockMap(
                root.lockdep().classFor(ops.activeKey(), "kn->active", LockClass.Kind.RWSEM),
                this,
                false);
  }

  /** {@code on->event}: bumped by {@code kernfs_notify()}; starts at 1. */
  private final AtomicInteger event = new AtomicInteger(1);

  /** {@code on->poll}: the pollers to wake at the next notify (each once). */
  private final List<Runnable> pollers = new ArrayList<>();

  int event() {
    return event.get();
  }

  /** {@code poll_wait(filp, &on->poll, wait)}. */
  synchronized void pollWait(Runnable wake) {
    pollers.add(wake);
  }

  /**
   * {@code kernfs_notify()} ({@code sysfs_notify()}): pollers of this attribute see {@code
   * EPOLLERR|EPOLLPRI} until they read it again, and are woken now.
   */
  public void notifyPollers() {
    List<Runnable> wake;
    synchronized (this) {
      event.incrementAndGet();
      wake = new ArrayList<>(pollers);
      pollers.clear();
    }
    for (Runnable w : wake) {
      w.run();
    }
  }

  /** Whether this is a procfs file ({@link KernfsOps#procfs()} or a sysctl). */
  public boolean procfs() {
    return activeMap == null;
  }

  /** The {@code kn->dep_map} of this file's active reference; {@code null} for procfs files. */
  LockMap activeMap() {
    return activeMap;
  }

  public KernfsOps ops() {
    return ops;
  }

  /** {@code st_size}: the size it was created with, or what its ops say now. */
  public long size() throws io.slabfs.kernel.errno.ErrnoException {
    long now = ops.size();
    return now >= 0 ? now : size;
  }
}
