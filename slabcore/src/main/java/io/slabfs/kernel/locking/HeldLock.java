package io.slabfs.kernel.locking;

/**
 * Models: include/linux/lockdep_types.h.
 *
 * <p>One entry of a task's {@code held_locks}: which instance of which class, how it was taken, and
 * where ({@code acquire_ip}, shown after {@code at:}).
 *
 * @param read 0 for a write (exclusive) acquisition, 1 for a non-recursive read, 2 recursive
 * @param check 0 for an acquisition lockdep tracks but does not validate ({@code rcu_read_lock}:
 *     {@code lock_acquire(map, 0, 0, 2, 0, ...)})
 */
public record HeldLock(LockMap map, int read, boolean trylock, boolean check, String at) {
  public HeldLock(LockMap map, int read, boolean trylock, String at) {
    this(map, read, trylock, true, at);
  }

  /** {@code " #N: ADDR (name){usage}, at: func+0x../0x.."}, without the index. */
  String describe() {
    return map.address() + " " + map.lockClass().withUsage() + ", at: " + at;
  }

  /** {@code hlock_id()}: the class and the read state, as the chain key hashes them. */
  int id() {
    return map.lockClass().id() << 2 | read;
  }
}
