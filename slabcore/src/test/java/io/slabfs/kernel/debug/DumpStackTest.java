package io.slabfs.kernel.debug;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * {@code dump_stack_print_info()} and {@code print_tainted()} per version. Sources:
 * lib/dump_stack.c and kernel/panic.c of 6.1 and 6.12; the 6.15 preemption-model string from the
 * LKML report <CAMuHMdW7Ab13DdGs2acMQcix5ObJK0O2dG_Fxzr8_g58Rc1_0g@mail.gmail.com> ("CPU: 0 UID: 0
 * PID: 39 Comm: getty Not tainted 6.15.0-rc6hatari-00018-g194a9b9e843b #1986 NONE", then "Tainted:
 * [W]=WARN" after a first WARN).
 */
class DumpStackTest {
  @Test
  void v61_noUid_noVerboseTaint_noPreemptModel() {
    Taint t = new Taint();
    t.add('O');
    assertThat(DumpStack.printInfo("6.1.0-slabfs", t, 0, 0, 42, "cat"))
        .containsExactly(
            "CPU: 0 PID: 42 Comm: cat Tainted: G           O       6.1.0-slabfs #1",
            "Hardware name: " + DumpStack.HARDWARE_NAME);
  }

  @Test
  void v612_uid_andVerboseTaintLineWhenTainted() {
    Taint t = new Taint();
    assertThat(DumpStack.printInfo("6.12.0-slabfs", t, 0, 0, 42, "cat"))
        .containsExactly(
            "CPU: 0 UID: 0 PID: 42 Comm: cat Not tainted 6.12.0-slabfs #1",
            "Hardware name: " + DumpStack.HARDWARE_NAME);
    t.add('W');
    t.add('B');
    assertThat(DumpStack.printInfo("6.12.0-slabfs", t, 0, 0, 42, "cat"))
        .containsExactly(
            "CPU: 0 UID: 0 PID: 42 Comm: cat Tainted: G    B   W          6.12.0-slabfs #1",
            "Tainted: [B]=BAD_PAGE, [W]=WARN",
            "Hardware name: " + DumpStack.HARDWARE_NAME);
  }

  @Test
  void v615_preemptModelAfterTheVersion_withItsTrailingBlank() {
    assertThat(DumpStack.printInfo("6.18.0-slabfs", new Taint(), 0, 0, 42, "cat").get(0))
        .isEqualTo(
            "CPU: 0 UID: 0 PID: 42 Comm: cat Not tainted 6.18.0-slabfs #1 "
                + "PREEMPT(voluntary) ");
  }

  @Test
  void taint_isFullWidth_18FlagsBefore60_19From60() {
    Taint t = new Taint();
    t.add('O');
    // 5.19: P..T (18 flags); 6.0 added N (TAINT_TEST)
    assertThat(t.print(KernelVersion.of(5, 19))).isEqualTo("Tainted: G           O     ");
    assertThat(t.print(KernelVersion.of(6, 1))).isEqualTo("Tainted: G           O      ");
    assertThat(t.printVerbose()).isEqualTo("Tainted: [O]=OOT_MODULE");
  }

  @Test
  void callTrace_fromUserSpace_showsTheSavedRegisters_codeOnlyForCurrent() {
    var cur =
        DumpStack.callTrace(
            java.util.List.of("f", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"), 7, true);
    var other =
        DumpStack.callTrace(
            java.util.List.of("f", "do_syscall_64", "entry_SYSCALL_64_after_hwframe"), 7, false);
    assertThat(cur).anyMatch(l -> l.startsWith("Code: ")).anyMatch(l -> l.startsWith("RIP: 0033:"));
    assertThat(other)
        .noneMatch(l -> l.startsWith("Code: "))
        .anyMatch(l -> l.startsWith("RIP: 0033:"));
    assertThat(DumpStack.callTrace(java.util.List.of("f", "kthread"), 7, true))
        .noneMatch(l -> l.startsWith("RIP"));
  }
}
