package io.slabfs.kernel.kernfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import io.slabfs.kernel.testing.Sys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** seq_file reads, kernfs writes and removal, kernel-model 4.1 to 4.5. */
class SeqFileTest {
  private static final String SAMPLE = "96(3) C0=32(1) C1=64(2)\n";

  private Dmesg dmesg;
  private KernfsRoot root;
  private Vfs vfs;
  private KernfsDir dir;

  @BeforeEach
  void setUp() throws Exception {
    dmesg = new Dmesg(() -> 0L);
    root = new KernfsRoot(new Lockdep(dmesg, "6.18.0"), () -> 0L);
    vfs = new Vfs(root);
    dir = root.createDir(root.rootDir(), "d", 0755);
  }

  @AfterEach
  void noLeftovers() {
    assertThat(root.activeRefCount()).as("active refs").isZero();
  }

  /** Ops whose show counts its calls and renders the call number with {@code content}. */
  static class CountingOps implements KernfsOps {
    final AtomicInteger shows = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final List<byte[]> stored = new ArrayList<>();
    final IntFunction<String> content;

    CountingOps(IntFunction<String> content) {
      this.content = content;
    }

    @Override
    public boolean canRead() {
      return true;
    }

    @Override
    public boolean canWrite() {
      return true;
    }

    @Override
    public byte[] show() {
      return content.apply(shows.incrementAndGet()).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized int write(byte[] buf, int len) {
      writes.incrementAndGet();
      stored.add(buf.clone());
      return len;
    }

    @Override
    public Object activeKey() {
      return this;
    }
  }

  private CountingOps file(String name, IntFunction<String> content) throws ErrnoException {
    CountingOps ops = new CountingOps(content);
    root.createFile(dir, name, 0600, ops, 4096);
    return ops;
  }

  private static String s(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  // ------------------------------------------------------------------ reads

  @Test
  void partialReads_threeBytesThenRestThenEof_oneShow() throws Exception {
    CountingOps ops = file("f", n -> SAMPLE);
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(s(vfs.read(fh, 0, 3))).isEqualTo("96(");
    assertThat(s(vfs.read(fh, 3, 4096))).isEqualTo("3) C0=32(1) C1=64(2)\n");
    assertThat(vfs.read(fh, SAMPLE.length(), 4096)).isEmpty();
    assertThat(vfs.read(fh, SAMPLE.length(), 4096)).isEmpty();
    assertThat(ops.shows.get()).isEqualTo(1);
    vfs.release(fh);
    assertThat(root.openFileCount()).isZero();
  }

  @Test
  void readAtOffsetZero_rerunsShow() throws Exception {
    CountingOps ops = file("f", n -> "generation " + n + "\n");
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(s(vfs.read(fh, 0, 4096))).isEqualTo("generation 1\n");
    assertThat(vfs.read(fh, 13, 4096)).as("EOF comes from the buffer").isEmpty();
    assertThat(s(vfs.read(fh, 0, 4096))).isEqualTo("generation 2\n");
    assertThat(s(vfs.read(fh, 0, 4))).isEqualTo("gene");
    assertThat(s(vfs.read(fh, 4, 4096))).as("sequential: same record").isEqualTo("ration 3\n");
    assertThat(ops.shows.get()).isEqualTo(3);
    vfs.release(fh);
  }

  @Test
  void pread_atOffset2_returnsContentFromByte2() throws Exception {
    file("f", n -> SAMPLE);
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(s(vfs.read(fh, 2, 4096))).isEqualTo(SAMPLE.substring(2));
    assertThat(vfs.read(fh, SAMPLE.length(), 4096)).isEmpty();
    vfs.release(fh);
  }

  @Test
  void pread_atOtherOffset_regeneratesAndSkips() throws Exception {
    CountingOps ops = file("f", n -> "record-" + n + "\n");
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(s(vfs.read(fh, 0, 3))).isEqualTo("rec");
    assertThat(s(vfs.read(fh, 7, 4096))).isEqualTo("2\n");
    assertThat(ops.shows.get()).isEqualTo(2);
    vfs.release(fh);
  }

  @Test
  void pread_pastEnd_returnsNothing() throws Exception {
    file("f", n -> SAMPLE);
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(vfs.read(fh, 1000, 4096)).isEmpty();
    assertThat(vfs.read(fh, SAMPLE.length(), 4096)).isEmpty();
    assertThat(s(vfs.read(fh, 0, 4096))).isEqualTo(SAMPLE);
    vfs.release(fh);
  }

  @Test
  void stat_textAttribute_isPageSized() throws Exception {
    file("f", n -> SAMPLE);
    Stat st = vfs.stat("/d/f");
    assertThat(st.type()).isEqualTo(Stat.Type.FILE);
    assertThat(st.size()).isEqualTo(4096);
    assertThat(st.nlink()).isEqualTo(1);
  }

  @Test
  void showError_becomesReadErrno() throws Exception {
    Sysfs sysfs = new Sysfs(root, dmesg);
    sysfs.createFile(
        dir,
        "x",
        Attribute.<String>ro(
            "eio",
            0400,
            o -> {
              throw Errno.ENOMEM.with("no memory");
            }));
    long fh = vfs.open("/d/eio", Vfs.O_RDONLY);
    assertThat(Sys.errno(() -> vfs.read(fh, 0, 4096))).isEqualTo(Errno.ENOMEM);
    vfs.release(fh);
  }

  @ParameterizedTest(name = "show of {0} bytes -> {1} bytes")
  @CsvSource({"4095, 4095, false", "4096, 4095, true", "5000, 4095, true"})
  void sysfsShow_pageOrMore_isClampedTo4095AndLogged(int length, int read, boolean logged)
      throws Exception {
    Sysfs sysfs = new Sysfs(root, dmesg);
    sysfs.createFile(dir, "obj", Attribute.<String>ro("big", 0400, o -> "x".repeat(length)));
    String text = Sys.cat(vfs, "/d/big");
    assertThat(text).hasSize(read).matches("x*");
    assertThat(dmesg.messages().stream().anyMatch(m -> m.contains("fill_read_buffer")))
        .isEqualTo(logged);
  }

  // ------------------------------------------------------------------ writes

  @Test
  void write_zeroBytes_returnsZeroWithoutStore() throws Exception {
    CountingOps ops = file("f", n -> "");
    long fh = vfs.open("/d/f", Vfs.O_WRONLY);
    assertThat(vfs.write(fh, new byte[0], 0)).isZero();
    assertThat(ops.writes.get()).isZero();
    assertThat(vfs.write(fh, Sys.bytes("5\n"), 2)).isEqualTo(2);
    assertThat(ops.stored.get(0)).containsExactly('5', '\n', 0);
    vfs.release(fh);
  }

  @Test
  void write_moreThanAPage_storesFirst4096() throws Exception {
    CountingOps ops = file("f", n -> "");
    long fh = vfs.open("/d/f", Vfs.O_WRONLY);
    assertThat(vfs.write(fh, Sys.bytes("y".repeat(5000)), 5000)).isEqualTo(4096);
    assertThat(ops.stored.get(0)).hasSize(4097);
    vfs.release(fh);
  }

  @Test
  void write_moreThanAPage_storeBufferIsNulTerminated() throws Exception {
    CountingOps ops = file("f", n -> "");
    long fh = vfs.open("/d/f", Vfs.O_WRONLY);
    vfs.write(fh, Sys.bytes("y".repeat(5000)), 5000);
    assertThat(ops.stored.get(0)[4096]).isZero();
    vfs.release(fh);
  }

  @Test
  void open_extraPermissionCheck_refusesMissingModeBitsOrOps() throws Exception {
    root.createFile(dir, "ro", 0400, new CountingOps(n -> ""), 4096);
    root.createFile(dir, "wo", 0200, new CountingOps(n -> ""), 4096);
    assertThat(Sys.errno(() -> vfs.open("/d/ro", Vfs.O_WRONLY))).isEqualTo(Errno.EACCES);
    assertThat(Sys.errno(() -> vfs.open("/d/wo", Vfs.O_RDONLY))).isEqualTo(Errno.EACCES);
    assertThat(Sys.errno(() -> vfs.open("/d", Vfs.O_RDONLY))).isEqualTo(Errno.EISDIR);
    assertThat(root.openFileCount()).isZero();
  }

  // ------------------------------------------------------------------ removal

  @Test
  void afterRemove_readIsEnodev_evenAfterEof_writeEnodev_releaseWorks() throws Exception {
    CountingOps ops = file("f", n -> SAMPLE);
    long rfh = vfs.open("/d/f", Vfs.O_RDONLY);
    long wfh = vfs.open("/d/f", Vfs.O_WRONLY);
    KernfsFile kn = (KernfsFile) Namei.lookup(root, "d/f").orElseThrow();
    assertThat(s(vfs.read(rfh, 0, 4096))).isEqualTo(SAMPLE);
    assertThat(vfs.read(rfh, SAMPLE.length(), 4096)).isEmpty();
    assertThat(root.openFileCount()).isEqualTo(2);

    root.remove(dir);

    assertThat(Sys.errno(() -> vfs.read(rfh, SAMPLE.length(), 4096))).isEqualTo(Errno.ENODEV);
    assertThat(Sys.errno(() -> vfs.read(rfh, 0, 4096))).isEqualTo(Errno.ENODEV);
    assertThat(Sys.errno(() -> vfs.write(wfh, Sys.bytes("1"), 1))).isEqualTo(Errno.ENODEV);
    assertThat(ops.writes.get()).isZero();
    vfs.release(rfh);
    vfs.release(wfh);
    assertThat(root.openFileCount()).isZero();
    assertThat(Namei.lookup(root, "d/f")).isEmpty();
    assertThat(Namei.lookup(root, "d")).isEmpty();
    assertThat(Sys.errno(() -> vfs.stat("/d/f"))).isEqualTo(Errno.ENOENT);
    assertThat(Sys.errno(() -> vfs.open("/d/f", Vfs.O_RDONLY))).isEqualTo(Errno.ENOENT);
    assertThat(root.nodeCount()).isZero();
    assertThat(kn.isRemoved()).isTrue();
  }

  @Test
  void afterRemove_openByNodeRacingRemoval_isEnodev_andLlseekEnodev() throws Exception {
    file("f", n -> SAMPLE);
    KernfsFile kn = (KernfsFile) Namei.lookup(root, "d/f").orElseThrow();
    KernfsOpenFile of = KernfsOpenFile.open(kn, true, false);
    root.remove(kn);
    assertThat(Sys.errno(() -> KernfsOpenFile.open(kn, true, false))).isEqualTo(Errno.ENODEV);
    assertThat(
            Sys.errno(
                () -> {
                  of.checkAlive();
                  return null;
                }))
        .isEqualTo(Errno.ENODEV);
    of.release();
    of.release();
    assertThat(root.openFileCount()).isZero();
  }

  @Test
  void afterRemove_unconsumedBytesAreReturnedFirst_thenEnodev() throws Exception {
    file("f", n -> SAMPLE);
    long fh = vfs.open("/d/f", Vfs.O_RDONLY);
    assertThat(s(vfs.read(fh, 0, 3))).isEqualTo("96(");
    root.remove(dir);
    assertThat(s(vfs.read(fh, 3, 5))).isEqualTo("3) C0");
    assertThat(s(vfs.read(fh, 8, 4096))).isEqualTo("=32(1) C1=64(2)\n");
    assertThat(Sys.errno(() -> vfs.read(fh, SAMPLE.length(), 4096))).isEqualTo(Errno.ENODEV);
    vfs.release(fh);
    assertThat(root.openFileCount()).isZero();
  }

  @Test
  void remove_waitsForStoreInFlight_thenReturns() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch releaseStore = new CountDownLatch(1);
    root.createFile(dir, "other", 0400, new CountingOps(n -> "x\n"), 4096);
    root.createFile(
        dir,
        "store",
        0600,
        new CountingOps(n -> "") {
          @Override
          @SuppressWarnings("UnsynchronizedOverridesSynchronized") // parks mid-store on purpose
          public int write(byte[] buf, int len) {
            entered.countDown();
            awaitUninterruptibly(releaseStore);
            return len;
          }
        },
        4096);
    long fh = vfs.open("/d/store", Vfs.O_WRONLY);
    AtomicReference<Object> written = new AtomicReference<>();
    Thread writer =
        new Thread(
            () ->
                Task.runAs(
                    new Task(101, "echo"),
                    () -> {
                      try {
                        written.set(vfs.write(fh, Sys.bytes("1\n"), 2));
                      } catch (ErrnoException e) {
                        written.set(e);
                      }
                      return null;
                    }),
            "writer");
    writer.start();
    entered.await();
    assertThat(root.activeRefCount()).isEqualTo(1);

    CountDownLatch removed = new CountDownLatch(1);
    Thread remover =
        new Thread(
            () ->
                Task.runAs(
                    new Task(102, "rmmod"),
                    () -> {
                      root.remove(dir);
                      removed.countDown();
                      return null;
                    }),
            "remover");
    remover.start();
    // the remover parks in kernfs_drain on deactivate_waitq (the rwsem is uncontended)
    while (remover.isAlive() && remover.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    assertThat(removed.await(0, TimeUnit.SECONDS)).as("remove returned early").isFalse();
    assertThat(removed.getCount()).isEqualTo(1);
    assertThat(Namei.lookup(root, "d/store")).as("deactivated: no new lookups").isEmpty();
    assertThat(Sys.errno(() -> vfs.open("/d/store", Vfs.O_WRONLY))).isEqualTo(Errno.ENOENT);
    assertThat(written.get()).isNull();

    releaseStore.countDown();
    writer.join();
    remover.join();
    assertThat(removed.getCount()).isZero();
    assertThat(written.get()).isEqualTo(2);
    assertThat(root.activeRefCount()).isZero();
    assertThat(root.nodeCount()).isZero();
    assertThat(Sys.errno(() -> vfs.write(fh, Sys.bytes("1"), 1))).isEqualTo(Errno.ENODEV);
    vfs.release(fh);
    assertThat(root.openFileCount()).isZero();
  }

  @Test
  void remove_waitsForShowInFlight_andTheReadStillCompletes() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch releaseShow = new CountDownLatch(1);
    root.createFile(
        dir,
        "slow",
        0400,
        new CountingOps(n -> "") {
          @Override
          public byte[] show() {
            entered.countDown();
            awaitUninterruptibly(releaseShow);
            return Sys.bytes("late\n");
          }
        },
        4096);
    long fh = vfs.open("/d/slow", Vfs.O_RDONLY);
    AtomicReference<Object> read = new AtomicReference<>();
    Thread reader =
        new Thread(
            () ->
                Task.runAs(
                    new Task(103, "cat"),
                    () -> {
                      try {
                        read.set(s(vfs.read(fh, 0, 4096)));
                      } catch (ErrnoException e) {
                        read.set(e);
                      }
                      return null;
                    }),
            "reader");
    reader.start();
    entered.await();
    CountDownLatch removed = new CountDownLatch(1);
    Thread remover =
        new Thread(
            () ->
                Task.runAs(
                    new Task(102, "rmmod"),
                    () -> {
                      root.remove(dir);
                      removed.countDown();
                      return null;
                    }),
            "remover");
    remover.start();
    while (remover.isAlive() && remover.getState() != Thread.State.WAITING) {
      Thread.onSpinWait();
    }
    assertThat(removed.await(0, TimeUnit.SECONDS)).isFalse();
    releaseShow.countDown();
    reader.join();
    remover.join();
    assertThat(read.get()).isEqualTo("late\n");
    assertThat(removed.getCount()).isZero();
    assertThat(Sys.errno(() -> vfs.read(fh, 5, 4096))).isEqualTo(Errno.ENODEV);
    vfs.release(fh);
    assertThat(root.openFileCount()).isZero();
  }

  @Test
  void idleOpenFiles_doNotHoldActiveReferences() throws Exception {
    file("f", n -> SAMPLE);
    long fh = vfs.open("/d/f", Vfs.O_RDWR);
    vfs.read(fh, 0, 3);
    vfs.write(fh, Sys.bytes("1"), 1);
    assertThat(root.activeRefCount()).isZero();
    root.remove(dir); // returns at once: nothing is in flight
    assertThat(root.nodeCount()).isZero();
    vfs.release(fh);
  }

  private static void awaitUninterruptibly(CountDownLatch latch) {
    boolean interrupted = false;
    while (true) {
      try {
        latch.await();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
