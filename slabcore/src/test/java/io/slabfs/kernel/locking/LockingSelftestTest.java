package io.slabfs.kernel.locking;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * lib/locking-selftest.c, transcribed: every case on a fresh lockdep gives the outcome the kernel
 * expects, and the table ends with the kernel's summary line. The table is printed, as {@code
 * slabfs lockdep --selftest} prints it.
 */
class LockingSelftestTest {
  @Test
  void everyTranscribedCase_passes_asInTheKernel() {
    LockingSelftest suite = LockingSelftest.suite();
    List<String> failed = new ArrayList<>();
    for (LockingSelftest.Case c : suite.cases()) {
      if (!LockingSelftest.passes(c, "6.18.0-slabfs")) {
        failed.add(c.name() + (c.expectSilent() ? " (expected silence)" : " (expected a report)"));
      }
    }
    assertThat(failed).isEmpty();
    List<String> table = suite.run("6.18.0-slabfs");
    table.forEach(System.out::println);
    assertThat(suite.cases()).hasSize(93);
    assertThat(table)
        .contains("Good, all  93 testcases passed! |")
        .contains("                     A-A deadlock:  ok  |  ok  |  ok  |  ok  |  ok  |  ok  |")
        .contains("           recursive read-lock #2:             |  ok  |             |  ok  |");
  }

  @Test
  void theSuiteCatchesALockdepThatIgnoresEdgeTypes() {
    // a case whose outcome depends on the -(SR)-/-(SN)- rules: with reads counted as writes
    // it would report; the suite must see that as a failure, not pass it
    LockingSelftest.Case abba2 =
        LockingSelftest.suite().cases().stream()
            .filter(c -> c.name().equals("rlock_ABBA2"))
            .findFirst()
            .orElseThrow();
    String asWrites =
        abba2
            .script()
            .replace("T read_lock", "T write_lock")
            .replace("T read_unlock", "T write_unlock");
    LockingSelftest.Case broken =
        new LockingSelftest.Case(abba2.row(), abba2.name(), asWrites, abba2.expectSilent());
    assertThat(LockingSelftest.passes(broken, "6.18.0-slabfs")).isFalse();
  }
}
