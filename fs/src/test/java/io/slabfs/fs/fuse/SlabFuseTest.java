package io.slabfs.fs.fuse;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * Tier 2: the FUSE operations of {@link SlabFuse} called directly, on native memory from jnr,
 * without a mount. Outside a FUSE request the adapter runs as pid 0 ("kernel").
 */
@KernelTest
class SlabFuseTest {
  private static final int O_RDONLY = 0;
  private static final int O_WRONLY = 1;
  private static final int ENOENT = 2;
  private static final int EIO = 5;
  private static final int EBADF = 9;
  private static final int EACCES = 13;
  private static final int EISDIR = 21;
  private static final int EINVAL = 22;
  private static final int ERANGE = 34;

  private static final String K64 = "/kernel/slab/kmalloc-64";

  private final jnr.ffi.Runtime rt = jnr.ffi.Runtime.getSystemRuntime();
  private Kernel k;
  private SlabFuse fuse;

  @BeforeEach
  void boot(Kernels kernels) throws Exception {
    k = kernels.boot(BootOptions.defaults());
    fuse = new SlabFuse(k);
  }

  /** Then KernelExtension checks that the kernel is quiescent, and closes it. */
  @AfterEach
  void shutdown() {
    assertThat(k.kernfs().activeRefCount()).as("active references left").isZero();
    assertThat(k.dmesg().messages()).as("dmesg").noneMatch(l -> l.startsWith("BUG:"));
  }

  private Pointer mem(int size) {
    return rt.getMemoryManager().allocateDirect(size, true);
  }

  private FileStat stat(String path, int expectRc) {
    FileStat st = FileStat.of(mem(256));
    assertThat(fuse.getattr(path, st)).as("getattr %s", path).isEqualTo(expectRc);
    return st;
  }

  private FuseFileInfo fileInfo(int flags) {
    FuseFileInfo fi = FuseFileInfo.of(mem(64));
    fi.flags.set(flags);
    return fi;
  }

  private FuseFileInfo open(String path, int flags) {
    FuseFileInfo fi = fileInfo(flags);
    assertThat(fuse.open(path, fi)).as("open %s", path).isZero();
    return fi;
  }

  /** One read of up to {@code size} bytes at {@code offset}; the bytes, or fails on an error. */
  private String read(String path, FuseFileInfo fi, int size, long offset) {
    Pointer buf = mem(8192);
    int n = fuse.read(path, buf, size, offset, fi);
    assertThat(n).as("read %s", path).isGreaterThanOrEqualTo(0);
    byte[] bytes = new byte[n];
    buf.get(0, bytes, 0, n);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private int write(String path, FuseFileInfo fi, String text) {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);
    Pointer buf = mem(Math.max(data.length, 1));
    buf.put(0, data, 0, data.length);
    return fuse.write(path, buf, data.length, 0, fi);
  }

  private String readAll(String path) {
    FuseFileInfo fi = open(path, O_RDONLY);
    try {
      return read(path, fi, 4096, 0);
    } finally {
      assertThat(fuse.release(path, fi)).isZero();
    }
  }

  private List<String> readdir(String path) {
    List<String> names = new ArrayList<>();
    FuseFillDir filler =
        (Pointer buf, ByteBuffer name, Pointer stbuf, long off) -> {
          byte[] b = new byte[name.remaining()];
          name.get(b);
          names.add(new String(b, StandardCharsets.UTF_8));
          return 0;
        };
    FuseFileInfo fi = fileInfo(O_RDONLY);
    assertThat(fuse.opendir(path, fi)).as("opendir %s", path).isZero();
    assertThat(fuse.readdir(null, mem(16), filler, 0, fi)).as("readdir %s", path).isZero();
    assertThat(fuse.releasedir(null, fi)).isZero();
    return names;
  }

  private String firstSymlink(String dir) throws ErrnoException {
    for (String name : k.vfs().readdir(dir)) {
      if (k.vfs().stat(dir + "/" + name).type() == Stat.Type.SYMLINK) {
        return dir + "/" + name;
      }
    }
    throw new AssertionError("no symlink in " + dir);
  }

  @Test
  void getattrOfAttributeIsRegular0400OfPageSize() {
    FileStat st = stat(K64 + "/object_size", 0);
    assertThat(st.st_mode.intValue()).isEqualTo(FileStat.S_IFREG | 0400);
    assertThat(st.st_size.longValue()).isEqualTo(4096);
    assertThat(st.st_nlink.intValue()).isEqualTo(1);
    assertThat(st.st_uid.intValue()).isZero();
  }

  @Test
  void getattrOfWritableAttributeIs0600() {
    assertThat(stat(K64 + "/min_partial", 0).st_mode.intValue()).isEqualTo(FileStat.S_IFREG | 0600);
  }

  @Test
  void getattrOfDirectoryIs0755() {
    FileStat st = stat(K64, 0);
    assertThat(st.st_mode.intValue()).isEqualTo(FileStat.S_IFDIR | 0755);
    assertThat(st.st_nlink.intValue()).isGreaterThanOrEqualTo(2);
    assertThat(stat("/", 0).st_mode.intValue()).isEqualTo(FileStat.S_IFDIR | 0755);
  }

  @Test
  void getattrOfSymlinkIsLink() throws Exception {
    String link = firstSymlink("/kernel/slab");
    assertThat(stat(link, 0).st_mode.intValue() & FileStat.S_IFMT).isEqualTo(FileStat.S_IFLNK);
  }

  @Test
  void getattrOfMissingPathIsEnoent() {
    stat("/kernel/slab/no-such-cache", -ENOENT);
    stat(K64 + "/no_such_attribute", -ENOENT);
    stat("/nope", -ENOENT);
  }

  @Test
  void readdirListsDotEntriesAndAttributes() {
    List<String> names = readdir(K64);
    assertThat(names).startsWith(".", "..");
    assertThat(names).contains("object_size", "min_partial", "slabs_cpu_partial", "ctor");
    assertThat(names).hasSize(2 + 30);
    assertThat(readdir("/")).contains("kernel", "devices", "module", "sim");
  }

  @Test
  void readdirStopsWhenTheBufferIsFull() {
    List<String> seen = new ArrayList<>();
    FuseFillDir full =
        (Pointer buf, ByteBuffer name, Pointer stbuf, long off) -> {
          seen.add(StandardCharsets.UTF_8.decode(name).toString());
          return seen.size() >= 3 ? 1 : 0;
        };
    FuseFileInfo fi = fileInfo(O_RDONLY);
    assertThat(fuse.opendir(K64, fi)).isZero();
    assertThat(fuse.readdir(null, mem(16), full, 0, fi)).isZero();
    assertThat(seen).hasSize(3);
    assertThat(fuse.releasedir(null, fi)).isZero();
  }

  @Test
  void readdirOfFileAndMissingDir() {
    assertThat(fuse.opendir("/nope", fileInfo(O_RDONLY))).isEqualTo(-ENOENT);
    assertThat(fuse.opendir(K64 + "/order", fileInfo(O_RDONLY))).isEqualTo(-20 /* ENOTDIR */);
  }

  @Test
  void readlinkGivesTheBareSiblingNameNulTerminated() throws Exception {
    String link = firstSymlink("/kernel/slab");
    String target = k.vfs().readlink(link);
    assertThat(target).doesNotContain("/");
    Pointer buf = mem(256);
    assertThat(fuse.readlink(link, buf, 256)).isZero();
    assertThat(buf.getString(0, 256, StandardCharsets.UTF_8)).isEqualTo(target);
    stat("/kernel/slab/" + target, 0);
  }

  @Test
  void readlinkTruncatesToTheBufferAndTerminates() throws Exception {
    String link = firstSymlink("/kernel/slab");
    String target = k.vfs().readlink(link);
    Pointer buf = mem(16);
    buf.putByte(3, (byte) 'x');
    assertThat(fuse.readlink(link, buf, 4)).isZero();
    assertThat(buf.getString(0, 16, StandardCharsets.UTF_8)).isEqualTo(target.substring(0, 3));
  }

  @Test
  void readlinkOfNonLinkIsEinvalAndOfMissingIsEnoent() {
    assertThat(fuse.readlink(K64 + "/order", mem(64), 64)).isEqualTo(-EINVAL);
    assertThat(fuse.readlink("/kernel/slab/nope", mem(64), 64)).isEqualTo(-ENOENT);
  }

  @Test
  void openForWritingA0400FileIsEaccesEvenForRoot() {
    assertThat(fuse.open(K64 + "/order", fileInfo(O_WRONLY))).isEqualTo(-EACCES);
    assertThat(fuse.open(K64 + "/order", fileInfo(2 /* O_RDWR */))).isEqualTo(-EACCES);
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  @Test
  void openOfDirectoryIsEisdirAndOfMissingIsEnoent() {
    assertThat(fuse.open(K64, fileInfo(O_RDONLY))).isEqualTo(-EISDIR);
    assertThat(fuse.open(K64 + "/nope", fileInfo(O_RDONLY))).isEqualTo(-ENOENT);
  }

  @Test
  void readReturnsTheBytesAndThenEof() {
    FuseFileInfo fi = open(K64 + "/object_size", O_RDONLY);
    assertThat(fi.fh.get()).isPositive();
    assertThat(read(K64 + "/object_size", fi, 4096, 0)).isEqualTo("64\n");
    assertThat(read(K64 + "/object_size", fi, 4096, 3)).isEmpty();
    assertThat(fuse.release(K64 + "/object_size", fi)).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  @Test
  void shortReadsContinueAndPreadSkips() {
    String path = K64 + "/slabs_cpu_partial";
    String whole = readAll(path);
    assertThat(whole).endsWith("\n").hasSizeGreaterThan(3);
    FuseFileInfo fi = open(path, O_RDONLY);
    assertThat(read(path, fi, 3, 0)).isEqualTo(whole.substring(0, 3));
    assertThat(read(path, fi, 4096, 3)).isEqualTo(whole.substring(3));
    assertThat(read(path, fi, 4096, whole.length())).isEmpty();
    assertThat(read(path, fi, 4096, 2)).isEqualTo(whole.substring(2));
    assertThat(read(path, fi, 4096, 1000)).isEmpty();
    assertThat(fuse.release(path, fi)).isZero();
  }

  @Test
  void readThroughASymlinkReadsTheTarget() throws Exception {
    String link = firstSymlink("/kernel/slab");
    assertThat(readAll(link + "/object_size")).matches("\\d+\n");
  }

  @Test
  void writeStoresAndReadsBack() {
    String path = K64 + "/min_partial";
    FuseFileInfo fi = open(path, O_WRONLY);
    assertThat(write(path, fi, "7\n")).isEqualTo(2);
    assertThat(fuse.release(path, fi)).isZero();
    assertThat(readAll(path)).isEqualTo("7\n");
  }

  @Test
  void badWritesAnswerTheKernelsErrnoAndChangeNothing() {
    String path = K64 + "/min_partial";
    String before = readAll(path);
    FuseFileInfo fi = open(path, O_WRONLY);
    assertThat(write(path, fi, "-1\n")).isEqualTo(-EINVAL);
    assertThat(write(path, fi, "abc")).isEqualTo(-EINVAL);
    assertThat(write(path, fi, "")).isZero();
    assertThat(fuse.release(path, fi)).isZero();
    assertThat(readAll(path)).isEqualTo(before);

    String ratio = K64 + "/remote_node_defrag_ratio";
    String ratioBefore = readAll(ratio);
    FuseFileInfo rfi = open(ratio, O_WRONLY);
    assertThat(write(ratio, rfi, "101\n")).isEqualTo(-ERANGE);
    assertThat(fuse.release(ratio, rfi)).isZero();
    assertThat(readAll(ratio)).isEqualTo(ratioBefore);
  }

  @Test
  void readOfWriteOnlyHandleAndWriteOfReadOnlyHandleAreEbadf() {
    String path = K64 + "/min_partial";
    FuseFileInfo wfi = open(path, O_WRONLY);
    assertThat(fuse.read(path, mem(64), 64, 0, wfi)).isEqualTo(-EBADF);
    assertThat(fuse.release(path, wfi)).isZero();
    FuseFileInfo rfi = open(path, O_RDONLY);
    assertThat(write(path, rfi, "3\n")).isEqualTo(-EBADF);
    assertThat(fuse.release(path, rfi)).isZero();
  }

  @Test
  void readAfterReleaseIsEbadf() {
    String path = K64 + "/object_size";
    FuseFileInfo fi = open(path, O_RDONLY);
    assertThat(fuse.release(path, fi)).isZero();
    assertThat(fuse.read(path, mem(64), 64, 0, fi)).isEqualTo(-EBADF);
    assertThat(fuse.release(path, fi)).as("a second release still succeeds").isZero();
  }

  @Test
  void truncateIsAcceptedAndIgnoredOnAttributesRefusedOnDirectories() {
    assertThat(fuse.truncate(K64 + "/min_partial", 0)).isZero();
    assertThat(fuse.truncate(K64 + "/order", 0)).isZero();
    assertThat(readAll(K64 + "/object_size")).isEqualTo("64\n");
    assertThat(fuse.truncate(K64, 0)).isEqualTo(-EISDIR);
    assertThat(fuse.truncate(K64 + "/nope", 0)).isEqualTo(-ENOENT);
  }

  /**
   * The daemon mounts with {@code -o nopath}: libfuse then passes a NULL path to the operations on
   * open handles (read, write, release, fgetattr, readdir, releasedir), which must go by handle.
   */
  @Test
  void handleOperationsWorkWithoutAPath() {
    String path = K64 + "/min_partial";
    FuseFileInfo w = open(path, O_WRONLY);
    assertThat(write(null, w, "9\n")).isEqualTo(2);
    assertThat(fuse.release(null, w)).isZero();
    FuseFileInfo r = open(path, O_RDONLY);
    assertThat(read(null, r, 4096, 0)).isEqualTo("9\n");
    FileStat st = FileStat.of(mem(256));
    assertThat(fuse.fgetattr(null, st, r)).isZero();
    assertThat(st.st_mode.intValue()).isEqualTo(FileStat.S_IFREG | 0600);
    assertThat(st.st_size.longValue()).isEqualTo(4096);
    assertThat(fuse.release(null, r)).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  /** slabinfo (and find, ls --color) rely on d_type; libfuse takes it from st_mode. */
  @Test
  void readdirGivesEachEntryItsType() {
    Map<String, Long> types = new java.util.HashMap<>();
    FuseFillDir filler =
        (Pointer buf, ByteBuffer name, Pointer stbuf, long off) -> {
          types.put(
              StandardCharsets.UTF_8.decode(name).toString(),
              FileStat.of(stbuf).st_mode.longValue() & FileStat.S_IFMT);
          return 0;
        };
    FuseFileInfo fi = fileInfo(O_RDONLY);
    assertThat(fuse.opendir("/kernel/slab", fi)).isZero();
    assertThat(fuse.readdir(null, mem(16), filler, 0, fi)).isZero();
    assertThat(types.get("kmalloc-64")).isEqualTo((long) FileStat.S_IFDIR);
    assertThat(types.get("UDP")).isEqualTo((long) FileStat.S_IFLNK);
    assertThat(fuse.releasedir(null, fi)).isZero();
    fi = fileInfo(O_RDONLY);
    assertThat(fuse.opendir(K64, fi)).isZero();
    assertThat(fuse.readdir(null, mem(16), filler, 0, fi)).isZero();
    assertThat(types.get("order")).isEqualTo((long) FileStat.S_IFREG);
    assertThat(fuse.releasedir(null, fi)).isZero();
  }

  @Test
  void readdirWorksWithoutAPathAfterOpendir() {
    FuseFileInfo fi = fileInfo(O_RDONLY);
    assertThat(fuse.opendir(K64, fi)).isZero();
    List<String> names = new ArrayList<>();
    FuseFillDir filler =
        (Pointer buf, ByteBuffer name, Pointer stbuf, long off) -> {
          names.add(StandardCharsets.UTF_8.decode(name).toString());
          return 0;
        };
    assertThat(fuse.readdir(null, mem(16), filler, 0, fi)).as("readdir with a NULL path").isZero();
    assertThat(names).contains(".", "..", "object_size").hasSize(32);
    assertThat(fuse.releasedir(null, fi)).isZero();
  }

  @Test
  void removedOpenFileAnswersEnodevAndFstatsFromTheHeldInode() throws Exception {
    var node =
        k.kernfs()
            .createFile(
                k.kernfs().rootDir(),
                "gone",
                0444,
                ops(() -> "x\n".getBytes(StandardCharsets.UTF_8)),
                4096);
    FuseFileInfo fi = open("/gone", O_RDONLY);
    k.kernfs().remove(node);
    stat("/gone", -ENOENT);
    FileStat st = FileStat.of(mem(256));
    assertThat(fuse.fgetattr(null, st, fi)).isZero();
    assertThat(st.st_mode.intValue()).isEqualTo(FileStat.S_IFREG | 0444);
    assertThat(fuse.read(null, mem(64), 64, 0, fi)).isEqualTo(-19 /* ENODEV */);
    assertThat(fuse.release(null, fi)).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  @Test
  void namespaceChangesAreRefused() {
    assertThat(fuse.create(K64 + "/new", 0644, fileInfo(O_WRONLY))).isEqualTo(-EACCES);
    assertThat(fuse.mkdir("/kernel/slab/new", 0755)).isEqualTo(-1 /* EPERM */);
    assertThat(fuse.unlink(K64 + "/order")).isEqualTo(-1);
    assertThat(fuse.rmdir(K64)).isEqualTo(-1);
    assertThat(fuse.rename(K64, "/kernel/slab/x")).isEqualTo(-1);
    stat(K64 + "/order", 0);
  }

  @Test
  void requestsRunAsAKernelTaskOutsideFuse() throws Exception {
    Task before = Task.current();
    AtomicReference<Task> seen = new AtomicReference<>();
    k.kernfs()
        .createFile(
            k.kernfs().rootDir(),
            "who",
            0444,
            ops(
                () -> {
                  seen.set(Task.current());
                  return "x\n".getBytes(StandardCharsets.UTF_8);
                }),
            4096);
    assertThat(readAll("/who")).isEqualTo("x\n");
    assertThat(seen.get()).isNotNull();
    assertThat(seen.get().pid()).isZero();
    assertThat(seen.get().comm()).isEqualTo("kernel");
    assertThat(Task.current()).as("restored after the request").isSameAs(before);
  }

  @Test
  void unexpectedExceptionInShowIsEioAndABugInDmesg() throws Exception {
    k.kernfs()
        .createFile(
            k.kernfs().rootDir(),
            "broken",
            0444,
            ops(
                () -> {
                  throw new IllegalStateException("boom");
                }),
            4096);
    FuseFileInfo fi = open("/broken", O_RDONLY);
    assertThat(fuse.read("/broken", mem(4096), 4096, 0, fi)).isEqualTo(-EIO);
    assertThat(fuse.release("/broken", fi)).isZero();
    List<String> bugs =
        k.dmesg().messages().stream().filter(l -> l.startsWith("BUG: slabfs: unexpected")).toList();
    assertThat(bugs).hasSize(1);
    assertThat(bugs.get(0)).contains("IllegalStateException").contains("boom").contains("/broken");
    assertThat(k.kernfs().activeRefCount()).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
    // the adapter keeps serving
    assertThat(readAll(K64 + "/object_size")).isEqualTo("64\n");
    k.dmesg().clear();
  }

  @Test
  void callTranslatesErrnoAndBugs() {
    assertThat(fuse.call("test", "/x", () -> 42)).isEqualTo(42);
    assertThat(
            fuse.call(
                "test",
                "/x",
                () -> {
                  throw io.slabfs.kernel.errno.Errno.EBUSY.with("busy");
                }))
        .isEqualTo(-16);
    assertThat(
            fuse.call(
                "test",
                "/x",
                () -> {
                  throw new OutOfMemoryError("fake");
                }))
        .isEqualTo(-EIO);
    assertThat(k.dmesg().messages())
        .anyMatch(
            l ->
                l.startsWith("BUG: slabfs: unexpected")
                    && l.contains("OutOfMemoryError")
                    && l.contains("test /x"));
    k.dmesg().clear();
  }

  /** A request that overflows its stack fails alone: EIO and a BUG line; the next one works. */
  @Test
  void stackOverflowInOneRequest_isEio_andTheNextRequestIsServed() throws Exception {
    k.kernfs()
        .createFile(
            k.kernfs().rootDir(),
            "deep",
            0444,
            ops(
                () -> {
                  return new byte[recurse(0)];
                }),
            4096);
    FuseFileInfo fi = open("/deep", O_RDONLY);
    assertThat(fuse.read("/deep", mem(4096), 4096, 0, fi)).isEqualTo(-EIO);
    assertThat(fuse.release("/deep", fi)).isZero();
    assertThat(k.dmesg().messages())
        .anyMatch(
            l ->
                l.startsWith("BUG: slabfs: unexpected")
                    && l.contains("StackOverflowError")
                    && l.contains("/deep"));
    assertThat(k.kernfs().activeRefCount()).isZero();
    assertThat(readAll(K64 + "/object_size")).isEqualTo("64\n");
    k.dmesg().clear();
  }

  /** Deeper than any thread's stack: overflows long before the bound. */
  private static int recurse(int depth) {
    return depth < Integer.MAX_VALUE ? recurse(depth + 1) + 1 : 0;
  }

  @FunctionalInterface
  private interface Show {
    byte[] show() throws ErrnoException;
  }

  private static KernfsOps ops(Show show) {
    Object key = new Object();
    return new KernfsOps() {
      @Override
      public boolean canRead() {
        return true;
      }

      @Override
      public boolean canWrite() {
        return false;
      }

      @Override
      public byte[] show() throws ErrnoException {
        return show.show();
      }

      @Override
      public int write(byte[] buf, int len) {
        throw new UnsupportedOperationException();
      }

      @Override
      public Object activeKey() {
        return key;
      }
    };
  }
}
