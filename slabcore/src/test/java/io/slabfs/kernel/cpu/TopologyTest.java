package io.slabfs.kernel.cpu;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static io.slabfs.kernel.testing.Sys.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.util.BitSet;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code cpuN/topology} (drivers/base/topology.c), {@code devices/system/node} (drivers/base/
 * node.c) and the {@code bus/cpu}, {@code bus/node} links, across CPU hotplug.
 */
@KernelTest
class TopologyTest {
  private static final String CPU = "/devices/system/cpu";
  private static final String NODE = "/devices/system/node";

  /** This machine's 6.18 {@code cpu0/topology}, sorted (x86: die and cluster, no book/drawer). */
  private static final List<String> TOPOLOGY_FILES =
      List.of(
          "cluster_cpus",
          "cluster_cpus_list",
          "cluster_id",
          "core_cpus",
          "core_cpus_list",
          "core_id",
          "core_siblings",
          "core_siblings_list",
          "die_cpus",
          "die_cpus_list",
          "die_id",
          "package_cpus",
          "package_cpus_list",
          "physical_package_id",
          "thread_siblings",
          "thread_siblings_list");

  private Kernels kernels;
  private Kernel k;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private Vfs boot(int cpus, int nodes) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withCpus(cpus, nodes));
    return k.vfs();
  }

  private static String topo(Vfs vfs, int cpu, String f) throws Exception {
    return cat(vfs, CPU + "/cpu" + cpu + "/topology/" + f).strip();
  }

  @Test
  void everyCpuHasTheTopologyFilesOf618_modes0444() throws Exception {
    Vfs vfs = boot(4, 1);
    for (int cpu = 0; cpu < 4; cpu++) {
      String dir = CPU + "/cpu" + cpu + "/topology";
      assertThat(vfs.readdir(dir).stream().sorted().toList()).isEqualTo(TOPOLOGY_FILES);
      for (String f : TOPOLOGY_FILES) {
        assertThat(Integer.toOctalString(vfs.stat(dir + "/" + f).mode())).as(f).isEqualTo("444");
      }
    }
    assertThat(vfs.readdir(CPU + "/cpu1"))
        .contains("topology", "node0", "subsystem", "online")
        .doesNotContain("ppin");
  }

  @Test
  void oneSocket_fourCores_oneThreadEach() throws Exception {
    Vfs vfs = boot(4, 1);
    assertThat(topo(vfs, 2, "physical_package_id")).isEqualTo("0");
    assertThat(topo(vfs, 2, "die_id")).isEqualTo("0");
    assertThat(topo(vfs, 2, "core_id")).isEqualTo("2");
    assertThat(topo(vfs, 2, "cluster_id")).isEqualTo("2");
    assertThat(topo(vfs, 2, "thread_siblings")).isEqualTo("4");
    assertThat(topo(vfs, 2, "thread_siblings_list")).isEqualTo("2");
    assertThat(topo(vfs, 2, "core_cpus_list")).isEqualTo("2");
    assertThat(topo(vfs, 2, "cluster_cpus")).isEqualTo("4");
    assertThat(topo(vfs, 2, "core_siblings")).isEqualTo("f");
    assertThat(topo(vfs, 2, "core_siblings_list")).isEqualTo("0-3");
    assertThat(topo(vfs, 2, "package_cpus_list")).isEqualTo("0-3");
    assertThat(topo(vfs, 2, "die_cpus")).isEqualTo("f");
  }

  @Test
  void twoNodes_arePackages_coreIdsRestartInEach() throws Exception {
    Vfs vfs = boot(4, 2);
    assertThat(topo(vfs, 3, "physical_package_id")).isEqualTo("1");
    assertThat(topo(vfs, 3, "core_id")).isEqualTo("1");
    assertThat(topo(vfs, 3, "cluster_id")).isEqualTo("3");
    assertThat(topo(vfs, 3, "core_siblings")).isEqualTo("c");
    assertThat(topo(vfs, 3, "core_siblings_list")).isEqualTo("2-3");
    assertThat(topo(vfs, 0, "core_siblings_list")).isEqualTo("0-1");
    assertThat(cat(vfs, NODE + "/node1/cpulist")).isEqualTo("2-3\n");
    assertThat(cat(vfs, NODE + "/node1/cpumap")).isEqualTo("c\n");
    assertThat(cat(vfs, NODE + "/node0/distance")).isEqualTo("10 20\n");
    assertThat(cat(vfs, NODE + "/node1/distance")).isEqualTo("20 10\n");
    assertThat(cat(vfs, NODE + "/possible")).isEqualTo("0-1\n");
    assertThat(cat(vfs, NODE + "/online")).isEqualTo("0-1\n");
    assertThat(cat(vfs, NODE + "/has_cpu")).isEqualTo("0-1\n");
    assertThat(cat(vfs, NODE + "/has_memory")).isEqualTo("0-1\n");
    assertThat(cat(vfs, NODE + "/has_normal_memory")).isEqualTo("0-1\n");
    assertThat(cat(vfs, NODE + "/has_generic_initiator")).isEqualTo("\n");
    assertThat(vfs.readdir(NODE + "/node1")).contains("cpu2", "cpu3").doesNotContain("cpu1");
    assertThat(vfs.readdir(CPU + "/cpu3")).contains("node1").doesNotContain("node0");
  }

  /**
   * topology_remove_dev() is the teardown of CPUHP_TOPOLOGY_PREPARE: an offline CPU has no topology
   * directory, and x86's sibling maps drop it from its siblings' masks.
   */
  @Test
  void offlineCpu_losesItsTopologyDirectory_andLeavesTheMasks() throws Exception {
    Vfs vfs = boot(4, 2);
    write(vfs, CPU + "/cpu3/online", "0");
    assertThat(vfs.readdir(CPU + "/cpu3")).doesNotContain("topology").contains("online", "node1");
    assertThat(errno(() -> vfs.stat(CPU + "/cpu3/topology/core_id"))).isEqualTo(Errno.ENOENT);
    assertThat(topo(vfs, 2, "core_siblings_list")).isEqualTo("2");
    assertThat(topo(vfs, 2, "core_siblings")).isEqualTo("4");
    assertThat(cat(vfs, NODE + "/node1/cpulist")).isEqualTo("2\n");
    assertThat(cat(vfs, NODE + "/has_cpu")).isEqualTo("0-1\n");

    write(vfs, CPU + "/cpu2/online", "0");
    assertThat(cat(vfs, NODE + "/node1/cpulist")).isEqualTo("\n");
    assertThat(cat(vfs, NODE + "/node1/cpumap")).isEqualTo("0\n");
    assertThat(cat(vfs, NODE + "/has_cpu")).isEqualTo("0\n");

    write(vfs, CPU + "/cpu3/online", "1");
    assertThat(vfs.readdir(CPU + "/cpu3")).contains("topology");
    assertThat(topo(vfs, 3, "core_siblings_list")).isEqualTo("3");
    assertThat(topo(vfs, 3, "core_id")).isEqualTo("1");
    assertThat(cat(vfs, NODE + "/has_cpu")).isEqualTo("0-1\n");
  }

  @Test
  void linksPointWhereThe618KernelsDo() throws Exception {
    Vfs vfs = boot(2, 1);
    assertThat(vfs.readlink(CPU + "/cpu0/subsystem")).isEqualTo("../../../../bus/cpu");
    assertThat(vfs.readlink(CPU + "/cpu1/node0")).isEqualTo("../../node/node0");
    assertThat(vfs.readlink(NODE + "/node0/cpu1")).isEqualTo("../../cpu/cpu1");
    assertThat(vfs.readlink(NODE + "/node0/subsystem")).isEqualTo("../../../../bus/node");
    assertThat(vfs.readlink("/bus/cpu/devices/cpu1")).isEqualTo("../../../devices/system/cpu/cpu1");
    assertThat(vfs.readlink("/bus/node/devices/node0"))
        .isEqualTo("../../../devices/system/node/node0");
    assertThat(vfs.readdir("/bus/cpu")).contains("devices", "drivers");
    assertThat(vfs.readdir("/bus/cpu/devices")).containsExactlyInAnyOrder("cpu0", "cpu1");
    assertThat(vfs.readdir(CPU)).doesNotContain("subsystem");
    assertThat(cat(vfs, CPU + "/kernel_max")).isEqualTo("255\n");
  }

  @ParameterizedTest(name = "nr_cpu_ids {0}, cpus {1}: {2}")
  @CsvSource({
    "2, '0-1', 3",
    "2, '0', 1",
    "4, '1', 2",
    "8, '0', 01",
    "6, '0-5', 3f",
    "32, '0', 00000001",
    "33, '0', '0,00000001'",
    "33, '32', '1,00000000'",
    "40, '0-39', 'ff,ffffffff'",
    "64, '63', '80000000,00000000'",
  })
  void cpumap_isBitmapStringOfNrCpuIdsBits(int nr, String list, String want) {
    BitSet m = new BitSet();
    for (String r : list.split(",")) {
      String[] ab = r.split("-");
      int a = Integer.parseInt(ab[0]);
      m.set(a, (ab.length > 1 ? Integer.parseInt(ab[1]) : a) + 1);
    }
    assertThat(new Cpus(nr, 1).cpumap(m)).isEqualTo(want);
  }
}
