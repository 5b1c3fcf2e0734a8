package io.slabfs.kernel.cpu;

import java.util.BitSet;
import java.util.function.LongSupplier;

/**
 * Models: kernel/cpu.c (the cpumasks it defines).
 *
 * <p>The CPU masks ({@code cpu_possible_mask}, {@code cpu_present_mask}, {@code cpu_online_mask})
 * and the CPU-to-node map. CPUs are spread over nodes in contiguous blocks, as firmware usually
 * numbers them.
 *
 * <p>Concurrency: the online mask is changed only by CPU hotplug, under {@code cpus_write_lock};
 * readers take a consistent snapshot under this object's monitor.
 */
public final class Cpus {
  private final int possible;
  private final int nodes;
  private final BitSet online;

  /** The kernel's clock (nanoseconds since boot). */
  private final LongSupplier clock;

  /**
   * Per CPU: the time it has spent online before its current online period ({@code
   * cpustat[CPUTIME_IDLE]}: a simulated CPU runs nothing, so all its time is idle), and when its
   * current online period began.
   */
  private final long[] idleNanos;

  private final long[] onlineSince;

  public Cpus(int possible, int nodes) {
    this(possible, nodes, System::nanoTime);
  }

  /** The masks, every CPU online from now on {@code clock}. */
  public Cpus(int possible, int nodes, LongSupplier clock) {
    if (possible < 1 || nodes < 1 || nodes > possible) {
      throw new IllegalArgumentException("need 1 <= nodes <= cpus");
    }
    this.possible = possible;
    this.nodes = nodes;
    this.online = new BitSet(possible);
    this.clock = clock;
    this.idleNanos = new long[possible];
    this.onlineSince = new long[possible];
    online.set(0, possible);
    long now = clock.getAsLong();
    java.util.Arrays.fill(onlineSince, now);
  }

  /**
   * The idle time of {@code cpu} in nanoseconds, as {@code /proc/stat} counts it ({@code
   * get_idle_time()}): every moment it has been online, the current period included.
   */
  public synchronized long idleNanos(int cpu) {
    return idleNanos[cpu] + (online.get(cpu) ? clock.getAsLong() - onlineSince[cpu] : 0);
  }

  /** {@code nr_cpu_ids}. */
  public int nrPossible() {
    return possible;
  }

  /** {@code num_present_cpus()}: every possible CPU is present. */
  public int nrPresent() {
    return possible;
  }

  /** {@code nr_node_ids}. */
  public int nrNodes() {
    return nodes;
  }

  /** {@code cpu_to_node()}. */
  public int cpuToNode(int cpu) {
    return (int) ((long) cpu * nodes / possible);
  }

  public synchronized boolean isOnline(int cpu) {
    return online.get(cpu);
  }

  public synchronized int numOnline() {
    return online.cardinality();
  }

  /** A copy of the online mask. */
  public synchronized BitSet onlineMask() {
    return (BitSet) online.clone();
  }

  /** Called by hotplug with the write lock held. */
  synchronized void setOnline(int cpu, boolean on) {
    if (on == online.get(cpu)) {
      return;
    }
    long now = clock.getAsLong();
    if (on) {
      onlineSince[cpu] = now;
    } else {
      idleNanos[cpu] += now - onlineSince[cpu];
    }
    online.set(cpu, on);
  }

  /** The possible mask as {@code %*pbl} prints it, e.g. {@code 0-1}. */
  public String possibleList() {
    BitSet all = new BitSet();
    all.set(0, possible);
    return cpulist(all);
  }

  /** The CPUs of {@code node}, online or not (the firmware's {@code node_to_cpumask}). */
  public BitSet cpusOfNode(int node) {
    BitSet m = new BitSet();
    for (int cpu = 0; cpu < possible; cpu++) {
      if (cpuToNode(cpu) == node) {
        m.set(cpu);
      }
    }
    return m;
  }

  /**
   * {@code %*pb} of a mask of {@code nr_cpu_ids} bits (lib/vsprintf.c bitmap_string()): hex, most
   * significant 32-bit chunk first, chunks separated by commas, each zero-padded to its width (the
   * first one to the bits it has), e.g. {@code 3} for CPUs 0-1 of 2, {@code 01} for CPU 0 of 8,
   * {@code 0,00000001} for CPU 0 of 33.
   */
  public String cpumap(BitSet mask) {
    StringBuilder sb = new StringBuilder();
    int chunk = possible % 32 == 0 ? 32 : possible % 32;
    for (int lo = (possible + 31) / 32 * 32 - 32; lo >= 0; lo -= 32) {
      long val = 0;
      for (int b = 0; b < chunk; b++) {
        if (mask.get(lo + b)) {
          val |= 1L << b;
        }
      }
      if (sb.length() > 0) {
        sb.append(',');
      }
      String hex = Long.toHexString(val);
      int width = (chunk + 3) / 4;
      sb.append("0".repeat(Math.max(0, width - hex.length()))).append(hex);
      chunk = 32;
    }
    return sb.toString();
  }

  /** {@code %*pbl}: ranges, comma separated, e.g. {@code 0,2-3}; empty for an empty mask. */
  public static String cpulist(BitSet mask) {
    StringBuilder sb = new StringBuilder();
    int i = mask.nextSetBit(0);
    while (i >= 0) {
      int end = mask.nextClearBit(i) - 1;
      if (sb.length() > 0) {
        sb.append(',');
      }
      sb.append(i);
      if (end > i) {
        sb.append('-').append(end);
      }
      i = mask.nextSetBit(end + 1);
    }
    return sb.toString();
  }
}
