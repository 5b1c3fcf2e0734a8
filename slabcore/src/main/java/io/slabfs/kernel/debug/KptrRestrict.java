package io.slabfs.kernel.debug;

/**
 * Models: lib/vsprintf.c ({@code kptr_restrict}) and kernel/kallsyms.c ({@code
 * kallsyms_show_value()}).
 *
 * <p>{@code kernel.kptr_restrict} (0 to 2, default 0) and the decision it makes for every file that
 * shows a kernel address to its reader ({@code /proc/modules}, {@code
 * /sys/module/NAME/sections/*}): with 0, the address is shown to a reader with {@code CAP_SYSLOG}
 * (or to everyone when {@code kernel.perf_event_paranoid} is at most 1; the model's is the default
 * 2); with 1, to a reader with {@code CAP_SYSLOG}; with 2, to nobody. Hidden addresses print as
 * {@code 0x0000000000000000} ({@code %px} of {@code NULL}).
 *
 * <p>Concurrency: the value is volatile, as the kernel reads it with no lock.
 */
public final class KptrRestrict {
  /** {@code kernel.perf_event_paranoid}'s default: {@code kallsyms_for_perf()} is false. */
  private static final int PERF_EVENT_PARANOID = 2;

  private volatile int value;

  /** {@code kptr_restrict}. */
  public int get() {
    return value;
  }

  /** Set by a write of {@code /proc/sys/kernel/kptr_restrict}, already range-checked. */
  public void set(int v) {
    value = v;
  }

  /**
   * {@code kallsyms_show_value(cred)}: whether a reader with these credentials (root has every
   * capability, other uids none) sees real addresses.
   */
  public boolean showValue(boolean capSyslog) {
    int v = value;
    return switch (v) {
      case 0, 1 -> (v == 0 && PERF_EVENT_PARANOID <= 1) || capSyslog;
      default -> false;
    };
  }

  /** {@code %px}: the address in full, 16 hex digits. */
  public static String px(long address) {
    return String.format("%016x", address);
  }
}
