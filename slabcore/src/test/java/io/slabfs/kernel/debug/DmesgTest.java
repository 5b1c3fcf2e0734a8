package io.slabfs.kernel.debug;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The printk ring: timestamp prefix, multi-line records, log_buf_len trimming. */
class DmesgTest {
  private final AtomicLong now = new AtomicLong();
  private final Dmesg dmesg = new Dmesg(now::get);

  private String text() {
    return new String(dmesg.contents(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest(name = "{0} ns -> ''{1}''")
  @CsvSource(
      delimiter = '|',
      ignoreLeadingAndTrailingWhitespace = false,
      value = {
        "0|[    0.000000] ",
        "999|[    0.000000] ",
        "1000|[    0.000001] ",
        "12345678901|[   12.345678] ",
        "99999999999999|[99999.999999] ",
        "100000000000000|[100000.000000] ",
      })
  void timestamp_fiveWideSecondsSixDecimals(long nanos, String prefix) {
    now.set(nanos);
    dmesg.printk("hello");
    assertThat(text()).isEqualTo(prefix + "hello\n");
    assertThat(Dmesg.timestamp(nanos)).isEqualTo(prefix);
  }

  @Test
  void printk_atBoot_isZeroTimestamp() {
    dmesg.printk("Linux version 6.18.0");
    assertThat(text()).isEqualTo("[    0.000000] Linux version 6.18.0\n");
    assertThat(dmesg.messages()).containsExactly("Linux version 6.18.0");
  }

  @Test
  void printk_multiLine_everyLineGetsTheSamePrefix() {
    now.set(1_500_000_000L);
    dmesg.printk("------------[ cut here ]------------\nWARNING: x\n---[ end trace ]---\n");
    now.set(2_000_000_000L);
    dmesg.printk("next");
    assertThat(text())
        .isEqualTo(
            "[    1.500000] ------------[ cut here ]------------\n"
                + "[    1.500000] WARNING: x\n"
                + "[    1.500000] ---[ end trace ]---\n"
                + "[    2.000000] next\n");
    assertThat(dmesg.messages())
        .containsExactly(
            "------------[ cut here ]------------", "WARNING: x", "---[ end trace ]---", "next");
    assertThat(dmesg.sequence()).isEqualTo(4);
  }

  @Test
  void printk_trailingNewline_isOptional_andOnlyOneIsDropped() {
    dmesg.printk("a\n");
    dmesg.printk("b");
    dmesg.printk("c\n\n");
    assertThat(dmesg.messages()).containsExactly("a", "b", "c", "");
  }

  @Test
  void printf_formats() {
    dmesg.printf("cpu %d is %s", 1, "offline");
    assertThat(dmesg.messages()).containsExactly("cpu 1 is offline");
  }

  @Test
  void ring_dropsOldestRecords_beyondLogBufLen() {
    String line = "x".repeat(85); // record = 15-byte prefix + 85 + '\n' = 101 bytes
    int records = 3000;
    for (int i = 0; i < records; i++) {
      dmesg.printk(String.format("%06d %s", i, line).substring(0, 85));
    }
    byte[] all = dmesg.contents();
    assertThat(all.length).isLessThanOrEqualTo(Dmesg.LOG_BUF_LEN);
    assertThat(all.length).isGreaterThan(Dmesg.LOG_BUF_LEN - 101);
    List<String> msgs = dmesg.messages();
    assertThat(msgs.get(msgs.size() - 1)).startsWith(String.format("%06d", records - 1));
    assertThat(msgs.get(0)).startsWith(String.format("%06d", records - msgs.size()));
    assertThat(msgs).hasSize(Dmesg.LOG_BUF_LEN / 101);
    assertThat(dmesg.sequence()).isEqualTo(records);
    assertThat(text()).startsWith("[    0.000000] " + String.format("%06d", records - msgs.size()));
  }

  @Test
  void ring_keepsASingleOversizedRecord() {
    dmesg.printk("small");
    dmesg.printk("y".repeat(Dmesg.LOG_BUF_LEN + 10));
    assertThat(dmesg.messages()).hasSize(1);
    assertThat(dmesg.messages().get(0)).hasSize(Dmesg.LOG_BUF_LEN + 10);
  }

  @Test
  void clear_emptiesTheRing_butNotTheSequence() {
    dmesg.printk("a\nb");
    dmesg.clear();
    assertThat(dmesg.contents()).isEmpty();
    assertThat(dmesg.messages()).isEmpty();
    assertThat(dmesg.sequence()).isEqualTo(2);
    dmesg.printk("c");
    assertThat(text()).isEqualTo("[    0.000000] c\n");
  }

  @Test
  void concurrentPrintk_recordsNeverInterleave() throws Exception {
    int threads = 4;
    int each = 200;
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
                for (int i = 0; i < each; i++) {
                  dmesg.printk("begin " + id + "/" + i + "\nend " + id + "/" + i);
                }
              });
      ts.add(th);
      th.start();
    }
    for (Thread th : ts) {
      th.join();
    }
    List<String> msgs = dmesg.messages();
    assertThat(msgs).hasSize(threads * each * 2);
    for (int i = 0; i < msgs.size(); i += 2) {
      assertThat(msgs.get(i)).startsWith("begin ");
      assertThat(msgs.get(i + 1)).isEqualTo("end " + msgs.get(i).substring(6));
    }
  }

  @Test
  void systemClock_startsNearZero_andIsMonotonic() {
    KernelClock clock = KernelClock.system();
    long a = clock.nanosSinceBoot();
    long b = clock.nanosSinceBoot();
    assertThat(a).isGreaterThanOrEqualTo(0);
    assertThat(b).isGreaterThanOrEqualTo(a);
  }
}
