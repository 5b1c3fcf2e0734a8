package io.slabfs.kernel.debug;

import java.util.ArrayList;
import java.util.List;

/**
 * Models: kernel/panic.c ({@code __warn()}) and, for the register block, the x86 {@code
 * show_regs()} a {@code WARN()} trap prints.
 *
 * <p>On x86 {@code WARN(cond, fmt, ...)} prints the cut-here line and the message first ({@code
 * __warn_printk()}), then traps; {@code report_bug()} calls {@code __warn()}: the {@code WARNING:
 * CPU: ... at file:line} line, {@code Modules linked in:}, {@code show_regs()} (the {@code
 * dump_stack} header, {@code RIP:}, the registers, the call trace) and the end marker; then the
 * {@code W} taint, so the report's own header does not show it yet.
 *
 * <p>The register values are the simulator's: the model runs no machine code, so they are derived
 * from the function name (stable from run to run, like {@link Kallsyms}'s offsets).
 */
public final class Warn {
  private Warn() {}

  /** Who warned: the current task, as the report prints it. */
  public record Context(String release, int uid, int pid, String comm, List<String> modules) {}

  /**
   * {@code WARN(1, message)} fired in {@code function} at {@code file:line}; {@code callers} are
   * the frames above {@code function}, innermost first.
   */
  public static void warn(
      Dmesg dmesg,
      Context ctx,
      String file,
      int line,
      String function,
      String message,
      List<String> callers) {
    List<String> r = new ArrayList<>();
    r.add("------------[ cut here ]------------");
    if (message != null) {
      r.add(message);
    }
    if (KernelVersion.parse(ctx.release()).atLeast(6, 19)) {
      // 28ea295f941e (v6.19-rc1)
      r.add(
          "WARNING: "
              + file
              + ":"
              + line
              + " at "
              + Kallsyms.symbol(function)
              + ", CPU#0: "
              + ctx.comm()
              + "/"
              + ctx.pid());
    } else {
      r.add(
          "WARNING: CPU: 0 PID: "
              + ctx.pid()
              + " at "
              + file
              + ":"
              + line
              + " "
              + Kallsyms.symbol(function));
    }
    r.add(
        "Modules linked in:"
            + (ctx.modules().isEmpty() ? "" : " " + String.join(" ", ctx.modules())));
    r.addAll(
        DumpStack.printInfo(ctx.release(), dmesg.taint(), 0, ctx.uid(), ctx.pid(), ctx.comm()));
    r.addAll(registers(function));
    List<String> frames = new ArrayList<>();
    frames.addAll(callers);
    r.addAll(DumpStack.callTrace(frames, ctx.pid()));
    r.add("---[ end trace 0000000000000000 ]---");
    dmesg.printkRecords(r);
    dmesg.taint().add('W');
  }

  /** x86 {@code __show_regs()} of the trap in {@code function}. */
  static List<String> registers(String function) {
    long h = function.hashCode() & 0xffffffffL;
    String sp = String.format("ffffc9000%03x%04x", h & 0xfff, (h >>> 12) & 0xfff0);
    List<String> r = new ArrayList<>();
    r.add("RIP: 0010:" + Kallsyms.symbol(function));
    r.add(
        "Code: 48 c7 c7 "
            + String.format("%02x %02x %02x", h & 0xff, (h >>> 8) & 0xff, (h >>> 16) & 0xff)
            + " 82 e8 00 00 00 00 <0f> 0b eb 9d 0f 1f 44 00 00");
    r.add("RSP: 0018:" + sp + " EFLAGS: 00010282");
    r.add("RAX: 0000000000000000 RBX: ffff888100000000 RCX: 0000000000000027");
    r.add("RDX: ffff88813bc1c6c8 RSI: 0000000000000001 RDI: ffff88813bc1c6c0");
    r.add("RBP: " + sp + " R08: 0000000000000000 R09: 0000000000000003");
    r.add("R10: " + sp + " R11: ffffffff82f1a0a8 R12: ffff888100000000");
    r.add("R13: 0000000000000000 R14: 0000000000000000 R15: 0000000000000000");
    r.add("FS:  00007f0000000740(0000) GS:ffff88813bc00000(0000) knlGS:0000000000000000");
    r.add("CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033");
    r.add("CR2: 00007f0000000000 CR3: 0000000100000000 CR4: 00000000003706f0");
    r.add("PKRU: 55555554");
    return r;
  }
}
