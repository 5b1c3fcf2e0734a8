package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in default boot set against the capture it was recorded from ({@link
 * ReferenceSlabTree}), read through a real mount with real commands. The live host is not
 * consulted: its kernel build may differ from the capture's ({@link HostBootIT} compares the host
 * with {@code --boot host}, which is built from it).
 */
class DefaultBootIT {
  @TempDir static Path tmp;
  private static Mount mount;
  private static Path slab;

  @BeforeAll
  static void mount() throws Exception {
    mount =
        Mount.mount(Files.createDirectory(tmp.resolve("sys")), "--cpus", ReferenceSlabTree.CPUS);
    slab = mount.path("kernel/slab");
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  @Test
  void sameRealDirectories() {
    List<String> want =
        ReferenceSlabTree.dirs().stream().map(ReferenceSlabTree.Dir::name).sorted().toList();
    assertThat(RealSlabTree.dirs(slab)).isEqualTo(want);
  }

  @Test
  void sameNumberOfEntriesAndSymlinks() {
    Map<String, Integer> totals = ReferenceSlabTree.totals();
    assertThat(RealSlabTree.names(slab)).hasSize(totals.get("entries"));
    assertThat(RealSlabTree.links(slab)).hasSize(totals.get("symlinks"));
    assertThat(RealSlabTree.dirs(slab)).hasSize(totals.get("real_dirs"));
  }

  @Test
  void theCapturedLinksPointWhereTheyPointed() {
    Map<String, String> want = ReferenceSlabTree.links();
    assertThat(want).isNotEmpty();
    List<String> names = new ArrayList<>(want.keySet());
    List<String> got = Cmd.run(slab, Cmd.concat(List.of("readlink"), names)).ok().lines();
    assertThat(got).isEqualTo(new ArrayList<>(want.values()));
  }

  /** The capture's invariant: every unique-id directory has {@code aliases + 1} links to it. */
  @Test
  void everyUniqueIdDirectoryHasAliasesPlusOneLinks() {
    List<String> links = RealSlabTree.links(slab);
    List<String> targets = Cmd.run(slab, Cmd.concat(List.of("readlink"), links)).ok().lines();
    List<String> wrong = new ArrayList<>();
    for (String dir : RealSlabTree.dirs(slab)) {
      if (!dir.startsWith(":")) {
        continue;
      }
      long pointing = targets.stream().filter(dir::equals).count();
      String aliases = Cmd.run(slab, "cat", dir + "/aliases").ok().out().strip();
      if (pointing != Long.parseLong(aliases) + 1) {
        wrong.add(dir + ": aliases " + aliases + ", links " + pointing);
      }
    }
    assertThat(wrong).isEmpty();
  }

  /**
   * Every captured directory's geometry and flag files read as captured; order, objs_per_slab,
   * cpu_partial and min_partial as the capture's per-size table says (sheaf caches: their own
   * cpu_partial).
   */
  @Test
  void sameGeometry() {
    Map<String, String[]> perSize = ReferenceSlabTree.perSize();
    Map<String, String> sheaf = ReferenceSlabTree.sheafCpuPartial();
    List<String> files = new ArrayList<>();
    List<String> want = new ArrayList<>();
    for (ReferenceSlabTree.Dir d : ReferenceSlabTree.dirs()) {
      expect(files, want, d.name(), "object_size", d.objectSize());
      expect(files, want, d.name(), "slab_size", d.slabSize());
      expect(files, want, d.name(), "align", d.align());
      expect(files, want, d.name(), "hwcache_align", d.hwcacheAlign());
      expect(files, want, d.name(), "destroy_by_rcu", d.destroyByRcu());
      expect(files, want, d.name(), "usersize", d.usersize());
      expect(files, want, d.name(), "reclaim_account", d.reclaimAccount());
      expect(files, want, d.name(), "cache_dma", d.cacheDma());
      String[] p = perSize.get(d.slabSize());
      if (p != null) {
        expect(files, want, d.name(), "order", p[0]);
        expect(files, want, d.name(), "objs_per_slab", p[1]);
        expect(files, want, d.name(), "cpu_partial", sheaf.getOrDefault(d.name(), p[2]));
        expect(files, want, d.name(), "min_partial", p[3]);
      }
    }
    Cmd.Result r = Cmd.run(slab, Cmd.concat(List.of("cat"), files));
    assertThat(r.exit()).as("cat in the mount: %s", r.err()).isZero();
    List<String> got = r.lines();
    assertThat(got).hasSameSizeAs(files);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      if (!want.get(i).equals(got.get(i))) {
        wrong.add(files.get(i) + ": captured " + want.get(i) + ", mount " + got.get(i));
      }
    }
    assertThat(wrong).isEmpty();
  }

  /** A ctor shows in {@code ctor} exactly where the capture had one. */
  @Test
  void ctorsWhereTheCaptureHadThem() {
    List<String> wrong = new ArrayList<>();
    for (ReferenceSlabTree.Dir d : ReferenceSlabTree.dirs()) {
      boolean has = !Cmd.run(slab, "cat", d.name() + "/ctor").ok().out().isBlank();
      if (has != d.ctor()) {
        wrong.add(d.name() + ": captured ctor " + d.ctor() + ", mount " + has);
      }
    }
    assertThat(wrong).isEmpty();
  }

  /**
   * {@code devices/system/cpu/cpu0} and {@code cpu1} against the capture's {@code ls -la} of them:
   * everything the mount has is there with the same type, mode, size and link target, and of the
   * capture's entries the mount has the ones slabfs models (not {@code cache}, {@code
   * cpu_capacity}, {@code cpuidle}, {@code hotplug}, {@code power}, {@code uevent}).
   */
  @Test
  void cpuDirectoriesAreTheCapturedOnesWhereModeled() {
    List<Map<String, String>> captured = CpuTree.captured();
    assertThat(captured).hasSize(2);
    for (int cpu = 0; cpu < 2; cpu++) {
      Map<String, String> want = captured.get(cpu);
      Map<String, String> got = CpuTree.listing(mount.path("devices/system/cpu/cpu" + cpu));
      assertThat(want).as("cpu%d in the capture", cpu).containsAllEntriesOf(got);
      assertThat(got.keySet())
          .as("cpu%d", cpu)
          .containsExactlyInAnyOrderElementsOf(
              cpu == 0
                  ? List.of("node0", "subsystem", "topology")
                  : List.of("node0", "online", "subsystem", "topology"));
    }
  }

  private static void expect(
      List<String> files, List<String> want, String dir, String f, String v) {
    files.add(dir + "/" + f);
    want.add(v);
  }
}
