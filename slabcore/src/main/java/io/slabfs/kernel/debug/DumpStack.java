package io.slabfs.kernel.debug;

import java.util.ArrayList;
import java.util.List;

/**
 * Models: lib/dump_stack.c ({@code dump_stack_print_info()}) and the x86 {@code
 * show_trace_log_lvl()} frame list.
 *
 * <p>The header every stack dump starts with, per version (upstream sources; the Debian packages
 * add a {@code LINUX_PACKAGE_ID} that upstream does not print):
 *
 * <ul>
 *   <li>up to 6.11: {@code CPU: 0 PID: 42 Comm: cat Not tainted 6.1.0 #1}
 *   <li>6.12 on: {@code CPU: 0 UID: 0 PID: ...} and, when tainted, a second record {@code Tainted:
 *       [B]=BAD_PAGE, ...} ({@code print_tainted_verbose()})
 *   <li>6.15 on: the preemption model after the version, {@code #1 PREEMPT(voluntary) } ({@code
 *       preempt_model_str()}, with its trailing blank)
 * </ul>
 *
 * then {@code Hardware name:} and the call trace between {@code <TASK>} and {@code </TASK>}. Each
 * line is its own printk record.
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
    sb.append(" PID: ")
        .append(pid)
        .append(" Comm: ")
        .append(c)
        .append(' ')
        .append(taint.print(v))
        .append(' ')
        .append(release)
        .append(" #1");
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

  /**
   * {@code show_trace_log_lvl()}: {@code Call Trace:}, the frames as {@code %pS}, innermost first.
   * A trace that reaches {@code entry_SYSCALL_64_after_hwframe} came from user space: the user
   * registers saved there are printed before {@code </TASK>} ({@code
   * __show_regs(SHOW_REGS_SHORT)}), with the {@code Code:} line only for the current task (the
   * kernel may not read another task's user memory: {@code show_opcodes()} gets -EPERM).
   */
  public static List<String> callTrace(List<String> functions, int pid, boolean current) {
    List<String> out = new ArrayList<>(functions.size() + 12);
    out.add("Call Trace:");
    out.add(" <TASK>");
    for (String f : functions) {
      out.add(" " + (f.startsWith("0x") || f.contains("+0x") ? f : Kallsyms.symbol(f)));
    }
    if (!functions.isEmpty()
        && functions.get(functions.size() - 1).equals("entry_SYSCALL_64_after_hwframe")) {
      out.addAll(userRegisters(pid, current));
    }
    out.add(" </TASK>");
    return out;
  }

  /** The call trace of the current task. */
  public static List<String> callTrace(List<String> functions, int pid) {
    return callTrace(functions, pid, true);
  }

  /**
   * The user registers at syscall entry. The values are the simulator's (no user process runs the
   * model's system calls in a CPU register file), derived from the pid: stable, and shaped like the
   * real ones ({@code RAX: ffffffffffffffda} is {@code -ENOSYS}, as entry leaves it).
   */
  static List<String> userRegisters(int pid, boolean current) {
    String rip = String.format("7f%04x%06x", pid & 0xffff, 0x51ba9a);
    String sp = String.format("00007ffd%04x%04x", pid & 0xffff, 0xe158);
    List<String> r = new ArrayList<>();
    r.add("RIP: 0033:0x" + rip);
    if (current) {
      r.add(
          "Code: 48 8b 0d 39 39 0d 00 f7 d8 64 89 01 48 83 c8 ff c3 66 2e 0f 1f 84 00 00 00 00 "
              + "00 0f 1f 44 00 00 49 89 ca b8 01 00 00 00 0f 05 <48> 3d 01 f0 ff ff 73 01 c3 48 8b "
              + "0d 06 39 0d 00 f7 d8 64 89 01 48");
    }
    r.add("RSP: 002b:" + sp + " EFLAGS: 00000246 ORIG_RAX: 0000000000000001");
    r.add("RAX: ffffffffffffffda RBX: 0000000000000002 RCX: 0000" + rip);
    r.add("RDX: 0000000000000002 RSI: 000055d0c0de0000 RDI: 0000000000000001");
    r.add("RBP: 000055d0c0de0000 R08: 0000000000000000 R09: 0000000000000000");
    r.add("R10: 0000000000000000 R11: 0000000000000246 R12: 0000000000000002");
    r.add("R13: 00007f0000000780 R14: 0000000000000002 R15: 00007f0000000700");
    return r;
  }

  /**
   * The outermost frames of a task's kernel stack: where a system call entered from user space, or
   * where a kernel thread started ({@code ret_from_fork_asm} from 6.6).
   */
  public static List<String> entryFrames(String release, boolean kthread) {
    if (!kthread) {
      return List.of("do_syscall_64", "entry_SYSCALL_64_after_hwframe");
    }
    return KernelVersion.parse(release).atLeast(6, 6)
        ? List.of("kthread", "ret_from_fork", "ret_from_fork_asm")
        : List.of("kthread", "ret_from_fork");
  }

  /** {@code dump_stack()} ({@code dump_stack_lvl()}): the header, then the current trace. */
  public static List<String> dumpStack(
      String release, Taint taint, int uid, int pid, String comm, List<String> functions) {
    List<String> out = printInfo(release, taint, 0, uid, pid, comm);
    out.addAll(callTrace(functions, pid, true));
    return out;
  }
}
