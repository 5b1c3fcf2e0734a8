package io.slabfs.kernel.locking;

import java.util.List;

/**
 * Models: kernel/locking/mutex.c.
 *
 * <p>A kernel {@code struct mutex}: sleeping, owned by one task, not recursive. Lockdep sees every
 * acquisition before the task sleeps; a task that takes a mutex it already holds is reported and
 * really deadlocks, as in the kernel.
 *
 * <p>Concurrency: {@link #owner} is guarded by this object's monitor, which is also the lock of the
 * wait queue that waiters sleep on (so the deadlock breaker can wake one).
 */
public final class Mutex {
  private final Lockdep lockdep;
  private final LockMap map;
  private final Object classKey;
  private final WaitQueueHead wait;
  private final WaitQueueHead.Sleep sleep;
  private Task owner;

  /** The lockdep map the owner took it with (the subclass one after lockNested). */
  private LockMap heldMap;

  /**
   * @param key the lock class key: the mutex itself for a {@code DEFINE_MUTEX}, a shared key for
   *     every mutex initialised at one {@code mutex_init} site (e.g. {@code &of->mutex})
   */
  public Mutex(Lockdep lockdep, Object key, String name) {
    this.lockdep = lockdep;
    boolean isStatic = key == null;
    this.classKey = isStatic ? this : key;
    LockClass c = lockdep.classFor(classKey, name, LockClass.Kind.MUTEX);
    this.map = new LockMap(c, this, isStatic);
    this.wait = new WaitQueueHead(lockdep, this);
    this.sleep =
        new WaitQueueHead.Sleep(
            name(), this::ownerList, true, "schedule_preempt_disabled", "__mutex_lock");
  }

  /** A {@code DEFINE_MUTEX(name)}: its own class. */
  public Mutex(Lockdep lockdep, String name) {
    this(lockdep, null, name);
  }

  public String name() {
    return map.lockClass().displayName();
  }

  /** {@code mutex_lock()}: uninterruptible sleep until the mutex is free. */
  public void lock() {
    lock(map);
  }

  /**
   * {@code mutex_lock_nested(lock, subclass)}: the same mutex, seen by lockdep as another class,
   * for the rare code that legitimately nests two locks of one class.
   */
  public void lockNested(int subclass) {
    LockClass c = lockdep.subclassFor(map.lockClass(), classKey, subclass);
    lock(c == map.lockClass() ? map : new LockMap(c, this, false));
  }

  private void lock(LockMap m) {
    Scheduler s = lockdep.taskList().scheduler();
    if (s != null) {
      s.point("mutex_lock", this);
    }
    Task t = Task.current();
    lockdep.acquire(m, 0, false, "__mutex_lock");
    synchronized (this) {
      try {
        wait.waitEvent(() -> owner == null, sleep);
      } catch (DeadlockBroken e) {
        lockdep.release(m);
        throw e;
      }
      owner = t;
      heldMap = m;
    }
  }

  private synchronized List<Task> ownerList() {
    return owner == null ? List.of() : List.of(owner);
  }

  /** {@code mutex_trylock()}. */
  public boolean tryLock() {
    Task t = Task.current();
    synchronized (this) {
      if (owner != null) {
        return false;
      }
      owner = t;
      heldMap = map;
    }
    lockdep.acquire(map, 0, true);
    return true;
  }

  public void unlock() {
    LockMap m;
    synchronized (this) {
      if (owner != Task.current()) {
        throw new IllegalStateException(
            "mutex_unlock(" + name() + ") by " + Task.current() + ", owner " + owner);
      }
      owner = null;
      m = heldMap;
      heldMap = null;
      wait.wakeUpAll();
    }
    lockdep.release(m);
  }

  /** {@code mutex_is_locked()}. */
  public synchronized boolean isLocked() {
    return owner != null;
  }

  /** {@code lockdep_assert_held()}. */
  public synchronized boolean isHeldByCurrentTask() {
    return owner == Task.current();
  }

  @Override
  public String toString() {
    return name();
  }
}
