package io.slabfs.kernel.slab;

import io.slabfs.kernel.debug.KernelClock;

/**
 * {@code struct ratelimit_state} and {@code ___ratelimit()} (lib/ratelimit.c): at most {@code
 * burst} reports per {@code interval}; when a new interval begins after suppressed ones, the kernel
 * first prints {@code "<func>: N callbacks suppressed"}.
 *
 * <p>Concurrency: guarded by this object's monitor (the kernel's {@code rs->lock}).
 */
final class Ratelimit {
  private final String func;
  private final long intervalNanos;
  private final int burst;
  private final KernelClock clock;
  private long begin = -1;
  private int printed;
  private int missed;

  Ratelimit(String func, long intervalMillis, int burst, KernelClock clock) {
    this.func = func;
    this.intervalNanos = intervalMillis * 1_000_000L;
    this.burst = burst;
    this.clock = clock;
  }

  /**
   * {@code __ratelimit()}: {@code null} when this report is suppressed; otherwise the line to print
   * before it ({@code "func: N callbacks suppressed"}), or an empty string.
   */
  synchronized String check() {
    long now = clock.nanosSinceBoot();
    String note = "";
    if (begin < 0) {
      begin = now;
    }
    if (now - begin > intervalNanos) {
      if (missed > 0) {
        note = func + ": " + missed + " callbacks suppressed";
        missed = 0;
      }
      begin = now;
      printed = 0;
    }
    if (burst > printed) {
      printed++;
      return note;
    }
    missed++;
    return null;
  }
}
