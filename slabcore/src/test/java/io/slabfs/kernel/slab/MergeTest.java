package io.slabfs.kernel.slab;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.ExpectDmesg;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Unique ids, merging and destroy, kernel-model.md section 2, on a minimal boot. */
@KernelTest
class MergeTest {
  private static final String SLAB = "/kernel/slab/";

  private Kernels kernels;
  private Kernel k;

  @BeforeEach
  void setUp(Kernels kernels) {
    this.kernels = kernels;
  }

  private Kernel boot(KernelEra era) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era));
    return k;
  }

  private Kernel boot() throws Exception {
    return boot(KernelEra.V6_18);
  }

  private KmemCache create(String args) throws ErrnoException {
    return k.slab().create(KmemCacheArgs.parse(args.split(" ")));
  }

  private Vfs vfs() {
    return k.vfs();
  }

  private String attr(String dir, String name) throws ErrnoException {
    return cat(vfs(), SLAB + dir + "/" + name);
  }

  private Stat.Type type(String entry) throws ErrnoException {
    return vfs().stat(SLAB + entry).type();
  }

  private boolean dmesgHas(String text) {
    return k.dmesg().messages().stream().anyMatch(m -> m.contains(text));
  }

  @Test
  void writeThroughAliasSymlink_reachesTheSameCache() throws Exception {
    boot();
    KmemCache s = create("udp_like 1344 flags=SLAB_ACCOUNT");
    create("udp_lite_like 1344 flags=SLAB_ACCOUNT");
    io.slabfs.kernel.testing.Sys.write(vfs(), SLAB + "udp_lite_like/min_partial", "9\n");
    assertThat(s.minPartial()).isEqualTo(9);
    assertThat(attr(":A-0001344", "min_partial")).isEqualTo("9\n");
  }

  // ---------------------------------------------------------------------- unique ids

  @Test
  void mergeableCache_getsUniqueIdDirectoryAndNameSymlink() throws Exception {
    boot();
    create("foo 64");
    assertThat(type(":0000064")).isEqualTo(Stat.Type.DIRECTORY);
    assertThat(type("foo")).isEqualTo(Stat.Type.SYMLINK);
    assertThat(vfs().readlink(SLAB + "foo")).isEqualTo(":0000064");
    assertThat(attr("foo", "aliases")).isEqualTo("0\n");
    assertThat(vfs().stat(SLAB + "foo/order").ino())
        .isEqualTo(vfs().stat(SLAB + ":0000064/order").ino());
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "SLAB_CACHE_DMA, :d-0000064",
    "SLAB_CACHE_DMA32, :D-0000064",
    "SLAB_RECLAIM_ACCOUNT, :a-0000064",
    "SLAB_CONSISTENCY_CHECKS, :F-0000064",
    "SLAB_ACCOUNT, :A-0000064",
    "SLAB_RECLAIM_ACCOUNT|SLAB_ACCOUNT, :aA-0000064",
    "SLAB_ACCOUNT|SLAB_CONSISTENCY_CHECKS|SLAB_RECLAIM_ACCOUNT|SLAB_CACHE_DMA32|SLAB_CACHE_DMA,"
        + " :dDaFA-0000064",
    "SLAB_HWCACHE_ALIGN|SLAB_PANIC, :0000064",
  })
  void uniqueId_flagLetters_inKernelOrder(String flags, String id) throws Exception {
    boot();
    create("x 64 flags=" + flags);
    assertThat(vfs().readlink(SLAB + "x")).isEqualTo(id);
    assertThat(type(id)).isEqualTo(Stat.Type.DIRECTORY);
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "x 57, :0000064, 57",
    "x 72 flags=SLAB_HWCACHE_ALIGN, :0000128, 72",
    "x 1344 flags=SLAB_HWCACHE_ALIGN|SLAB_ACCOUNT, :A-0001344, 1344",
    "x 296 flags=SLAB_HWCACHE_ALIGN, :0000320, 296",
    "x 100 align=64, :0000128, 100",
  })
  void uniqueId_usesSlabSizeNotObjectSize(String args, String id, String objectSize)
      throws Exception {
    boot();
    create(args);
    assertThat(vfs().readlink(SLAB + "x")).isEqualTo(id);
    assertThat(attr(id, "object_size")).isEqualTo(objectSize + "\n");
    assertThat(attr(id, "slab_size"))
        .isEqualTo(Integer.parseInt(id.substring(id.length() - 7)) + "\n");
  }

  // ---------------------------------------------------------------------- merging

  @Test
  void compatibleCache_mergesIntoExisting() throws Exception {
    boot();
    KmemCache foo = create("foo 57");
    KmemCache bar = create("bar 64");
    assertThat(bar).isSameAs(foo);
    assertThat(foo.refcount()).isEqualTo(2);
    assertThat(attr(":0000064", "aliases")).isEqualTo("1\n");
    assertThat(vfs().readlink(SLAB + "bar")).isEqualTo(":0000064");
    assertThat(attr(":0000064", "object_size")).as("grows to the max").isEqualTo("64\n");
    KmemCache baz = create("baz 60");
    assertThat(baz).isSameAs(foo);
    assertThat(attr(":0000064", "object_size")).as("never shrinks").isEqualTo("64\n");
    assertThat(attr(":0000064", "aliases")).isEqualTo("2\n");
    long links =
        vfs().readdir("/kernel/slab").stream().filter(n -> isLinkTo(n, ":0000064")).count();
    assertThat(links).as("links == aliases + 1").isEqualTo(3);
    assertThat(k.slab().caches()).filteredOn(c -> c == foo).hasSize(1);
  }

  private boolean isLinkTo(String name, String target) {
    try {
      return type(name) == Stat.Type.SYMLINK && vfs().readlink(SLAB + name).equals(target);
    } catch (ErrnoException e) {
      return false;
    }
  }

  @Test
  void failslab_withoutConfigFailslab_isANoOp_theCacheMerges() throws Exception {
    // include/linux/slab.h: without CONFIG_FAILSLAB, SLAB_FAILSLAB is 0 (__SLAB_FLAG_UNUSED)
    boot();
    KmemCache a = create("fa 64 flags=SLAB_FAILSLAB");
    assertThat(type("fa")).isEqualTo(Stat.Type.SYMLINK);
    assertThat(a.hasFlag(SlabFlags.SLAB_FAILSLAB)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1"})
  void slabNoMerge_before65_doesNotExist(KernelEra era) throws Exception {
    boot(era);
    assertThatThrownBy(() -> create("nm 64 flags=SLAB_NO_MERGE"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> ((ErrnoException) e).errno())
        .isEqualTo(Errno.EINVAL);
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V6_1", "V6_18"})
  void slabKmalloc_permittedFrom62(KernelEra era) throws Exception {
    boot(era);
    if (era == KernelEra.V6_1) {
      assertThatThrownBy(() -> create("km 64 flags=SLAB_KMALLOC"))
          .isInstanceOf(ErrnoException.class)
          .extracting(e -> ((ErrnoException) e).errno())
          .isEqualTo(Errno.EINVAL);
    } else {
      assertThat(create("km 64 flags=SLAB_KMALLOC")).isNotNull();
    }
  }

  @Test
  void align3_isRoundedToAPointer_notRefused() throws Exception {
    // calculate_alignment(): ALIGN(align, sizeof(void *)); no check of the value
    boot();
    KmemCache s = create("a3 40 align=3 ctor=a3_ctor");
    assertThat(attr("a3", "align")).isEqualTo("8\n");
    assertThat(s.align()).isEqualTo(8);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "ctor=u_ctor",
        "flags=SLAB_TYPESAFE_BY_RCU",
        "useroffset=0 usersize=16",
        "flags=SLAB_NO_MERGE",
        "flags=SLAB_RED_ZONE",
        "flags=SLAB_POISON",
        "flags=SLAB_STORE_USER",
        "flags=SLAB_TRACE",
        "flags=SLAB_NOLEAKTRACE",
        "sheaf=32",
      })
  void unmergeableCache_getsNamedDirectory_andNeverMerges(String extra) throws Exception {
    boot();
    KmemCache u1 = create("u1 64 " + extra);
    KmemCache u2 = create("u2 64 " + extra);
    assertThat(u2).isNotSameAs(u1);
    for (String name : List.of("u1", "u2")) {
      assertThat(type(name)).isEqualTo(Stat.Type.DIRECTORY);
      assertThat(attr(name, "aliases")).isEqualTo("0\n");
    }
    // a plain cache of exactly u1's slab size would fit u1 if u1 were a merge target
    KmemCache plain = create("p " + u1.size());
    assertThat(plain).isNotSameAs(u1).isNotSameAs(u2);
    assertThat(type("p")).isEqualTo(Stat.Type.SYMLINK);
    assertThat(u1.refcount()).isEqualTo(1);
  }

  @Test
  void kmallocCaches_areNamedDirectories_withAliases0AndUsersizeEqualToSize() throws Exception {
    boot();
    Pattern kmalloc = Pattern.compile("(dma-)?kmalloc(-cg|-rcl)?-(\\d+)(k?)");
    int seen = 0;
    for (String name : vfs().readdir("/kernel/slab")) {
      var m = kmalloc.matcher(name);
      if (!m.matches()) {
        continue;
      }
      seen++;
      int size = Integer.parseInt(m.group(3)) * (m.group(4).isEmpty() ? 1 : 1024);
      assertThat(type(name)).as(name).isEqualTo(Stat.Type.DIRECTORY);
      assertThat(attr(name, "aliases")).as(name).isEqualTo("0\n");
      assertThat(attr(name, "object_size")).as(name).isEqualTo(size + "\n");
      assertThat(attr(name, "usersize")).as(name).isEqualTo(size + "\n");
    }
    assertThat(seen).isEqualTo(4 * 13);
  }

  @ParameterizedTest
  @ValueSource(strings = {"kmem_cache", "kmem_cache_node"})
  void bootCaches_areNamedDirectories_withAliases0(String name) throws Exception {
    boot();
    assertThat(type(name)).isEqualTo(Stat.Type.DIRECTORY);
    assertThat(attr(name, "aliases")).isEqualTo("0\n");
    KmemCache s =
        k.slab().caches().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
    assertThat(s.refcount()).isEqualTo(-1);
    assertThat(
            errno(
                () -> {
                  k.slab().destroy(s);
                  return null;
                }))
        .isEqualTo(Errno.EINVAL);
  }

  @Test
  void kmemCacheNode_hasKernelGeometry() throws Exception {
    boot();
    assertThat(attr("kmem_cache_node", "object_size")).isEqualTo("72\n");
    assertThat(attr("kmem_cache_node", "align")).isEqualTo("64\n");
    assertThat(attr("kmem_cache_node", "slab_size")).isEqualTo("128\n");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({
    "SLAB_RECLAIM_ACCOUNT, :a-0000064",
    "SLAB_CACHE_DMA, :d-0000064",
    "SLAB_CACHE_DMA32, :D-0000064",
    "SLAB_ACCOUNT, :A-0000064",
  })
  void flagsDifferingInMergeSame_doNotMerge(String flag, String id) throws Exception {
    boot();
    KmemCache a = create("a 64");
    KmemCache b = create("b 64 flags=" + flag);
    KmemCache c = create("c 64");
    assertThat(b).isNotSameAs(a);
    assertThat(c).isSameAs(a);
    assertThat(vfs().readlink(SLAB + "b")).isEqualTo(id);
    assertThat(attr(id, "aliases")).isEqualTo("0\n");
    assertThat(attr(":0000064", "aliases")).isEqualTo("1\n");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"SLAB_HWCACHE_ALIGN", "SLAB_PANIC", "SLAB_CONSISTENCY_CHECKS"})
  void flagsOutsideMergeSameAndNeverMerge_doMerge(String flag) throws Exception {
    boot();
    KmemCache a = create("a 64");
    assertThat(create("b 64 flags=" + flag)).isSameAs(a);
  }

  @Test
  void sizeDifferenceOf8OrMore_doesNotMerge() throws Exception {
    boot();
    KmemCache m128 = create("m128 128");
    KmemCache m120 = create("m120 120"); // 128 - 120 = 8 bytes of waste
    assertThat(m120).isNotSameAs(m128);
    assertThat(vfs().readlink(SLAB + "m120")).isEqualTo(":0000120");
    assertThat(create("m121 121")).as("aligned up to 128: no waste").isSameAs(m128);
    assertThat(create("m127 127")).isSameAs(m128);
    assertThat(create("m136 136")).as("larger than the candidate").isNotSameAs(m128);
    assertThat(create("a96 96 align=64")).as("alignment rounds 96 up to 128").isSameAs(m128);
  }

  /**
   * A mergeable cache named like another cache's directory: sysfs_slab_alias() calls
   * sysfs_remove_link(), which is kernfs_remove_by_name() and removes that directory whatever it is
   * (mm/slub.c, fs/sysfs/symlink.c), then links the name to the cache merged into. The kernel says
   * nothing; slabfs says which cache lost its directory.
   */
  @Test
  void mergeableCacheNamedLikeADirectory_removesThatDirectory() throws Exception {
    boot();
    KmemCache kmalloc64 =
        k.slab().caches().stream()
            .filter(c -> c.name().equals("kmalloc-64"))
            .findFirst()
            .orElseThrow();
    assertThat(type("kmalloc-64")).isEqualTo(Stat.Type.DIRECTORY);
    KmemCache a = create("a 64 flags=SLAB_CONSISTENCY_CHECKS");
    assertThat(vfs().readlink(SLAB + "a")).isEqualTo(":F-0000064");
    assertThat(create("kmalloc-64 64")).as("merged into the newest candidate").isSameAs(a);
    assertThat(vfs().readlink(SLAB + "kmalloc-64")).isEqualTo(":F-0000064");
    assertThat(k.slab().caches()).contains(kmalloc64);
    assertThat(
            dmesgHas(
                "slabfs: creating kmalloc-64 removed /kernel/slab/kmalloc-64, the "
                    + "directory of cache kmalloc-64"))
        .isTrue();
  }

  /**
   * The drain of that directory runs under slab_mutex, so once a cpu_partial write has taught
   * lockdep kn->active → cpu_hotplug_lock and a destroy cpu_hotplug_lock → slab_mutex, lockdep
   * reports the cycle. Its {@code -> #0} entry is the call path as compiled: {@code
   * sysfs_remove_link()} tail-calls {@code kernfs_remove_by_name_ns()}, which calls {@code
   * __kernfs_remove()} (syzbot's 6.0-rc3 report: kernfs_remove_by_name_ns ← sysfs_slab_add).
   */
  @Test
  @ExpectDmesg("possible circular locking dependency detected")
  void mergingCreateDrainingADirectory_reportsTheAliasPath() throws Exception {
    boot();
    create("a 64 flags=SLAB_CONSISTENCY_CHECKS");
    Sys.write(vfs(), SLAB + "kmalloc-64/cpu_partial", "30");
    k.slab().destroy(create("b 96 ctor=b_ctor"));
    create("kmalloc-64 64");
    String report = String.join("\n", k.dmesg().messages());
    String entry0 = report.substring(report.indexOf("-> #0 (kn->active"));
    entry0 = entry0.substring(0, entry0.indexOf("other info"));
    assertThat(functions(entry0))
        .containsSubsequence(
            "__kernfs_remove",
            "kernfs_remove_by_name_ns",
            "sysfs_slab_alias",
            "__kmem_cache_alias",
            "__kmem_cache_create_args")
        .doesNotContain("sysfs_remove_link", "kernfs_remove", "kobject_init_and_add");
  }

  private static List<String> functions(String frames) {
    return Pattern.compile("^\\s+([a-z_0-9.]+)\\+0x", Pattern.MULTILINE)
        .matcher(frames)
        .results()
        .map(m -> m.group(1))
        .toList();
  }

  /**
   * A name with '/': the kernel takes it (kmem_cache_sanity_check() only wants a name).
   * kobject_set_name_vargs() puts '!' in its place for the cache's own directory; an alias link
   * keeps the name as it is, so kernfs lists "a/b", which no path can reach.
   */
  @Test
  void nameWithSlash_directoryGetsBang_aliasLinkKeepsTheSlash() throws Exception {
    boot();
    create("c/d 64 ctor=cd_ctor");
    assertThat(type("c!d")).isEqualTo(Stat.Type.DIRECTORY);
    create("a/b 64");
    assertThat(vfs().readdir("/kernel/slab")).contains("a/b", "c!d").doesNotContain("a!b");
    k.slab()
        .destroy(
            k.slab().caches().stream()
                .filter(c -> c.name().equals("c/d"))
                .findFirst()
                .orElseThrow());
    assertThat(vfs().readdir("/kernel/slab")).doesNotContain("c!d");
  }

  /**
   * mm/slub.c sysfs_slab_add() ignores the return value of the first sysfs_slab_alias() ("Setup
   * first alias"); only kobject_init_and_add() can fail the add. So a name link that cannot be made
   * (the name is a directory already) neither fails the create (pre-6.13) nor logs "Unable to add
   * cache" (6.13+).
   */
  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V6_1", "V6_18"})
  void firstAliasFailure_isIgnored_likeSysfsSlabAdd(KernelEra era) throws Exception {
    boot(era);
    int kobjects = k.sysfs().kobjectCount();
    KmemCache s = create("kmalloc-64 64");
    assertThat(k.slab().caches()).contains(s);
    assertThat(type(":0000064")).isEqualTo(Stat.Type.DIRECTORY);
    assertThat(dmesgHas("Unable to add cache")).isFalse();
    k.slab().destroy(s);
    assertThat(errno(() -> vfs().stat(SLAB + ":0000064"))).isEqualTo(Errno.ENOENT);
    assertThat(k.sysfs().kobjectCount()).isEqualTo(kobjects);
  }

  // ---------------------------------------------------------------------- destroy

  @Test
  void destroyAlias_keepsItsSymlink_andDecrementsAliases() throws Exception {
    boot();
    KmemCache foo = create("foo 64");
    KmemCache bar = create("bar 64");
    k.slab().destroy(bar);
    assertThat(attr(":0000064", "aliases")).isEqualTo("0\n");
    assertThat(vfs().readdir("/kernel/slab")).contains("foo", "bar", ":0000064");
    assertThat(attr("bar", "aliases")).as("the link still resolves").isEqualTo("0\n");
    assertThat(k.slab().caches()).contains(foo);
  }

  @Test
  void destroyLastUser_removesDirectory_andLeavesDanglingLinks() throws Exception {
    boot();
    KmemCache foo = create("foo 64");
    create("bar 64");
    k.slab().destroy(foo);
    k.slab().destroy(foo);
    assertThat(k.slab().caches()).doesNotContain(foo);
    assertThat(vfs().readdir("/kernel/slab")).contains("foo", "bar").doesNotContain(":0000064");
    assertThat(errno(() -> vfs().stat(SLAB + ":0000064"))).isEqualTo(Errno.ENOENT);
    for (String link : List.of("foo", "bar")) {
      assertThat(vfs().readlink(SLAB + link)).isEqualTo(":0000064");
      assertThat(type(link)).isEqualTo(Stat.Type.SYMLINK);
      assertThat(errno(() -> vfs().stat(SLAB + link + "/aliases"))).isEqualTo(Errno.ENOENT);
      assertThat(errno(() -> vfs().open(SLAB + link, Vfs.O_RDONLY))).isEqualTo(Errno.ENOENT);
    }
  }

  @Test
  void createWithStaleLinkName_replacesTheLink() throws Exception {
    boot();
    KmemCache foo = create("foo 64");
    k.slab().destroy(foo);
    create("foo 72");
    assertThat(vfs().readlink(SLAB + "foo")).isEqualTo(":0000072");
    assertThat(attr("foo", "object_size")).isEqualTo("72\n");
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1", "V6_18"})
  @ExpectDmesg(" at mm/sl")
  void destroyWithLiveObjects_warns_andEraDecidesWhetherItStaysListed(KernelEra era)
      throws Exception {
    boot(era);
    // a constructor keeps it unmergeable in every era (SLAB_NO_MERGE is 6.5+)
    KmemCache s = create("leak 64 ctor=leak_ctor");
    s.alloc(0, 10);
    k.slab().destroy(s);
    assertThat(dmesgHas("Slab cache still has objects")).isTrue();
    if (era == KernelEra.V6_18) {
      assertThat(vfs().readdir("/kernel/slab")).doesNotContain("leak");
      assertThat(errno(() -> vfs().stat(SLAB + "leak"))).isEqualTo(Errno.ENOENT);
      assertThat(k.slab().caches()).doesNotContain(s);
    } else {
      assertThat(vfs().readdir("/kernel/slab")).contains("leak");
      assertThat(attr("leak", "objects")).isEqualTo("10 N0=10\n");
      assertThat(k.slab().caches()).contains(s);
    }
  }

  /**
   * A second unmergeable cache of the same name: sysfs_slab_add() first calls
   * sysfs_remove_link(name), which removes the first cache's directory (kernfs_remove_by_name()
   * removes a node of any type), so the second gets the name; no clash, in every era.
   */
  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1", "V6_18"})
  void duplicateUnmergeableName_takesTheFirstCachesDirectory(KernelEra era) throws Exception {
    boot(era);
    KmemCache first = create("dup 64 ctor=dup_ctor");
    KmemCache second = create("dup 64 ctor=dup_ctor");
    assertThat(second).isNotSameAs(first);
    assertThat(k.slab().caches()).contains(first, second);
    assertThat(second.kobj().stateInSysfs()).isTrue();
    assertThat(type("dup")).isEqualTo(Stat.Type.DIRECTORY);
    assertThat(dmesgHas("cannot create duplicate filename")).isFalse();
    assertThat(
            dmesgHas(
                "slabfs: creating dup removed /kernel/slab/dup, the directory of cache " + "dup"))
        .isTrue();
  }

  /**
   * A unique-id clash: an unmergeable cache named like the unique id that a later mergeable cache
   * gets. sysfs_slab_add() does not remove unique-id names, so kobject_add fails with EEXIST:
   * before 6.13 the create fails, from 6.13 the cache lives without sysfs.
   */
  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V6_1", "V6_18"})
  void uniqueIdClash_failsBefore613_livesWithoutSysfsFrom613(KernelEra era) throws Exception {
    boot(era);
    create(":A-0000200 200 ctor=x_ctor");
    if (era == KernelEra.V6_1) {
      assertThatThrownBy(() -> create("z 200 flags=SLAB_ACCOUNT"))
          .isInstanceOf(ErrnoException.class)
          .extracting(e -> ((ErrnoException) e).errno())
          .isEqualTo(Errno.EEXIST);
      assertThat(dmesgHas("kmem_cache_create_usercopy(z) failed with error -17")).isTrue();
    } else {
      KmemCache z = create("z 200 flags=SLAB_ACCOUNT");
      assertThat(z.kobj().stateInSysfs()).isFalse();
      assertThat(dmesgHas("SLUB: Unable to add cache z to sysfs")).isTrue();
    }
    assertThat(dmesgHas("sysfs: cannot create duplicate filename '/kernel/slab/:A-0000200'"))
        .isTrue();
  }

  @Test
  void createDestroyCycles_leakNoKernfsNodesKobjectsOrMetadata() throws Exception {
    boot();
    KmemCache kmemCache =
        k.slab().caches().stream()
            .filter(c -> c.name().equals("kmem_cache"))
            .findFirst()
            .orElseThrow();
    int nodes0 = k.kernfs().nodeCount();
    int kobjects0 = k.sysfs().kobjectCount();
    int caches0 = k.slab().caches().size();
    long meta0 = kmemCache.allocatedObjects();
    int released0 = k.slab().releasedCount();
    int danglingAfterFirstCycle = -1;
    for (int cycle = 0; cycle < 3; cycle++) {
      KmemCache u = create("u 100 flags=SLAB_NO_MERGE");
      KmemCache r = create("r 200 flags=SLAB_TYPESAFE_BY_RCU");
      KmemCache c = create("c 300 ctor=c_ctor");
      KmemCache m = create("m 64");
      assertThat(create("n 64")).isSameAs(m);
      assertThat(kmemCache.allocatedObjects()).isEqualTo(meta0 + 4);
      u.alloc(0, 5);
      k.slab().flushAll(u);
      u.free(1, 5, new java.util.Random(cycle));
      for (KmemCache s : List.of(u, r, c, m, m)) {
        k.slab().destroy(s);
      }
      assertThat(k.sysfs().kobjectCount()).isEqualTo(kobjects0);
      assertThat(k.slab().caches()).hasSize(caches0);
      assertThat(kmemCache.allocatedObjects()).isEqualTo(meta0);
      // the two alias links "m" and "n" stay behind, dangling, and are reused next cycle
      if (cycle == 0) {
        danglingAfterFirstCycle = k.kernfs().nodeCount() - nodes0;
        assertThat(danglingAfterFirstCycle).isEqualTo(2);
      }
      assertThat(k.kernfs().nodeCount()).isEqualTo(nodes0 + danglingAfterFirstCycle);
    }
    assertThat(k.slab().releasedCount()).isEqualTo(released0 + 3 * 4);
    assertThat(k.kernfs().activeRefCount()).isZero();
    assertThat(k.kernfs().openFileCount()).isZero();
  }
}
