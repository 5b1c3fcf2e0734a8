package io.slabfs.kernel.debug;

import java.util.ArrayList;
import java.util.List;

/**
 * Models: lib/dump_stack.c ({@code dump_stack_print_info()}) and the x86 {@code
 * show_trace_log_lvl()} frame list.
 *
 * <p>The header every stack dump starts with, per version (upstream sources; the Debian
 * packages add a {@code LINUX_PACKAGE_ID} that upstream does not print):
 *
 * <ul>
 *   <li>up to 6.11: {@code CPU: 0 PID: 42 Comm: cat Not tainted 6.1.0 #1}
 *   <li>6.12 on: {@code CPU: 0 UID: 0 PID: ...} and, when tainted, a second record {@code
 *       Tainted: [B]=BAD_PAGE, ...} ({@code print_tainted_verbose()})
 *   <li>6.15 on: the preemption model after the version, {@code #1 PREEMPT(voluntary) }
 *       ({@code preempt_model_str()}, with its trailing blank)
 * </ul>
 *
 * then {@code Hardware name:} and the call trace between {@code <TASK>} and {@code </TASK>}.
 * Each line is its own printk record.
 */
public final class DumpStack {
  /** {@code dump_stack_set_arch_desc()}: the DMI strings of the simulated machine. */
  public static final String HARDWARE_NAME = "slabfs simulated machine";
  /** {@code preempt_model_str()} of a PREEMPT_DYNAMIC kernel booted in voluntary mode. */
  public static final String PREEMPT_MODEL = "PREEMPT(voluntary)";

  private DumpStack() {}

  /** {@code dump_stack_print_info()}: the CPU line, the verbose taint line (6.12+), hardware. */
  public static List<String> printInfo(
      String release, Taint taint, int cpu, int uid, int pid, String comm) {
    KernelVersion v = KernelVersion.parse(release);
    List<String> out = new ArrayList<>();
    String c = comm.length() > 20 ? comm.substring(0, 20) : comm;
    StringBuilder sb = new StringBuilder("CPU: ").append(cpu);
    if (v.atLeast(6, 12)) {
      sb.append(" UID: ").append(uid);
    }
    sb.append(" PID: ").append(pid).append(" Comm: ").append(c).append(' ')
        .append(taint.print(v)).append(' ').append(release).append(" #1");
    if (v.atLeast(6, 15)) {
      sb.append(' ').append(PREEMPT_MODEL).append(' ');
    }
    out.add(sb.toString());
    if (v.atLeast(6, 12) && taint.isTainted()) {
      out.add(taint.printVerbose());
    }
    out.add("Hardware name: " + HARDWARE_NAME);
    return out;
  }

  /** {@code show_trace_log_lvl()}: {@code Call Trace:}, the frames as {@code %pS}, innermost first. */
  public static List<String> callTrace(List<String> functions) {
    List<String> out = new ArrayList<>(functions.size() + 3);
    out.add("Call Trace:");
    out.add(" <TASK>");
    for (String f : functions) {
      out.add(" " + (f.startsWith("0x") || f.contains("+0x") ? f : Kallsyms.symbol(f)));
    }
    out.add(" </TASK>");
    return out;
  }

  /** {@code dump_stack()}: the header, then the trace from {@code dump_stack_lvl} outwards. */
  public static List<String> dumpStack(String release, Taint taint, int uid, int pid,
      String comm, List<String> functions) {
    List<String> out = printInfo(release, taint, 0, uid, pid, comm);
    out.addAll(callTrace(functions));
    return out;
  }
}
