package io.slabfs.kernel.slab;

import static io.slabfs.kernel.slab.SlabFlags.SLAB_CACHE_DMA;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_HWCACHE_ALIGN;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_POISON;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_RECLAIM_ACCOUNT;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_RED_ZONE;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_STORE_USER;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_TRACE;
import static io.slabfs.kernel.slab.SlabFlags.SLAB_TYPESAFE_BY_RCU;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.testing.Sys;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Geometry} against kernel-model.md section 8 and the live 6.18 tree captured in
 * golden/real-sysfs-sample.txt (2 CPUs, PAGE_SIZE 4096, cache line 64).
 */
class GeometryTest {
  private static final String GOLDEN = "/golden/real-sysfs-sample.txt";
  private static final int CPUS = 2;

  /**
   * Free-pointer offsets of the caches that pass {@code args->freeptr_offset} (mm/mmap.c, fs/
   * file_table.c, io_uring): only their slab_size cannot be derived without it. Values as in
   * boot-default.txt; any offset inside the object gives the same size.
   */
  private static final Map<String, Integer> FREEPTR =
      Map.of("filp", 88, "bfilp", 104, "vm_area_struct", 96, "io_kiocb", 120);

  private static Geometry plain(int size) {
    return Geometry.calculate(size, 0, 0, false, -1, CPUS);
  }

  // ------------------------------------------------------------------ worked examples (§8)

  @ParameterizedTest(name = "size {0} -> order {1}, {2} objects")
  @CsvSource({
    "320, 0, 12",
    "344, 1, 23",
    "632, 2, 25",
    "1024, 2, 16",
    "2112, 3, 15",
    "4096, 3, 8",
    "8192, 3, 4",
    "51488, 4, 1",
  })
  void workedExample_twoCpus_givesOrderAndObjects(int size, int order, int objects) {
    Geometry g = plain(size);
    assertThat(g.size()).isEqualTo(size);
    assertThat(g.order()).isEqualTo(order);
    assertThat(g.objects()).isEqualTo(objects);
  }

  @Test
  void size344_orderZero_wouldHoldFewerThanMinObjects() {
    // order 0 gives 11 objects < min_objects 12, so the order goes up
    assertThat(Geometry.orderObjects(0, 344)).isEqualTo(11);
    assertThat(plain(344).order()).isEqualTo(1);
  }

  @Test
  void size632_orderOne_wastesTooMuch() {
    // order 1: 8192 % 632 = 608 bytes wasted, more than 8192/16 = 512
    assertThat((4096 << 1) % 632).isEqualTo(608);
    assertThat(plain(632).order()).isEqualTo(2);
  }

  @ParameterizedTest(name = "size {0} -> min_partial {1}")
  @CsvSource({
    "8, 5",
    "4088, 5",
    "4096, 6",
    "8192, 6",
    "16376, 6",
    "16384, 7",
    "51488, 7",
    "65536, 8",
    "262144, 9",
    "1048576, 10",
    "4194304, 10",
  })
  void minPartial_isHalfIlog2ClampedTo5And10(int size, long minPartial) {
    Geometry g = Geometry.calculate(size, 0, 0, false, -1, CPUS);
    assertThat(g.size()).isEqualTo(size);
    assertThat(g.minPartial()).isEqualTo(minPartial);
  }

  @ParameterizedTest(name = "s->size {0} -> cpu_partial {1}")
  @CsvSource({
    "8, 120",
    "248, 120",
    "256, 52",
    "1016, 52",
    "1024, 24",
    "4088, 24",
    "4096, 6",
    "51488, 6",
  })
  void defaultCpuPartial_followsSizeTable(int size, int cpuPartial) {
    assertThat(plain(size).defaultCpuPartial(0)).isEqualTo(cpuPartial);
  }

  @ParameterizedTest(name = "debug flag {0} -> cpu_partial 0")
  @CsvSource({"2", "4", "128", "1024", "1"})
  void defaultCpuPartial_debugCache_isZero(long flag) {
    Geometry g = Geometry.calculate(64, 0, flag, false, -1, CPUS);
    assertThat(g.defaultCpuPartial(flag)).isZero();
  }

  // ------------------------------------------------------------------ min_objects and CPUs

  @ParameterizedTest(name = "{0} CPUs: size 320 -> order {1}, {2} objects")
  @CsvSource({
    // min_objects = 4 * (fls(cpus) + 1): 1 -> 8, 2..3 -> 12, 4..7 -> 16, 8..15 -> 20
    "1, 0, 12",
    "2, 0, 12",
    "3, 0, 12",
    "4, 1, 25",
    "7, 1, 25",
    "8, 1, 25",
  })
  void minObjects_dependsOnCpuCount(int cpus, int order, int objects) {
    Geometry g = Geometry.calculate(320, 0, 0, false, -1, cpus);
    assertThat(g.order()).isEqualTo(order);
    assertThat(g.objects()).isEqualTo(objects);
  }

  @Test
  void fourCpus_minObjects16_raisesOrderWhere12WouldFit() {
    // 16 * 320 = 5120 bytes > one page, 12 * 320 = 3840 fits one page
    assertThat(Geometry.calculateOrder(320, 2)).isZero();
    assertThat(Geometry.calculateOrder(320, 4)).isEqualTo(1);
    // 20 objects of 232 bytes need more than a page only from 8 CPUs on
    assertThat(Geometry.calculateOrder(232, 4)).isZero();
    assertThat(Geometry.calculateOrder(232, 8)).isEqualTo(1);
  }

  // ------------------------------------------------------------------ alignment

  @ParameterizedTest(name = "HWCACHE_ALIGN, object {0} -> align {1}")
  @CsvSource({
    "8, 8",
    "9, 16",
    "16, 16",
    "17, 32",
    "24, 32",
    "32, 32",
    "33, 64",
    "72, 64",
    "4096, 64"
  })
  void hwcacheAlign_halvesWhileObjectFitsInHalf(int size, int align) {
    assertThat(Geometry.calculateAlignment(SLAB_HWCACHE_ALIGN, 0, size)).isEqualTo(align);
  }

  @ParameterizedTest(name = "requested align {0} -> {1}")
  @CsvSource({"0, 8", "1, 8", "4, 8", "8, 8", "12, 16", "16, 16", "256, 256", "8192, 8192"})
  void alignment_isAtLeastPointerAndRoundedTo8(int requested, int align) {
    assertThat(Geometry.calculateAlignment(0, requested, 100)).isEqualTo(align);
  }

  @Test
  void hwcacheAlign_keepsLargerRequestedAlign() {
    assertThat(Geometry.calculateAlignment(SLAB_HWCACHE_ALIGN, 256, 100)).isEqualTo(256);
    assertThat(Geometry.calculateAlignment(SLAB_HWCACHE_ALIGN, 16, 100)).isEqualTo(64);
  }

  @Test
  void kmemCacheNode_72Hwcache_getsAlign64Size128() {
    Geometry g = Geometry.calculate(72, 0, SLAB_HWCACHE_ALIGN, false, -1, CPUS);
    assertThat(g.align()).isEqualTo(64);
    assertThat(g.size()).isEqualTo(128);
    assertThat(g.order()).isZero();
    assertThat(g.objects()).isEqualTo(32);
  }

  // ------------------------------------------------------------------ slab_size

  @Test
  void sighandCache_hwcacheRcuCtor_is2112() {
    Geometry g =
        Geometry.calculate(2080, 0, SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU, true, -1, CPUS);
    assertThat(g.inuse()).isEqualTo(2080);
    assertThat(g.offset()).isEqualTo(2080); // free pointer after the object
    assertThat(g.size()).isEqualTo(2112);
    assertThat(g.order()).isEqualTo(3);
    assertThat(g.objects()).isEqualTo(15);
  }

  @Test
  void tcp_rcuHwcache_is2368() {
    Geometry g =
        Geometry.calculate(2304, 0, SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU, false, -1, CPUS);
    assertThat(g.size()).isEqualTo(2368);
    assertThat(g.objects()).isEqualTo(13);
  }

  @Test
  void freePointer_plainCache_sitsInsideTheObject() {
    Geometry g = plain(100);
    assertThat(g.size()).isEqualTo(104);
    assertThat(g.offset()).isEqualTo(48); // ALIGN_DOWN(100 / 2, 8)
  }

  @Test
  void freePointer_explicitOffset_addsNothing() {
    Geometry g =
        Geometry.calculate(192, 0, SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU, false, 96, CPUS);
    assertThat(g.size()).isEqualTo(192);
    assertThat(g.offset()).isEqualTo(96);
    Geometry without =
        Geometry.calculate(192, 0, SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU, false, -1, CPUS);
    assertThat(without.size()).isEqualTo(256);
  }

  @Test
  void redZone_objectSizeAlreadyAligned_getsRightRedZoneAndPadding() {
    // 64 -> +8 right red zone = 72; +8 padding + red_left_pad ALIGN(8, 8) = 88
    Geometry g = Geometry.calculate(64, 0, SLAB_RED_ZONE, false, -1, CPUS);
    assertThat(g.inuse()).isEqualTo(72);
    assertThat(g.size()).isEqualTo(88);
  }

  @Test
  void poison_putsFreePointerAfterTheObject() {
    Geometry g = Geometry.calculate(64, 0, SLAB_POISON, false, -1, CPUS);
    assertThat(g.offset()).isEqualTo(64);
    assertThat(g.size()).isEqualTo(72);
  }

  @Test
  void storeUser_addsTwoTracks() {
    Geometry g = Geometry.calculate(64, 0, SLAB_STORE_USER, false, -1, CPUS);
    assertThat(g.size()).isEqualTo(64 + 2 * Geometry.TRACK_SIZE);
  }

  @Test
  void trace_aloneChangesNoSize() {
    assertThat(Geometry.calculate(64, 0, SLAB_TRACE, false, -1, CPUS).size()).isEqualTo(64);
  }

  // ------------------------------------------------------------------ golden tables

  /**
   * Rows of "Per-size defaults observed (slab_size order objs_per_slab cpu_partial min_partial)".
   */
  static Stream<Arguments> perSizeDefaults() {
    return goldenRows("######## Per-size defaults observed").stream()
        .map(
            r ->
                Arguments.of(
                    Integer.parseInt(r[0]),
                    Integer.parseInt(r[1]),
                    Integer.parseInt(r[2]),
                    Integer.parseInt(r[3]),
                    Long.parseLong(r[4])));
  }

  @ParameterizedTest(name = "slab_size {0}: order {1}, {2} objs, cpu_partial {3}, min_partial {4}")
  @MethodSource("perSizeDefaults")
  void golden_perSizeDefaults_match(
      int slabSize, int order, int objsPerSlab, int cpuPartial, long minPartial) {
    Geometry g = plain(slabSize);
    assertThat(g.size()).isEqualTo(slabSize);
    assertThat(g.order()).as("order").isEqualTo(order);
    assertThat(g.objects()).as("objs_per_slab").isEqualTo(objsPerSlab);
    assertThat(g.defaultCpuPartial(0)).as("cpu_partial").isEqualTo(cpuPartial);
    assertThat(g.minPartial()).as("min_partial").isEqualTo(minPartial);
  }

  @Test
  void golden_perSizeTable_isComplete() {
    assertThat(perSizeDefaults().count()).isEqualTo(89);
  }

  /**
   * Rows of "object_size slab_size align hwcache rcu ctor usersize reclaim dma for all real dirs".
   * The requested alignment is not in the capture; the resulting one is, and passing it as the
   * request gives the same alignment back (it is a multiple of 8 and at least what HWCACHE_ALIGN
   * asks for), so every row is derivable. For unique-id directories the object_size shown is the
   * largest merged object_size (it only grows); ALIGN(object_size, align) still gives the slab_size
   * for all of them. Excluded rows: none.
   */
  static Stream<Arguments> realDirs() {
    return goldenRows("######## object_size slab_size align hwcache rcu ctor").stream()
        .map(
            r ->
                Arguments.of(
                    r[0],
                    Integer.parseInt(r[1]),
                    Integer.parseInt(r[2]),
                    Integer.parseInt(r[3]),
                    r[4].equals("1"),
                    r[5].equals("1"),
                    r[6].equals("1"),
                    r[8].equals("1"),
                    r[9].equals("1")));
  }

  @ParameterizedTest(name = "{0}: object {1} -> slab_size {2}")
  @MethodSource("realDirs")
  void golden_realDirectory_slabSizeDerivesFromObjectSize(
      String name,
      int objectSize,
      int slabSize,
      int align,
      boolean hwcache,
      boolean rcu,
      boolean ctor,
      boolean reclaim,
      boolean dma) {
    long flags =
        (hwcache ? SLAB_HWCACHE_ALIGN : 0)
            | (rcu ? SLAB_TYPESAFE_BY_RCU : 0)
            | (reclaim ? SLAB_RECLAIM_ACCOUNT : 0)
            | (dma ? SLAB_CACHE_DMA : 0);
    int freeptr = FREEPTR.getOrDefault(name, -1);
    Geometry g = Geometry.calculate(objectSize, align, flags, ctor, freeptr, CPUS);
    assertThat(g.align()).as("align").isEqualTo(align);
    assertThat(g.size()).as("slab_size").isEqualTo(slabSize);
    Map<Integer, int[]> perSize = perSizeByName();
    int[] expected = perSize.get(slabSize);
    if (expected != null) {
      assertThat(g.order()).as("order").isEqualTo(expected[0]);
      assertThat(g.objects()).as("objs_per_slab").isEqualTo(expected[1]);
    }
  }

  @Test
  void golden_realDirTable_isComplete() {
    // 235 real cache directories on the live tree
    assertThat(realDirs().count()).isEqualTo(235);
  }

  @Test
  void golden_vmAreaStruct_needsItsFreePointerOffset() {
    // the one live cache whose slab_size is not derivable without freeptr_offset
    long flags = SLAB_HWCACHE_ALIGN | SLAB_TYPESAFE_BY_RCU;
    assertThat(Geometry.calculate(192, 64, flags, false, -1, CPUS).size()).isEqualTo(256);
    assertThat(Geometry.calculate(192, 64, flags, false, 96, CPUS).size()).isEqualTo(192);
  }

  private static Map<Integer, int[]> perSizeByName() {
    Map<Integer, int[]> m = new java.util.HashMap<>();
    for (String[] r : goldenRows("######## Per-size defaults observed")) {
      m.put(Integer.parseInt(r[0]), new int[] {Integer.parseInt(r[1]), Integer.parseInt(r[2])});
    }
    return m;
  }

  /** The whitespace-split rows of the golden section whose heading starts with {@code head}. */
  static List<String[]> goldenRows(String head) {
    return Sys.sectionRows(GOLDEN, head);
  }
}
