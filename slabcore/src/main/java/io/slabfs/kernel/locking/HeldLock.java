package io.slabfs.kernel.locking;

/**
 * Models: include/linux/lockdep_types.h.
 *
 * <p>One entry of a task's {@code held_locks}: which instance of which class, how it was taken,
 * and where ({@code acquire_ip}, shown after {@code at:}).
 *
 * @param read 0 for a write (exclusive) acquisition, 1 for a non-recursive read, 2 recursive
 */
public record HeldLock(LockMap map, int read, boolean trylock, String at) {
  /** {@code " #N: ADDR (name){usage}, at: func+0x../0x.."}, without the index. */
  String describe() {
    return map.address() + " " + map.lockClass().withUsage() + ", at: " + at;
  }
}
