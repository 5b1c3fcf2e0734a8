package io.slabfs.kernel.locking;

/** Uninterruptible sleeping ({@code TASK_UNINTERRUPTIBLE}) on a Java monitor. */
final class Waits {
  private Waits() {}

  /**
   * {@code monitor.wait()}, ignoring interrupts as a D-state sleep ignores signals. The caller
   * holds the monitor and re-checks its condition after every wake-up.
   */
  static void await(Object monitor) {
    try {
      monitor.wait();
    } catch (InterruptedException e) {
      // TASK_UNINTERRUPTIBLE: only the condition (or the deadlock breaker) ends the sleep
    }
  }
}
