package io.slabfs.kernel.locking;

import io.slabfs.kernel.debug.Kallsyms;

/**
 * Models: include/linux/lockdep_types.h.
 *
 * <p>A lock instance as lockdep sees it ({@code struct lockdep_map}): its class and an address to
 * print.
 */
public final class LockMap {
  private final LockClass lockClass;
  private final String address;
  private final Object instance;

  public LockMap(LockClass lockClass, Object instance, boolean isStatic) {
    this.lockClass = lockClass;
    this.address = Kallsyms.address(instance, isStatic);
    this.instance = instance;
  }

  /** The lock this map belongs to ({@code hlock->instance}'s owner). */
  public Object instance() {
    return instance;
  }

  public LockClass lockClass() {
    return lockClass;
  }

  public String address() {
    return address;
  }

  @Override
  public String toString() {
    return lockClass.displayName();
  }
}
