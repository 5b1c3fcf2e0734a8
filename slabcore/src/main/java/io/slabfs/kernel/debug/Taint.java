package io.slabfs.kernel.debug;

/**
 * Models: kernel/panic.c (the taint half).
 *
 * <p>The kernel's taint flags ({@code tainted_mask}, kernel/panic.c) and {@code print_tainted()}:
 * {@code Not tainted}, or {@code Tainted: } and one column per flag in the kernel's order,
 * a letter where set, e.g. {@code Tainted: G    B      O}.
 */
public final class Taint {
  /** Flags 1.. in {@code taint_flags[]} order (flag 0 is P/G). */
  private static final String ORDER = "FSRMBUDAWCIOELKXTNJ";

  private long mask;

  /** {@code add_taint()}: B (bad page, e.g. KASAN), O (out-of-tree module), W (warning)... */
  public synchronized void add(char flag) {
    int i = ORDER.indexOf(flag);
    if (i < 0) {
      throw new IllegalArgumentException("unknown taint flag " + flag);
    }
    mask |= 1L << i;
  }

  public synchronized boolean isTainted() {
    return mask != 0;
  }

  /** {@code print_tainted()}. */
  @Override
  public synchronized String toString() {
    if (mask == 0) {
      return "Not tainted";
    }
    StringBuilder sb = new StringBuilder("Tainted: G");
    int last = 63 - Long.numberOfLeadingZeros(mask);
    for (int i = 0; i <= last; i++) {
      sb.append((mask & (1L << i)) != 0 ? ORDER.charAt(i) : ' ');
    }
    return sb.toString();
  }
}
