package io.slabfs.kernel.sim;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.locking.TaskList;

/**
 * Models: fs/proc/stat.c.
 *
 * <p>{@code /proc/stat} ({@code show_stat()}) of the simulated machine. Its CPUs run nothing: all
 * the time a CPU has been online is idle time ({@link Cpus#idleNanos}), and user, nice, system,
 * iowait, irq, softirq, steal and guest time stay 0. The {@code cpu} line sums every possible CPU
 * (an offline CPU keeps the idle time it had), the {@code cpuN} lines are the online CPUs only, in
 * clock ticks ({@code USER_HZ} 100). The model has no interrupts: {@code intr} and {@code softirq}
 * count 0 ({@code NR_IRQS_LEGACY} and {@code NR_SOFTIRQS} columns). {@code ctxt} is the model's
 * sleeps in a wait, {@code processes} the processes that have taken a modeled lock, {@code
 * procs_running} the tasks in the kernel and not asleep (the reader among them), {@code
 * procs_blocked} the tasks in an I/O wait ({@code nr_iowait()}), of which the model has none.
 */
final class ProcStat {
  /** {@code NSEC_PER_SEC / USER_HZ}. */
  private static final long NSEC_PER_TICK = 10_000_000L;

  /** {@code NR_IRQS_LEGACY}: the interrupt columns of {@code intr}. */
  private static final int NR_IRQS = 16;

  /** {@code NR_SOFTIRQS}. */
  private static final int NR_SOFTIRQS = 10;

  private ProcStat() {}

  /** {@code show_stat()}; {@code bootEpochSecs} is {@code btime}. */
  static String show(Cpus cpus, TaskList tasks, long bootEpochSecs) {
    long idle = 0;
    long[] perCpu = new long[cpus.nrPossible()];
    for (int i = 0; i < perCpu.length; i++) {
      perCpu[i] = cpus.idleNanos(i);
      idle += perCpu[i];
    }
    StringBuilder sb = new StringBuilder("cpu ");
    times(sb, idle);
    java.util.BitSet online = cpus.onlineMask();
    for (int i = online.nextSetBit(0); i >= 0; i = online.nextSetBit(i + 1)) {
      sb.append("cpu").append(i);
      times(sb, perCpu[i]);
    }
    sb.append("intr 0");
    for (int i = 0; i < NR_IRQS; i++) {
      sb.append(" 0");
    }
    sb.append("\nctxt ")
        .append(tasks.contextSwitches())
        .append("\nbtime ")
        .append(bootEpochSecs)
        .append("\nprocesses ")
        .append(tasks.processesSeen())
        .append("\nprocs_running ")
        .append(tasks.runningCount())
        .append("\nprocs_blocked 0\nsoftirq 0");
    for (int i = 0; i < NR_SOFTIRQS; i++) {
      sb.append(" 0");
    }
    return sb.append('\n').toString();
  }

  /** The ten columns: user nice system idle iowait irq softirq steal guest guest_nice. */
  private static void times(StringBuilder sb, long idleNanos) {
    sb.append(" 0 0 0 ").append(idleNanos / NSEC_PER_TICK).append(" 0 0 0 0 0 0\n");
  }
}
