package io.slabfs.kernel.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.DeviceFile;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code sim/kmsg} as {@code /dev/kmsg} (kernel/printk/printk.c devkmsg_*, Documentation/ABI/
 * testing/dev-kmsg): the record format and its escaping, one record per read, EINVAL, EPIPE,
 * EAGAIN, a read that sleeps until the next printk and ends on a signal, poll, writes with a {@code
 * <N>} prefix and their ratelimit; and the sizes of {@code sim/} text files.
 */
@KernelTest
class DevKmsgTest {
  private static final String KMSG = "/sim/kmsg";

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private Kernel k;
  private Vfs vfs;
  private final List<Long> open = new ArrayList<>();

  @BeforeEach
  void boot(Kernels kernels) throws Exception {
    k = kernels.boot(BootOptions.defaults().withClock(now::get));
    vfs = k.vfs();
  }

  @AfterEach
  void closeAll() {
    open.forEach(vfs::release);
  }

  private long openKmsg(int flags) throws ErrnoException {
    long fh = vfs.open(KMSG, flags);
    open.add(fh);
    return fh;
  }

  private String read(long fh, int size, int flags) throws ErrnoException {
    return new String(vfs.read(fh, 0, size, flags), StandardCharsets.US_ASCII);
  }

  private String read(long fh) throws ErrnoException {
    return read(fh, 8192, DeviceFile.O_NONBLOCK);
  }

  /** Reads records until EAGAIN; the last one read. */
  private String drain(long fh) throws ErrnoException {
    String last = null;
    while (true) {
      try {
        last = read(fh);
      } catch (ErrnoException e) {
        assertThat(e.errno()).isEqualTo(Errno.EAGAIN);
        return last;
      }
    }
  }

  private void write(String text) throws ErrnoException {
    assertThat(Sys.write(vfs, KMSG, text)).isEqualTo(text.length());
  }

  @Test
  void firstRead_isTheOldestRecord_oneRecordPerRead_inTheKmsgFormat() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    String first = read(fh);
    assertThat(first).matches("4,0,1000000,-;Linux version [^\\n]*\\n");
    String second = read(fh);
    assertThat(second).startsWith("4,1,1000000,-;slabfs: random seed ").endsWith("\n");
    assertThat(second.indexOf('\n')).isEqualTo(second.length() - 1);
    now.set(2_345_678_999L);
    k.dmesg().printk("after boot");
    String last = drain(fh);
    assertThat(last).isEqualTo("4," + (k.dmesg().sequence() - 1) + ",2345678,-;after boot\n");
  }

  @Test
  void eachOpenFile_hasItsOwnPosition() throws Exception {
    long a = openKmsg(Vfs.O_RDONLY);
    long b = openKmsg(Vfs.O_RDONLY);
    read(a);
    read(a);
    assertThat(read(b)).startsWith("4,0,");
    assertThat(read(a)).startsWith("4,2,");
  }

  @Test
  void write_levelAndFacilityFromThePrefix_userFacilityOtherwise() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    drain(fh);
    write("plain\n");
    write("<3>error from user");
    write("<27>daemon error"); // facility 3 (LOG_DAEMON), level 3
    write("<0>emerg, but not LOG_KERN");
    write("<x>no number");
    write("<>empty number");
    assertThat(read(fh)).matches("12,\\d+,\\d+,-;plain\\n"); // LOG_USER | default level 4
    assertThat(read(fh)).matches("11,\\d+,\\d+,-;error from user\\n");
    assertThat(read(fh)).matches("27,\\d+,\\d+,-;daemon error\\n");
    assertThat(read(fh)).matches("8,\\d+,\\d+,-;emerg, but not LOG_KERN\\n");
    assertThat(read(fh)).matches("12,\\d+,\\d+,-;<x>no number\\n");
    assertThat(read(fh)).matches("8,\\d+,\\d+,-;empty number\\n");
    assertThat(k.dmesg().messages()).contains("plain", "error from user", "<x>no number");
  }

  @Test
  void text_nonPrintableBytesAndBackslash_escapedAsHex_textEndsAtANul() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    drain(fh);
    byte[] data =
        "tab\there\\back é\u0001 bell\u0007|\u007f\nline2\n".getBytes(StandardCharsets.UTF_8);
    assertThat(Sys.write(vfs, KMSG, data)).isEqualTo(data.length);
    assertThat(read(fh))
        .endsWith(",-;tab\\x09here\\x5cback \\xc3\\xa9\\x01 bell\\x07|\\x7f\\x0aline2\n");
    byte[] nul = "before\0after".getBytes(StandardCharsets.US_ASCII);
    assertThat(Sys.write(vfs, KMSG, nul)).isEqualTo(nul.length);
    assertThat(read(fh)).endsWith(",-;before\n");
    // the syslog view splits the inner newline, each line with the record's timestamp
    assertThat(new String(k.dmesg().contents(), StandardCharsets.UTF_8))
        .contains("] tab\there\\back é\u0001 bell\u0007|\u007f\n[    1.000000] line2\n");
  }

  @Test
  void write_overRecordMax_isEinval() throws Exception {
    String max = "x".repeat(DevKmsg.PRINTKRB_RECORD_MAX);
    write(max);
    assertThat(Sys.errno(() -> Sys.write(vfs, KMSG, max + "y"))).isEqualTo(Errno.EINVAL);
  }

  @Test
  void read_bufferTooSmall_isEinval_andTheRecordIsConsumed() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    assertThat(Sys.errno(() -> read(fh, 10, 0))).isEqualTo(Errno.EINVAL);
    assertThat(read(fh)).startsWith("4,1,");
  }

  @Test
  void read_nothingNew_withONonblock_isEagain() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    drain(fh);
    assertThat(Sys.errno(() -> read(fh))).isEqualTo(Errno.EAGAIN);
    k.dmesg().printk("one more");
    assertThat(read(fh)).endsWith(";one more\n");
  }

  @Test
  void read_nextRecordOverwritten_isEpipeOnce_thenTheOldest() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    read(fh); // at seq 1 now
    String line = "y".repeat(200);
    while (k.dmesg().firstSeq() <= 1) {
      k.dmesg().printk(line);
    }
    long oldest = k.dmesg().firstSeq();
    assertThat(Sys.errno(() -> read(fh))).isEqualTo(Errno.EPIPE);
    assertThat(read(fh)).startsWith("4," + oldest + ",");
    assertThat(read(fh)).startsWith("4," + (oldest + 1) + ",");
  }

  @Test
  void read_nothingNew_sleepsUntilTheNextPrintk() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    drain(fh);
    CompletableFuture<String> reader =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return read(fh, 8192, 0);
              } catch (ErrnoException e) {
                throw new IllegalStateException(e);
              }
            });
    assertThat(reader).isNotDone(); // no record can end it yet
    k.dmesg().printk("wake up");
    assertThat(reader.get(30, TimeUnit.SECONDS)).endsWith(";wake up\n");
  }

  @Test
  void sleepingRead_signalled_endsWithEintr() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    drain(fh);
    AtomicBoolean signalled = new AtomicBoolean();
    Task reader = new Task(4321, "dmesg");
    reader.setSignalSource(signalled::get);
    CompletableFuture<Errno> result =
        CompletableFuture.supplyAsync(
            () -> Task.runAs(reader, () -> Sys.errno(() -> read(fh, 8192, 0))));
    assertThat(result).isNotDone();
    signalled.set(true);
    assertThat(result.get(30, TimeUnit.SECONDS)).isEqualTo(Errno.EINTR);
    k.dmesg().printk("after the signal");
    assertThat(read(fh)).endsWith(";after the signal\n");
  }

  @Test
  void poll_readableWhenARecordIsThere_wakeRunsAtTheNextPrintk() throws Exception {
    long fh = openKmsg(Vfs.O_RDONLY);
    assertThat(vfs.poll(fh, null)).isEqualTo(DeviceFile.POLLIN | DeviceFile.POLLRDNORM);
    drain(fh);
    AtomicInteger woken = new AtomicInteger();
    assertThat(vfs.poll(fh, woken::incrementAndGet)).isZero();
    assertThat(woken).hasValue(0);
    k.dmesg().printk("poll me");
    assertThat(woken).hasValue(1);
    assertThat(vfs.poll(fh, null)).isEqualTo(DeviceFile.POLLIN | DeviceFile.POLLRDNORM);
    k.dmesg().printk("again");
    assertThat(woken).as("a wake runs once").hasValue(1);
  }

  @Test
  void writes_ratelimitedPerOpenFile_tenPerFiveSeconds_missedReportedAtRelease() throws Exception {
    long w = vfs.open(KMSG, Vfs.O_WRONLY);
    byte[] line = "burst\n".getBytes(StandardCharsets.US_ASCII);
    for (int i = 0; i < 12; i++) {
      assertThat(vfs.write(w, line, line.length)).isEqualTo(line.length);
    }
    now.addAndGet(5_000_000_001L);
    assertThat(vfs.write(w, line, line.length)).isEqualTo(line.length);
    long burst = k.dmesg().messages().stream().filter("burst"::equals).count();
    assertThat(burst).isEqualTo(11);
    Task.runAs(
        new Task(77, "logger"),
        () -> {
          vfs.release(w);
          return null;
        });
    assertThat(k.dmesg().messages())
        .contains("printk: logger: 2 output lines suppressed due to ratelimiting");
  }

  @Test
  void simTextFiles_reportTheirLength_andAReadAtTheEndSeesWhatWasAdded() throws Exception {
    assertThat(vfs.stat("/sim/dmesg").size()).isEqualTo(k.dmesg().contents().length);
    assertThat(vfs.stat("/sim/stats").size()).isEqualTo(k.stats().length());
    assertThat(vfs.stat(KMSG).size()).isZero();
    long fh = vfs.open("/sim/dmesg", Vfs.O_RDONLY);
    open.add(fh);
    long pos = 0;
    while (true) {
      byte[] b = vfs.read(fh, pos, 4096);
      if (b.length == 0) {
        break;
      }
      pos += b.length;
    }
    k.dmesg().printk("followed");
    assertThat(new String(vfs.read(fh, pos, 4096), StandardCharsets.UTF_8))
        .isEqualTo("[    1.000000] followed\n");
  }

  @Test
  void awaitOpenFiles_countsOtherTasksFiles_waitsForTheirRelease() throws Exception {
    Task other = new Task(555, "cat");
    long fh = Task.runAs(other, () -> vfs.open("/sim/stats", Vfs.O_RDONLY));
    long own = openKmsg(Vfs.O_RDONLY); // the caller's own file is not counted
    k.ctl("await_open_files 1 timeout=0");
    assertThat(
            Sys.errno(
                () -> {
                  k.ctl("await_open_files 0 timeout=0");
                  return null;
                }))
        .isEqualTo(Errno.ETIMEDOUT);
    CompletableFuture<Void> waiter =
        CompletableFuture.runAsync(
            () -> {
              try {
                // another task: the test thread's sim/kmsg counts for it
                k.ctl("await_open_files 1 timeout=60");
              } catch (ErrnoException e) {
                throw new IllegalStateException(e);
              }
            });
    Task.runAs(
        other,
        () -> {
          vfs.release(fh);
          return null;
        });
    waiter.get(60, TimeUnit.SECONDS);
    assertThat(vfs.openFilesExcept(-1)).as("only sim/kmsg %d is open", own).isEqualTo(1);
  }

  @Test
  void dmesgClear_movesClearSeq_kmsgStillHasEveryRecord() throws Exception {
    long before = k.dmesg().sequence();
    k.ctl("dmesg_clear");
    assertThat(k.dmesg().messages()).isEmpty();
    long fh = openKmsg(Vfs.O_RDONLY);
    assertThat(read(fh)).startsWith("4,0,");
    assertThat(k.dmesg().firstSeq()).isZero();
    assertThat(k.dmesg().sequence()).isEqualTo(before);
    Dmesg.Next next = k.dmesg().next(before - 1);
    assertThat(next.record().seq()).isEqualTo(before - 1);
  }
}
