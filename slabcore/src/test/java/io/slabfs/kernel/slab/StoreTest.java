package io.slabfs.kernel.slab;

import static io.slabfs.kernel.testing.Sys.bytes;
import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static io.slabfs.kernel.testing.Sys.snapshot;
import static io.slabfs.kernel.testing.Sys.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The writable slab attributes through the VFS (kernel-model 1.3, 1.4, 4.5): one input table for
 * all five, the errno the kernel gives, and no state change on failure.
 */
@KernelTest
class StoreTest {
  private static final String DIR = "/kernel/slab/kmalloc-64";
  private static final List<String> WRITABLE =
      List.of("cpu_partial", "min_partial", "remote_node_defrag_ratio", "shrink", "validate");

  /** Attributes that a successful flush or shrink legitimately changes. */
  private static final List<String> COUNTERS =
      List.of(
          "objects",
          "slabs",
          "partial",
          "cpu_slabs",
          "total_objects",
          "objects_partial",
          "slabs_cpu_partial");

  private Kernels kernels;
  private Kernel k;

  @BeforeEach
  void boot(Kernels kernels) throws Exception {
    this.kernels = kernels;
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
  }

  private Vfs vfs() {
    return k.vfs();
  }

  private KmemCache create(String args) throws ErrnoException {
    return k.slab().create(KmemCacheArgs.parse(args.split(" ")));
  }

  // ------------------------------------------------------------------ the input table

  /**
   * Expected outcome per attribute, in the order of {@link #WRITABLE}: {@code =V} the store
   * succeeds and the file then shows V; {@code ok} it succeeds (shrink); {@code E} EINVAL; {@code
   * R} ERANGE; {@code 0} a 0-byte write that returns 0 without calling store.
   */
  private static final Object[][] TABLE = {
    {"5", bytes("5"), "=5", "=5", "=5", "E", "E"},
    {"5\\n", bytes("5\n"), "=5", "=5", "=5", "E", "E"},
    {"+5", bytes("+5"), "=5", "=5", "=5", "E", "E"},
    {"007", bytes("007"), "=7", "=7", "=7", "E", "E"},
    {"(empty)", new byte[0], "0", "0", "0", "0", "0"},
    {"' 5'", bytes(" 5"), "E", "E", "E", "E", "E"},
    {"'5 '", bytes("5 "), "E", "E", "E", "E", "E"},
    {"-1", bytes("-1"), "E", "E", "E", "E", "E"},
    {"0x10", bytes("0x10"), "E", "E", "E", "E", "E"},
    {"5\\n\\n", bytes("5\n\n"), "E", "E", "E", "E", "E"},
    {"4294967295", bytes("4294967295"), "=4294967295", "=4294967295", "R", "E", "E"},
    {"4294967296", bytes("4294967296"), "R", "=4294967296", "R", "E", "E"},
    {"2^64-1", bytes("18446744073709551615"), "R", "=18446744073709551615", "R", "ok", "E"},
    {"2^64", bytes("18446744073709551616"), "R", "R", "R", "ok", "E"},
    {"abc", bytes("abc"), "E", "E", "E", "E", "E"},
    {"binary", new byte[] {(byte) 0x80, (byte) 0xff, 0x01, 0x7f}, "E", "E", "E", "E", "E"},
    {"5000 digits", bytes("1".repeat(5000)), "R", "R", "R", "ok", "E"},
    {"0", bytes("0"), "=0", "=0", "=0", "E", "E"},
    {"1", bytes("1"), "=1", "=1", "=1", "ok", "E"},
    {"1\\n", bytes("1\n"), "=1", "=1", "=1", "ok", "E"},
    {"10", bytes("10"), "=10", "=10", "=10", "ok", "E"},
    {"1xyz", bytes("1xyz"), "E", "E", "E", "ok", "E"},
    {"100", bytes("100"), "=100", "=100", "=100", "ok", "E"},
    {"101", bytes("101"), "=101", "=101", "R", "ok", "E"},
    {"5\\0junk", bytes("5\0junk"), "=5", "=5", "=5", "E", "E"},
    {"\\n", bytes("\n"), "E", "E", "E", "E", "E"},
  };

  static Stream<Arguments> table() {
    List<Arguments> out = new ArrayList<>();
    for (Object[] row : TABLE) {
      for (int i = 0; i < WRITABLE.size(); i++) {
        out.add(Arguments.of(WRITABLE.get(i), row[0], row[1], row[2 + i]));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} <- {1}: {3}")
  @MethodSource("table")
  void store_inputTable_kmalloc64(String attr, String label, byte[] input, String expected)
      throws Exception {
    String path = DIR + "/" + attr;
    Map<String, String> before = snapshot(vfs(), DIR);
    switch (expected.charAt(0)) {
      case 'E', 'R' -> {
        Errno want = expected.equals("E") ? Errno.EINVAL : Errno.ERANGE;
        assertThat(errno(() -> write(vfs(), path, input))).isEqualTo(want);
        assertThat(snapshot(vfs(), DIR)).as("no state change on failure").isEqualTo(before);
      }
      case '0' -> {
        assertThat(write(vfs(), path, input)).isZero();
        assertThat(snapshot(vfs(), DIR)).isEqualTo(before);
      }
      case '=' -> {
        assertThat(write(vfs(), path, input)).isEqualTo(Math.min(input.length, 4096));
        assertThat(cat(vfs(), path)).isEqualTo(expected.substring(1) + "\n");
        Map<String, String> after = snapshot(vfs(), DIR);
        after.remove(attr);
        before.remove(attr);
        if (attr.equals("cpu_partial")) {
          COUNTERS.forEach(after::remove); // the store flushes every CPU
          COUNTERS.forEach(before::remove);
        }
        assertThat(after).as("only %s changed", attr).isEqualTo(before);
      }
      case 'o' -> assertThat(write(vfs(), path, input)).isEqualTo(Math.min(input.length, 4096));
      default -> throw new IllegalArgumentException(expected);
    }
    assertThat(k.kernfs().activeRefCount()).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  // ------------------------------------------------------------------ single behaviours

  @Test
  void shrink_accepted_flushesCpusAndDropsEmptyNodeSlabs() throws Exception {
    KmemCache s = create("sh 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 64 * 4);
    s.free(1, 64 * 4, new Random(3));
    assertThat(cat(vfs(), "/kernel/slab/sh/objects")).isNotEqualTo("0\n");
    assertThat(write(vfs(), "/kernel/slab/sh/shrink", "1\n")).isEqualTo(2);
    for (String c : COUNTERS) {
      assertThat(cat(vfs(), "/kernel/slab/sh/" + c)).as(c).isIn("0\n", "0(0)\n");
    }
  }

  @Test
  void remoteNodeDefragRatio_101_isErange_100_isStoredTimesTen() throws Exception {
    String path = DIR + "/remote_node_defrag_ratio";
    assertThat(errno(() -> write(vfs(), path, "101\n"))).isEqualTo(Errno.ERANGE);
    assertThat(write(vfs(), path, "37\n")).isEqualTo(3);
    assertThat(cat(vfs(), path)).isEqualTo("37\n");
    KmemCache s =
        k.slab().caches().stream()
            .filter(c -> c.name().equals("kmalloc-64"))
            .findFirst()
            .orElseThrow();
    assertThat(s.remoteNodeDefragRatio()).isEqualTo(370);
  }

  @Test
  void validate_debugCache_works_withoutBugReport() throws Exception {
    KmemCache s = create("dbg 64 flags=SLAB_RED_ZONE|SLAB_POISON");
    s.alloc(0, 100);
    s.alloc(1, 50);
    s.free(1, 60, new Random(5));
    String path = "/kernel/slab/dbg/validate";
    assertThat(write(vfs(), path, "1")).isEqualTo(1);
    assertThat(write(vfs(), path, "1\n")).isEqualTo(2);
    assertThat(write(vfs(), path, "1xyz")).isEqualTo(4);
    assertThat(errno(() -> write(vfs(), path, "0"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), path, "2"))).isEqualTo(Errno.EINVAL);
    assertThat(k.dmesg().messages()).noneMatch(m -> m.contains("BUG"));
    assertThat(cat(vfs(), "/kernel/slab/dbg/objects")).isEqualTo("90 N0=90\n");
  }

  @Test
  void validate_nonDebugCache_isEinval() throws Exception {
    assertThat(errno(() -> write(vfs(), DIR + "/validate", "1\n"))).isEqualTo(Errno.EINVAL);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kmalloc-64", "kmem_cache", "dbg", "kmalloc-8k"})
  void cpuPartial_zero_isAcceptedOnAnyCache(String cache) throws Exception {
    create("dbg 64 flags=SLAB_RED_ZONE|SLAB_POISON");
    String path = "/kernel/slab/" + cache + "/cpu_partial";
    assertThat(write(vfs(), path, "0\n")).isEqualTo(2);
    assertThat(cat(vfs(), path)).isEqualTo("0\n");
  }

  @Test
  void cpuPartial_nonzeroOnDebugCache_isEinval_parseErrorsFirst() throws Exception {
    create("dbg 64 flags=SLAB_STORE_USER");
    String path = "/kernel/slab/dbg/cpu_partial";
    Map<String, String> before = snapshot(vfs(), "/kernel/slab/dbg");
    assertThat(errno(() -> write(vfs(), path, "5\n"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), path, "4294967296"))).isEqualTo(Errno.ERANGE);
    assertThat(snapshot(vfs(), "/kernel/slab/dbg")).isEqualTo(before);
    assertThat(cat(vfs(), path)).isEqualTo("0\n");
  }

  @Test
  void cpuPartial_store_setsCpuPartialSlabsWithU32Arithmetic() throws Exception {
    KmemCache s =
        k.slab().caches().stream()
            .filter(c -> c.name().equals("kmalloc-64"))
            .findFirst()
            .orElseThrow();
    write(vfs(), DIR + "/cpu_partial", "30");
    assertThat(s.cpuPartialSlabs()).isEqualTo(1); // DIV_ROUND_UP(60, 64)
    write(vfs(), DIR + "/cpu_partial", "2147483648"); // objects * 2 wraps to 0
    assertThat(s.cpuPartialSlabs()).isZero();
    assertThat(cat(vfs(), DIR + "/cpu_partial")).isEqualTo("2147483648\n");
  }

  @Test
  void write5000Bytes_shrink_storesOnlyFirst4096() throws Exception {
    byte[] data = bytes("1" + "0".repeat(4999));
    assertThat(write(vfs(), DIR + "/shrink", data)).isEqualTo(4096);
  }

  @Test
  void write5000Bytes_minPartial_storeSeesOnlyFirst4096() throws Exception {
    // the store sees "000...07" (4096 bytes); the junk after byte 4096 never reaches it
    byte[] data = bytes("0".repeat(4095) + "7" + "junk".repeat(226));
    assertThat(data).hasSize(5000);
    assertThat(write(vfs(), DIR + "/min_partial", data)).isEqualTo(4096);
    assertThat(cat(vfs(), DIR + "/min_partial")).isEqualTo("7\n");
  }

  @Test
  void eachWrite_onOneFd_isOneStore() throws Exception {
    long fh = vfs().open(DIR + "/min_partial", Vfs.O_WRONLY);
    try {
      assertThat(vfs().write(fh, bytes("7"), 1)).isEqualTo(1);
      assertThat(vfs().write(fh, bytes("8\n"), 2)).isEqualTo(2);
      assertThat(errno(() -> vfs().write(fh, bytes("\n"), 1))).isEqualTo(Errno.EINVAL);
    } finally {
      vfs().release(fh);
    }
    assertThat(cat(vfs(), DIR + "/min_partial")).isEqualTo("8\n");
  }

  @Test
  void writeThroughAliasSymlink_reachesTheUniqueIdDirectory() throws Exception {
    create("foo 64");
    assertThat(write(vfs(), "/kernel/slab/foo/min_partial", "9\n")).isEqualTo(2);
    assertThat(cat(vfs(), "/kernel/slab/:0000064/min_partial")).isEqualTo("9\n");
  }

  @Test
  void rootOpeningReadOnlyFileForWrite_isEacces() throws Exception {
    for (String name : snapshot(vfs(), DIR).keySet()) {
      String path = DIR + "/" + name;
      if (WRITABLE.contains(name)) {
        long fh = vfs().open(path, Vfs.O_WRONLY);
        vfs().release(fh);
        continue;
      }
      assertThat(errno(() -> vfs().open(path, Vfs.O_WRONLY))).as(name).isEqualTo(Errno.EACCES);
      assertThat(errno(() -> vfs().open(path, Vfs.O_RDWR))).as(name).isEqualTo(Errno.EACCES);
      vfs().release(vfs().open(path, Vfs.O_RDONLY));
    }
    assertThat(k.kernfs().openFileCount()).isZero();
  }

  @Test
  void writeOnReadOnlyHandle_isEbadf() throws Exception {
    long fh = vfs().open(DIR + "/min_partial", Vfs.O_RDONLY);
    try {
      assertThat(errno(() -> vfs().write(fh, bytes("5"), 1))).isEqualTo(Errno.EBADF);
    } finally {
      vfs().release(fh);
    }
  }

  @Test
  void failedStores_leaveEveryCacheUnchanged() throws Exception {
    Map<String, Map<String, String>> before = new HashMap<>();
    List<String> dirs = vfs().readdir("/kernel/slab");
    for (String d : dirs) {
      before.put(d, snapshot(vfs(), "/kernel/slab/" + d));
    }
    for (String attr : WRITABLE) {
      for (byte[] bad : List.of(bytes("abc"), bytes(" 1"), bytes("-1"))) {
        assertThat(errno(() -> write(vfs(), DIR + "/" + attr, bad)))
            .as(attr + " <- " + Arrays.toString(bad))
            .isEqualTo(Errno.EINVAL);
      }
    }
    for (String d : dirs) {
      assertThat(snapshot(vfs(), "/kernel/slab/" + d)).as(d).isEqualTo(before.get(d));
    }
  }

  @Test
  void v7_cpuPartial_onlyZeroAccepted() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(KernelEra.V7));
    assertThat(write(vfs(), DIR + "/cpu_partial", "0\n")).isEqualTo(2);
    assertThat(errno(() -> write(vfs(), DIR + "/cpu_partial", "5\n"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), DIR + "/cpu_partial", "x"))).isEqualTo(Errno.EINVAL);
    assertThat(cat(vfs(), DIR + "/cpu_partial")).isEqualTo("0\n");
  }
}
