package io.slabfs.kernel.locking;

import java.util.function.BooleanSupplier;

/**
 * Sleeping on a Java monitor: uninterruptible ({@code TASK_UNINTERRUPTIBLE}) in kernel code,
 * with a timeout for the {@code sim/ctl await} commands.
 */
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

  /**
   * {@code wait_event_timeout()} on a monitor the caller holds, for the {@code sim/ctl await}
   * commands: true once {@code condition} holds (checked after every wake-up), false when
   * {@code timeoutMillis} have passed or the waiter is interrupted.
   */
  static boolean awaitUntil(Object monitor, BooleanSupplier condition, long timeoutMillis) {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (!condition.getAsBoolean()) {
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      try {
        monitor.wait(left);
      } catch (InterruptedException e) {
        return false;
      }
    }
    return true;
  }
}
