package io.slabfs.kernel.debug;

/**
 * Models: kernel/panic.c.
 *
 * <p>{@code __warn()}: the report of a {@code WARN()}: the cut-here line, the message, where it
 * fired, the end marker; and the {@code W} taint.
 */
public final class Warn {
  private Warn() {}

  /**
   * {@code __warn(file, line, caller, ...)} for task {@code pid}: {@code function} is the symbol
   * the warning fired in, {@code file:line} its place in the kernel source.
   */
  public static void warn(
      Dmesg dmesg, int pid, String file, int line, String function, String message) {
    dmesg.taint().add('W');
    dmesg.printk("------------[ cut here ]------------\n" + message + "\nWARNING: CPU: 0 PID: "
        + pid + " at " + file + ":" + line + " " + Kallsyms.symbol(function) + "\n"
        + "---[ end trace 0000000000000000 ]---");
  }
}
