package io.slabfs.kernel.debug;

/**
 * Models: kernel/kallsyms.c.
 *
 * <p>{@code %pS} for the model's functions: {@code name+0xOFF/0xSIZE}. The model has no machine
 * code, so size and offset are derived from the name: stable from run to run, so reports can be
 * compared, and shaped like the kernel's.
 */
public final class Kallsyms {
  private Kallsyms() {}

  /** The symbol with an offset inside it, as a return address in a stack trace shows. */
  public static String symbol(String function) {
    int h = function.hashCode();
    int size = 0x20 + (Math.floorMod(h, 60) + 2) * 0x10;
    int offset = 0x10 + Math.floorMod(h >>> 7, (size - 0x10) / 8) * 8 - 0x8 + 0x5;
    return function
        + "+0x"
        + Integer.toHexString(Math.min(offset, size - 1))
        + "/0x"
        + Integer.toHexString(size);
  }

  /**
   * A kernel-looking address for a lock instance: static locks in the image, others in the heap.
   */
  public static String address(Object instance, boolean isStatic) {
    long h = System.identityHashCode(instance) & 0xffffffL;
    return isStatic
        ? String.format("ffffffff82%06x", h & 0xfffff0)
        : String.format("ffff8881%08x", (h << 4) & 0xfffffff0L);
  }
}
