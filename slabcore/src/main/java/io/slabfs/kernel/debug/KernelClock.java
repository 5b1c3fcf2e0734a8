package io.slabfs.kernel.debug;

/**
 * Models: kernel/sched/clock.c.
 *
 * <p>Monotonic time since boot, in nanoseconds, as {@code local_clock()} gives it. Injectable so
 * tests can drive time by hand.
 */
@FunctionalInterface
public interface KernelClock {
  long nanosSinceBoot();

  /** A clock that starts at zero now and follows {@link System#nanoTime()}. */
  static KernelClock system() {
    long boot = System.nanoTime();
    return () -> System.nanoTime() - boot;
  }
}
