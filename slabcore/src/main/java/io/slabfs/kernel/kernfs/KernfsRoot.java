package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Scheduler;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitQueueHead;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.LongSupplier;

/**
 * Models: fs/kernfs/dir.c.
 *
 * <p>A {@code struct kernfs_root}: the tree, its {@code kernfs_rwsem}, and the {@code
 * deactivate_waitq} on which removers drain (fs/kernfs/dir.c).
 *
 * <p>Concurrency. The rwsem guards every directory's children. Lookups take it for read; creation
 * and unlinking for write. {@link #remove} deactivates the whole subtree under the write lock, then
 * drains node by node with the lock dropped, exactly as {@code __kernfs_remove} does, so a remover
 * never holds the rwsem while it waits for a {@code show()} or {@code store()} to return. The drain
 * is a real wait on {@link #deactivateWaitq}, woken by the close of the last {@link
 * KernfsNode.Active} reference.
 */
public final class KernfsRoot {
  private final ReentrantReadWriteLock rwsem = new ReentrantReadWriteLock();
  private final WaitQueueHead deactivateWaitq;
  private final WaitQueueHead openFilesChanged;
  private final AtomicLong lastIno = new AtomicLong(1);
  private final AtomicInteger nodes = new AtomicInteger();
  final AtomicLong activeRefs = new AtomicLong();
  final AtomicInteger openFiles = new AtomicInteger();
  private final LongSupplier wallClockMillis;
  private final KernfsDir rootDir;
  private final Lockdep lockdep;

  /** The key of every open file's {@code &of->mutex} ({@code mutex_init} in kernfs_fop_open). */
  final Object ofMutexKey = new Object();

  /** The key of {@code sb_writers} of this filesystem type. */
  final Object sbWritersKey = new Object();

  /**
   * The key of procfs's {@code sb_writers} (its {@code s_writers_key}), which the boot registers
   * under this name; written by a sysctl's {@code vfs_write}.
   */
  public static final String PROC_SB_WRITERS_KEY = "s_writers_key of proc";

  /** The key of every {@code seq_file}'s {@code &p->lock} ({@code mutex_init} in seq_open). */
  final Object seqFileLockKey = new Object();

  public KernfsRoot(Lockdep lockdep, LongSupplier wallClockMillis) {
    this.lockdep = lockdep;
    this.deactivateWaitq = new WaitQueueHead(lockdep);
    this.openFilesChanged = new WaitQueueHead(lockdep);
    this.wallClockMillis = wallClockMillis;
    this.rootDir = new KernfsDir(this, null, "", 0755);
    rootDir.activate();
  }

  public KernfsDir rootDir() {
    return rootDir;
  }

  public Lockdep lockdep() {
    return lockdep;
  }

  /** {@code kernfs_rwsem}, which {@link Namei} holds for read across a walk. */
  ReentrantReadWriteLock rwsem() {
    return rwsem;
  }

  long nextIno() {
    return lastIno.incrementAndGet();
  }

  long wallClockMillis() {
    return wallClockMillis.getAsLong();
  }

  /** Number of nodes linked into the tree (the root not counted). */
  public int nodeCount() {
    return nodes.get();
  }

  /** Active references held right now, over all nodes. */
  public long activeRefCount() {
    return activeRefs.get();
  }

  /** Open files not yet released. */
  public int openFileCount() {
    return openFiles.get();
  }

  /** Woken whenever an open file is released, for {@link Vfs#awaitOpenFiles}. */
  WaitQueueHead openFilesChanged() {
    return openFilesChanged;
  }

  /** A file was opened. */
  void openedFile() {
    openFiles.incrementAndGet();
    openFilesChanged.wakeUpAll();
  }

  /** An open file was released. */
  void releasedFile() {
    openFiles.decrementAndGet();
    openFilesChanged.wakeUpAll();
  }

  /** {@code kernfs_create_dir()}: a new, active directory; {@code EEXIST} if the name is taken. */
  public KernfsDir createDir(KernfsDir parent, String name, int mode) throws ErrnoException {
    return add(parent, new KernfsDir(this, parent, name, mode));
  }

  /** {@code __kernfs_create_file()}: a new, active attribute file. */
  public KernfsFile createFile(KernfsDir parent, String name, int mode, KernfsOps ops, long size)
      throws ErrnoException {
    return add(parent, new KernfsFile(this, parent, name, mode, ops, size));
  }

  /** {@code kernfs_create_link()}: a new, active symlink to {@code target}. */
  public KernfsLink createLink(KernfsDir parent, String name, KernfsNode target)
      throws ErrnoException {
    return add(parent, new KernfsLink(this, parent, name, target));
  }

  /**
   * {@code kernfs_add_one()}: links the node under its parent and activates it. The name is taken
   * as long as a node of that name is linked, even one being removed.
   */
  private <N extends KernfsNode> N add(KernfsDir parent, N kn) throws ErrnoException {
    rwsem.writeLock().lock();
    try {
      if (!parent.isActive()) {
        throw Errno.ENOENT.with("parent " + parent.path() + " is being removed");
      }
      if (parent.childAnyState(kn.name()) != null) {
        throw Errno.EEXIST.with("duplicate filename '" + kn.path() + "'");
      }
      parent.link(kn);
      nodes.incrementAndGet();
      kn.activate();
      return kn;
    } finally {
      rwsem.writeLock().unlock();
    }
  }

  /**
   * {@code kernfs_remove()}: deactivates {@code kn} and everything below it, then drains and
   * unlinks them one at a time, leftmost descendant first and {@code kn} last. Returns when no
   * {@code show()} or {@code store()} on any of them is still running.
   */
  public void remove(KernfsNode kn) {
    try (Task.Frame f = Task.enter("kernfs_remove")) {
      removeSubtree(kn);
    }
  }

  /** {@code __kernfs_remove()}: what {@link #remove} and {@link #removeByName} share. */
  private void removeSubtree(KernfsNode kn) {
    List<KernfsNode> postOrder = new ArrayList<>();
    rwsem.writeLock().lock();
    try {
      if (kn.isRemoved() || kn.parent() == null) {
        return;
      }
      collectPostOrder(kn, postOrder);
      for (KernfsNode pos : postOrder) {
        pos.deactivate();
      }
    } finally {
      rwsem.writeLock().unlock();
    }
    for (KernfsNode pos : postOrder) {
      drain(pos);
      rwsem.writeLock().lock();
      try {
        if (!pos.isRemoved()) {
          pos.parent().unlink(pos);
          pos.markRemoved();
          nodes.decrementAndGet();
        }
      } finally {
        rwsem.writeLock().unlock();
      }
    }
  }

  /** {@code kernfs_setattr()}: a symlink keeps mode 0777, as {@code stat} shows it on sysfs. */
  public void setattr(KernfsNode kn, Iattr iattr) {
    Iattr effective =
        kn instanceof KernfsLink
            ? new Iattr(
                iattr.valid() & ~Iattr.ATTR_MODE,
                0,
                iattr.uid(),
                iattr.gid(),
                iattr.atimeNanos(),
                iattr.mtimeNanos())
            : iattr;
    kn.setattr(effective, wallClockMillis() * 1_000_000L);
  }

  /** {@code kernfs_remove_by_name()}: removes the child of that name if there is one. */
  public boolean removeByName(KernfsDir parent, String name) {
    KernfsNode kn;
    rwsem.readLock().lock();
    try {
      kn = parent.childAnyState(name);
    } finally {
      rwsem.readLock().unlock();
    }
    if (kn == null) {
      return false;
    }
    try (Task.Frame f = Task.enter("kernfs_remove_by_name_ns")) {
      removeSubtree(kn);
    }
    return true;
  }

  private static void collectPostOrder(KernfsNode kn, List<KernfsNode> out) {
    if (kn instanceof KernfsDir dir) {
      for (KernfsNode child : dir.allChildren()) {
        collectPostOrder(child, out);
      }
    }
    out.add(kn);
  }

  /**
   * {@code kernfs_drain()}: waits, uninterruptibly and without a timeout, until every active
   * reference on the deactivated node has been put.
   */
  void drain(KernfsNode kn) {
    if (!(kn instanceof KernfsFile file) || file.activeMap() == null) {
      return; // procfs files are never removed while the model runs
    }
    Scheduler s = lockdep.taskList().scheduler();
    if (s != null && !kn.drained()) {
      s.point("kernfs_drain", kn); // a drained node stays drained: no other order matters
    }
    // rwsem_acquire(&kn->dep_map): "every lock the remover holds -> kn->active"
    lockdep.acquire(file.activeMap(), 0, false, "__kernfs_remove");
    try {
      if (kn.drained()) {
        return;
      }
      deactivateWaitq.waitEvent(
          kn::drained,
          new WaitQueueHead.Sleep(
              "drain of " + kn.path(),
              kn::activeHolders,
              false,
              "kernfs_drain",
              "__kernfs_remove"));
    } finally {
      lockdep.release(file.activeMap());
    }
  }

  void wakeDrainers() {
    deactivateWaitq.wakeUpAll();
  }

  /** An active child of {@code dir} by name. */
  public Optional<KernfsNode> child(KernfsDir dir, String name) {
    rwsem.readLock().lock();
    try {
      return dir.child(name);
    } finally {
      rwsem.readLock().unlock();
    }
  }

  /** The active children of {@code dir}, in listing order. */
  public List<KernfsNode> children(KernfsDir dir) {
    rwsem.readLock().lock();
    try {
      return dir.activeChildren();
    } finally {
      rwsem.readLock().unlock();
    }
  }

  /** {@code st_nlink} of a directory. */
  public int nlink(KernfsDir dir) {
    rwsem.readLock().lock();
    try {
      return dir.nlink();
    } finally {
      rwsem.readLock().unlock();
    }
  }
}
