package io.slabfs.kernel.slab;

import static io.slabfs.kernel.testing.Sys.cat;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.ScriptedRandom;
import io.slabfs.kernel.testing.Sys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The files of a cache directory: slab_attrs[] order, modes, formats (kernel-model 1.2). */
@KernelTest
class SlabAttrsTest {
  /** slab_attrs[] of 6.18 mm/slub.c with SLUB_DEBUG, ZONE_DMA, NUMA, HARDENED_USERCOPY. */
  static final List<String> SLAB_ATTRS_6_18 =
      List.of(
          "slab_size",
          "object_size",
          "objs_per_slab",
          "order",
          "sheaf_capacity",
          "min_partial",
          "cpu_partial",
          "objects_partial",
          "partial",
          "cpu_slabs",
          "ctor",
          "aliases",
          "align",
          "hwcache_align",
          "reclaim_account",
          "destroy_by_rcu",
          "shrink",
          "slabs_cpu_partial",
          "total_objects",
          "objects",
          "slabs",
          "sanity_checks",
          "trace",
          "red_zone",
          "poison",
          "store_user",
          "validate",
          "cache_dma",
          "remote_node_defrag_ratio",
          "usersize");

  static final List<String> COUNTS =
      List.of("objects", "slabs", "partial", "cpu_slabs", "total_objects", "objects_partial");

  private static final Pattern COUNT = Pattern.compile("^(\\d+)((?: N\\d+=\\d+)*)\\n$");
  private static final Pattern NODE = Pattern.compile(" N(\\d+)=(\\d+)");
  private static final Pattern CPU_PARTIAL =
      Pattern.compile("^(\\d+)\\((\\d+)\\)((?: C\\d+=\\d+\\(\\d+\\))*)\\n$");
  private static final Pattern CPU_ENTRY = Pattern.compile(" C(\\d+)=(\\d+)\\((\\d+)\\)");

  private Kernel k;

  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private Kernel boot(BootOptions options) throws Exception {
    k = kernels.boot(options);
    return k;
  }

  private Kernel minimal(KernelEra era) throws Exception {
    return boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era));
  }

  private KmemCache create(String args) throws ErrnoException {
    return k.slab().create(KmemCacheArgs.parse(args.split(" ")));
  }

  private String attr(String cache, String name) throws ErrnoException {
    return cat(k.vfs(), "/kernel/slab/" + cache + "/" + name);
  }

  // ------------------------------------------------------------------ names, order, modes

  @Test
  void attrs_v618_areSlabAttrsInKernelOrder() throws Exception {
    minimal(KernelEra.V6_18);
    List<String> names = new SlabAttrs(k.slab()).attrs().stream().map(Attribute::name).toList();
    assertThat(names).containsExactlyElementsOf(SLAB_ATTRS_6_18);
  }

  /** In kernfs order: {@code ls -f /sys/kernel/slab/kmalloc-64} of a real 6.18 machine. */
  @Test
  void readdir_cacheDirectory_listsThe30AttributesAsLsFDoes() throws Exception {
    minimal(KernelEra.V6_18);
    String golden = Sys.resource("/golden/ls-f-order.txt");
    String section = golden.substring(golden.indexOf("## /sys/kernel/slab/kmalloc-64\n"));
    List<String> lsF = section.lines().skip(1).takeWhile(l -> !l.startsWith("#")).toList();
    assertThat(lsF).containsExactlyInAnyOrderElementsOf(SLAB_ATTRS_6_18);
    assertThat(k.vfs().readdir("/kernel/slab/kmalloc-64")).containsExactlyElementsOf(lsF);
  }

  /** "file -> mode" from the "ls -l" of kmalloc-64 in the golden sample. */
  static Map<String, Integer> goldenKmalloc64Modes() {
    Map<String, Integer> modes = new LinkedHashMap<>();
    boolean in = false;
    for (String line : Sys.resource("/golden/real-sysfs-sample.txt").split("\n")) {
      if (line.startsWith("######## /sys/kernel/slab/kmalloc-64")) {
        in = true;
        continue;
      }
      if (in && line.startsWith("aliases\t")) {
        break;
      }
      if (in && line.startsWith("-")) {
        String[] w = line.trim().split("\\s+");
        modes.put(w[w.length - 1], perm(w[0]));
        assertThat(w[4]).as("ls size").isEqualTo("4096");
      }
    }
    return modes;
  }

  private static int perm(String ls) {
    int mode = 0;
    for (int i = 1; i <= 9; i++) {
      mode = (mode << 1) | (ls.charAt(i) == '-' ? 0 : 1);
    }
    return mode;
  }

  @Test
  void modes_matchTheGoldenKmalloc64Listing() throws Exception {
    minimal(KernelEra.V6_18);
    Map<String, Integer> golden = goldenKmalloc64Modes();
    assertThat(golden).hasSize(30);
    assertThat(k.vfs().readdir("/kernel/slab/kmalloc-64"))
        .containsExactlyInAnyOrderElementsOf(golden.keySet());
    for (var e : golden.entrySet()) {
      Stat st = k.vfs().stat("/kernel/slab/kmalloc-64/" + e.getKey());
      assertThat(st.type()).as(e.getKey()).isEqualTo(Stat.Type.FILE);
      assertThat(Integer.toOctalString(st.mode()))
          .as(e.getKey())
          .isEqualTo(Integer.toOctalString(e.getValue()));
      assertThat(st.size()).as(e.getKey()).isEqualTo(4096);
      assertThat(st.nlink()).as(e.getKey()).isEqualTo(1);
    }
    assertThat(golden)
        .containsEntry("cpu_partial", 0600)
        .containsEntry("min_partial", 0600)
        .containsEntry("remote_node_defrag_ratio", 0600)
        .containsEntry("shrink", 0600)
        .containsEntry("validate", 0600)
        .containsEntry("order", 0400);
  }

  @Test
  void attributeDefinitions_modesAre0400Or0600_withStoreExactlyFor0600() throws Exception {
    minimal(KernelEra.V6_18);
    for (Attribute<KmemCache> a : new SlabAttrs(k.slab()).attrs()) {
      assertThat(a.mode()).as(a.name()).isIn(0400, 0600);
      assertThat(a.show()).as(a.name()).isNotNull();
      assertThat(a.store() != null).as(a.name()).isEqualTo(a.mode() == 0600);
    }
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1"})
  void oldEras_haveNoSheafCapacity_29Files(KernelEra era) throws Exception {
    minimal(era);
    List<String> expected = new ArrayList<>(SLAB_ATTRS_6_18);
    expected.remove("sheaf_capacity");
    assertThat(new SlabAttrs(k.slab()).attrs().stream().map(Attribute::name).toList())
        .containsExactlyElementsOf(expected);
    assertThat(k.vfs().readdir("/kernel/slab/kmalloc-64"))
        .hasSize(29)
        .doesNotContain("sheaf_capacity");
  }

  @Test
  void v7_showsNoPerCpuSlabs() throws Exception {
    minimal(KernelEra.V7);
    KmemCache s = create("v7 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 200);
    s.free(1, 100, new java.util.Random(7));
    for (String cache : List.of("kmalloc-64", "v7")) {
      assertThat(attr(cache, "cpu_partial")).isEqualTo("0\n");
      assertThat(attr(cache, "cpu_slabs")).isEqualTo("0\n");
      assertThat(attr(cache, "slabs_cpu_partial")).isEqualTo("0(0)\n");
    }
    assertThat(k.vfs().readdir("/kernel/slab/kmalloc-64")).hasSize(30).contains("sheaf_capacity");
  }

  // ------------------------------------------------------------------ formats

  @Test
  void emptyShows_areZeroBytes() throws Exception {
    minimal(KernelEra.V6_18);
    for (String name : List.of("ctor", "shrink", "validate")) {
      assertThat(attr("kmalloc-64", name)).as(name).isEmpty();
    }
  }

  @Test
  void ctor_whenSet_showsSymbolOffsetAndSize() throws Exception {
    minimal(KernelEra.V6_18);
    create("c1 64 ctor=my_ctor");
    create("c2 64 ctor=sighand_ctor+0x0/0x30");
    assertThat(attr("c1", "ctor")).matches("my_ctor\\+0x0/0x[0-9a-f]+\\n");
    assertThat(attr("c2", "ctor")).isEqualTo("sighand_ctor+0x0/0x30\n");
  }

  @Test
  void countsOfAnEmptyCache_areZeroWithoutNodeSuffix() throws Exception {
    minimal(KernelEra.V6_18);
    create("fresh 64 flags=SLAB_NO_MERGE");
    for (String name : COUNTS) {
      assertThat(attr("fresh", name)).as(name).isEqualTo("0\n");
    }
    assertThat(attr("fresh", "slabs_cpu_partial")).isEqualTo("0(0)\n");
  }

  @Test
  void counts_defaultBoot_matchShowSlabObjectsFormat() throws Exception {
    boot(BootOptions.defaults());
    int checked = 0;
    for (KmemCache s : k.slab().caches()) {
      String dir = s.kobj().name();
      for (String name : COUNTS) {
        checkCount(dir + "/" + name, attr(dir, name), 1);
        checked++;
      }
      checkSlabsCpuPartial(dir, attr(dir, "slabs_cpu_partial"), s.objsPerSlab(), 2);
      checkConsistency(dir, s.objsPerSlab());
    }
    assertThat(checked).isGreaterThan(1000);
  }

  @Test
  void numa_fourCpusTwoNodes_onlyN0N1_andCountersConsistent() throws Exception {
    boot(BootOptions.defaults().withCpus(4, 2));
    assertThat(cat(k.vfs(), "/devices/system/cpu/online")).isEqualTo("0-3\n");
    boolean sawN1 = false;
    boolean sawC3 = false;
    for (KmemCache s : k.slab().caches()) {
      String dir = s.kobj().name();
      for (String name : COUNTS) {
        String v = attr(dir, name);
        checkCount(dir + "/" + name, v, 2);
        sawN1 |= v.contains(" N1=");
      }
      String cpuPartial = attr(dir, "slabs_cpu_partial");
      checkSlabsCpuPartial(dir, cpuPartial, s.objsPerSlab(), 4);
      sawC3 |= cpuPartial.contains(" C3=");
      checkConsistency(dir, s.objsPerSlab());
    }
    assertThat(sawN1).as("some cache has slabs on node 1").isTrue();
    assertThat(sawC3).as("some cache has partial slabs on cpu 3").isTrue();
  }

  private void checkConsistency(String dir, int perSlab) throws ErrnoException {
    long objects = total(attr(dir, "objects"));
    long totalObjects = total(attr(dir, "total_objects"));
    long slabs = total(attr(dir, "slabs"));
    long partial = total(attr(dir, "partial"));
    long objectsPartial = total(attr(dir, "objects_partial"));
    assertThat(objects).as(dir + " objects <= total_objects").isLessThanOrEqualTo(totalObjects);
    assertThat(totalObjects).as(dir + " total_objects").isEqualTo(slabs * perSlab);
    assertThat(objectsPartial).as(dir + " objects_partial").isLessThanOrEqualTo(partial * perSlab);
    assertThat(partial).as(dir + " partial <= slabs").isLessThanOrEqualTo(slabs);
  }

  private static long total(String count) {
    Matcher m = COUNT.matcher(count);
    assertThat(m.matches()).as(count).isTrue();
    return Long.parseLong(m.group(1));
  }

  /** "%lu" total, then " N%d=%lu" for each node with a nonzero count, in node order. */
  static void checkCount(String what, String v, int nodes) {
    Matcher m = COUNT.matcher(v);
    assertThat(m.matches()).as(what + " = '" + v + "'").isTrue();
    long total = Long.parseLong(m.group(1));
    long sum = 0;
    int lastNode = -1;
    Matcher n = NODE.matcher(m.group(2));
    while (n.find()) {
      int node = Integer.parseInt(n.group(1));
      long x = Long.parseLong(n.group(2));
      assertThat(node).as(what).isGreaterThan(lastNode).isLessThan(nodes);
      assertThat(x).as(what + ": no N suffix for 0").isPositive();
      lastNode = node;
      sum += x;
    }
    assertThat(sum).as(what + ": nodes add up").isEqualTo(total);
  }

  /** objects = slabs * objs_per_slab / 2 for the total and for each CPU. */
  static void checkSlabsCpuPartial(String what, String v, int perSlab, int cpus) {
    Matcher m = CPU_PARTIAL.matcher(v);
    assertThat(m.matches()).as(what + " slabs_cpu_partial = '" + v + "'").isTrue();
    long objects = Long.parseLong(m.group(1));
    long slabs = Long.parseLong(m.group(2));
    assertThat(objects).as(what).isEqualTo(slabs * perSlab / 2);
    long sum = 0;
    int lastCpu = -1;
    Matcher c = CPU_ENTRY.matcher(m.group(3));
    while (c.find()) {
      int cpu = Integer.parseInt(c.group(1));
      long cpuObjects = Long.parseLong(c.group(2));
      long cpuSlabs = Long.parseLong(c.group(3));
      assertThat(cpu).as(what).isGreaterThan(lastCpu).isLessThan(cpus);
      assertThat(cpuSlabs).as(what).isPositive();
      assertThat(cpuObjects).as(what).isEqualTo(cpuSlabs * perSlab / 2);
      lastCpu = cpu;
      sum += cpuSlabs;
    }
    assertThat(sum).as(what + ": per-CPU slabs add up").isEqualTo(slabs);
  }

  @Test
  void slabsCpuPartial_perCpuPartialSlabs_halfFullArithmetic() throws Exception {
    minimal(KernelEra.V6_18);
    // sighand_cache-like: 2112-byte slabs, 15 objects each, cpu_partial 24
    KmemCache s = create("odd 2080 flags=SLAB_HWCACHE_ALIGN|SLAB_NO_MERGE");
    assertThat(s.objsPerSlab()).isEqualTo(15);
    s.alloc(0, 3 * 15); // slabs 0 and 1 full, slab 2 the active slab of cpu 0 (full too)
    s.free(0, 1, new ScriptedRandom(0)); // slab 0 -> cpu 0 partial list
    s.free(1, 1, new ScriptedRandom(1)); // slab 1 -> cpu 1 partial list
    assertThat(attr("odd", "slabs_cpu_partial")).isEqualTo("15(2) C0=7(1) C1=7(1)\n");
    assertThat(attr("odd", "objects")).isEqualTo("45 N0=45\n");
    assertThat(attr("odd", "total_objects")).isEqualTo("45 N0=45\n");
    assertThat(attr("odd", "slabs")).isEqualTo("3 N0=3\n");
    assertThat(attr("odd", "partial")).isEqualTo("0\n");
    assertThat(attr("odd", "objects_partial")).isEqualTo("0\n");
  }

  @Test
  void slabsCpuPartial_kmalloc64Like_matchesLiveSample() throws Exception {
    minimal(KernelEra.V6_18);
    KmemCache s = create("k64 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 5 * 64);
    s.free(0, 1, new ScriptedRandom(0));
    s.free(1, 1, new ScriptedRandom(1));
    s.free(1, 1, new ScriptedRandom(2));
    assertThat(attr("k64", "slabs_cpu_partial")).isEqualTo("96(3) C0=32(1) C1=64(2)\n");
    k.slab().flushAll(s);
    assertThat(attr("k64", "slabs_cpu_partial")).isEqualTo("0(0)\n");
    assertThat(attr("k64", "partial")).isEqualTo("3 N0=3\n");
    assertThat(attr("k64", "objects_partial")).isEqualTo("189 N0=189\n");
    assertThat(attr("k64", "objects"))
        .as("total minus free on node partials")
        .isEqualTo("317 N0=317\n");
  }

  @Test
  void cpuSlabs_countsActiveSlabPlusPerCpuPartialSlabs() throws Exception {
    minimal(KernelEra.V6_18);
    KmemCache s = create("cs 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 3 * 64);
    s.alloc(1, 1);
    s.free(0, 1, new ScriptedRandom(0));
    s.free(0, 1, new ScriptedRandom(1));
    // cpu 0: active slab + 2 partial slabs; cpu 1: active slab
    assertThat(attr("cs", "cpu_slabs")).isEqualTo("4 N0=4\n");
  }

  /**
   * 6.18 show_slab_objects(SO_CPU): "slab = READ_ONCE(c->slab); if (!slab) continue;" comes before
   * the per-CPU partial count, so a CPU with partial slabs but no active slab adds 0.
   */
  @Test
  void cpuSlabs_cpuWithoutActiveSlab_countsNothing() throws Exception {
    minimal(KernelEra.V6_18);
    KmemCache s = create("cs 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 3 * 64);
    s.free(1, 1, new ScriptedRandom(0)); // cpu 1 never allocated: partial list, no c->slab
    assertThat(attr("cs", "slabs_cpu_partial")).isEqualTo("32(1) C1=32(1)\n");
    assertThat(attr("cs", "cpu_slabs")).isEqualTo("1 N0=1\n");
  }

  @Test
  void remoteNodeDefragRatio_default_shows100() throws Exception {
    minimal(KernelEra.V6_18);
    assertThat(attr("kmalloc-64", "remote_node_defrag_ratio")).isEqualTo("100\n");
  }

  @Test
  void kmalloc64_staticAttributes_matchLiveSample() throws Exception {
    minimal(KernelEra.V6_18);
    Map<String, String> expected = new LinkedHashMap<>();
    expected.put("aliases", "0\n");
    expected.put("align", "64\n");
    expected.put("cache_dma", "0\n");
    expected.put("cpu_partial", "120\n");
    expected.put("destroy_by_rcu", "0\n");
    expected.put("hwcache_align", "0\n");
    expected.put("min_partial", "5\n");
    expected.put("object_size", "64\n");
    expected.put("objs_per_slab", "64\n");
    expected.put("order", "0\n");
    expected.put("poison", "0\n");
    expected.put("reclaim_account", "0\n");
    expected.put("red_zone", "0\n");
    expected.put("sanity_checks", "0\n");
    expected.put("sheaf_capacity", "0\n");
    expected.put("slab_size", "64\n");
    expected.put("store_user", "0\n");
    expected.put("trace", "0\n");
    expected.put("usersize", "64\n");
    for (var e : expected.entrySet()) {
      assertThat(attr("kmalloc-64", e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
    }
  }

  @Test
  void flagAttributes_showOneForTheirFlag() throws Exception {
    minimal(KernelEra.V6_18);
    create(
        "dbg 64 flags=SLAB_RED_ZONE|SLAB_POISON|SLAB_STORE_USER|SLAB_TRACE"
            + "|SLAB_CONSISTENCY_CHECKS|SLAB_HWCACHE_ALIGN|SLAB_RECLAIM_ACCOUNT|SLAB_CACHE_DMA"
            + "|SLAB_TYPESAFE_BY_RCU");
    for (String name :
        List.of(
            "red_zone",
            "poison",
            "store_user",
            "trace",
            "sanity_checks",
            "hwcache_align",
            "reclaim_account",
            "cache_dma",
            "destroy_by_rcu")) {
      assertThat(attr("dbg", name)).as(name).isEqualTo("1\n");
    }
    assertThat(attr("dbg", "cpu_partial")).isEqualTo("0\n");
  }

  @Test
  void vfs_readOnCacheDirectory_isEisdir() throws Exception {
    minimal(KernelEra.V6_18);
    assertThat(Sys.errno(() -> k.vfs().open("/kernel/slab/kmalloc-64", Vfs.O_RDONLY)))
        .isEqualTo(io.slabfs.kernel.errno.Errno.EISDIR);
  }
}
