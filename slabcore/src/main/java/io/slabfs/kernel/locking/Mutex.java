package io.slabfs.kernel.locking;

import java.util.concurrent.locks.ReentrantLock;

/**
 * A kernel {@code struct mutex}: sleeping, not recursive, owned by one task. Named by its lock
 * class (e.g. {@code slab_mutex}) so reports can print it.
 *
 * <p>Recursion is a bug in the kernel (lockdep reports it, the task deadlocks); here it is
 * refused with an {@link IllegalStateException} rather than silently allowed.
 */
public final class Mutex {
  private final String name;
  private final ReentrantLock lock = new ReentrantLock();

  public Mutex(String name) {
    this.name = name;
  }

  public String name() {
    return name;
  }

  /** {@code mutex_lock()}: uninterruptible sleep until the mutex is free. */
  public void lock() {
    if (lock.isHeldByCurrentThread()) {
      throw new IllegalStateException("recursive mutex_lock(" + name + ") by " + Task.current());
    }
    lock.lock();
  }

  /** {@code mutex_trylock()}. */
  public boolean tryLock() {
    return !lock.isHeldByCurrentThread() && lock.tryLock();
  }

  public void unlock() {
    lock.unlock();
  }

  /** {@code mutex_is_locked()}. */
  public boolean isLocked() {
    return lock.isLocked();
  }

  /** {@code lockdep_assert_held()}, as far as ownership can be checked. */
  public boolean isHeldByCurrentTask() {
    return lock.isHeldByCurrentThread();
  }

  @Override
  public String toString() {
    return name;
  }
}
