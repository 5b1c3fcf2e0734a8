package io.slabfs.kernel.locking;

/**
 * Ours: simulator.
 *
 * <p>Thrown out of a blocking wait when the hung-task detector chose this task to break a real
 * deadlock ({@code --deadlock break}). It unwinds the kernel operation through its {@code finally}
 * blocks, releasing what it held, and the system-call edge answers {@code EDEADLK}.
 */
public final class DeadlockBroken extends RuntimeException {
  public DeadlockBroken(String message) {
    super(message, null, false, false);
  }
}
