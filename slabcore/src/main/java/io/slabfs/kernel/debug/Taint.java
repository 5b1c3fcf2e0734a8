package io.slabfs.kernel.debug;

/**
 * Models: kernel/panic.c (the taint half).
 *
 * <p>The kernel's taint flags ({@code tainted_mask}) and {@code print_tainted()}: {@code Not
 * tainted}, or {@code Tainted: } and one column for every flag in {@code taint_flags[]} order, the
 * flag's letter where set and a blank where not (so the string always has the full width, e.g.
 * {@code Tainted: G B O }). From 6.12 {@code print_tainted_verbose()} gives the {@code Tainted:
 * [B]=BAD_PAGE, [O]=OOT_MODULE} line that {@code dump_stack()} prints.
 */
public final class Taint {
  /**
   * Every flag's letter, its bit number in {@code tainted_mask} being its index: P (bit 0,
   * PROPRIETARY_MODULE, printed {@code G} when clear) to N (bit 18, TAINT_TEST, which came in 6.0).
   */
  private static final String ORDER = "PFSRMBUDAWCIOELKXTN";

  /** {@code TAINT_FLAG(NAME, ...)} descriptions (6.12 kernel/panic.c), in {@link #ORDER}. */
  private static final String[] DESC = {
    "PROPRIETARY_MODULE",
    "FORCED_MODULE",
    "CPU_OUT_OF_SPEC",
    "FORCED_RMMOD",
    "MACHINE_CHECK",
    "BAD_PAGE",
    "USER",
    "DIE",
    "OVERRIDDEN_ACPI_TABLE",
    "WARN",
    "CRAP",
    "FIRMWARE_WORKAROUND",
    "OOT_MODULE",
    "UNSIGNED_MODULE",
    "SOFTLOCKUP",
    "LIVEPATCH",
    "AUX",
    "RANDSTRUCT",
    "TEST"
  };

  private long mask;

  /** {@code add_taint()}: B (bad page, e.g. KASAN), O (out-of-tree module), W (warning)... */
  public synchronized void add(char flag) {
    int i = ORDER.indexOf(flag);
    if (i < 0) {
      throw new IllegalArgumentException("unknown taint flag " + flag);
    }
    mask |= 1L << i;
  }

  /** {@code TAINT_FLAGS_COUNT} of kernel {@code version}: 18 before 6.0, 19 from 6.0. */
  public static int flagsCount(KernelVersion version) {
    return version.atLeast(6, 0) ? ORDER.length() : ORDER.length() - 1;
  }

  /** {@code get_taint()}: {@code tainted_mask}, as {@code /proc/sys/kernel/tainted} shows it. */
  public synchronized long mask() {
    return mask;
  }

  /**
   * The write half of {@code proc_taint()}: {@code add_taint(i, LOCKDEP_STILL_OK)} for every bit
   * {@code i} below {@code TAINT_FLAGS_COUNT} set in {@code bits}; other bits are ignored, and no
   * flag is ever cleared.
   */
  public synchronized void addMask(long bits, KernelVersion version) {
    int n = flagsCount(version);
    for (int i = 0; i < n; i++) {
      if ((bits & (1L << i)) != 0) {
        mask |= 1L << i;
      }
    }
  }

  public synchronized boolean isTainted() {
    return mask != 0;
  }

  /** {@code print_tainted()} of a 6.x kernel (19 flags). */
  @Override
  public String toString() {
    return print(KernelVersion.of(6, 0));
  }

  /**
   * {@code print_tainted()} of kernel {@code version}: {@code Tainted: } and one column per flag,
   * the first {@code P} or {@code G}, the others the letter or a blank (18 flags before 6.0, 19
   * from 6.0).
   */
  public synchronized String print(KernelVersion version) {
    if (mask == 0) {
      return "Not tainted";
    }
    int flags = flagsCount(version);
    StringBuilder sb = new StringBuilder("Tainted: ");
    sb.append((mask & 1) != 0 ? 'P' : 'G');
    for (int i = 1; i < flags; i++) {
      sb.append((mask & (1L << i)) != 0 ? ORDER.charAt(i) : ' ');
    }
    return sb.toString();
  }

  /** {@code print_tainted_verbose()} (6.12 on): {@code Tainted: [B]=BAD_PAGE, [W]=WARN}. */
  public synchronized String printVerbose() {
    if (mask == 0) {
      return "Not tainted";
    }
    StringBuilder sb = new StringBuilder("Tainted: ");
    String sep = "";
    for (int i = 0; i < ORDER.length(); i++) {
      if ((mask & (1L << i)) != 0) {
        sb.append(sep).append('[').append(ORDER.charAt(i)).append("]=").append(DESC[i]);
        sep = ", ";
      }
    }
    return sb.toString();
  }
}
