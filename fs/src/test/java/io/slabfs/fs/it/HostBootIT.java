package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --boot host}: the mount's kernel/slab is this machine's /sys/kernel/slab. */
class HostBootIT {
  @TempDir static Path tmp;
  private static Mount mount;
  private static Path slab;

  private static final Path HOST = Path.of("/sys");

  @BeforeAll
  static void mount() throws Exception {
    RealSlabTree.assumeRealTree();
    mount =
        Mount.mount(
            Files.createDirectory(tmp.resolve("sys")),
            "--boot",
            "host",
            "--cpus",
            RealSlabTree.nproc(),
            "--nodes",
            Integer.toString(hostNodes()));
    slab = mount.path("kernel/slab");
  }

  /** This machine's NUMA nodes (1 without {@code devices/system/node}). */
  private static int hostNodes() {
    if (!CpuTree.hostHas("devices/system/node")) {
      return 1;
    }
    return (int)
        CpuTree.listing(HOST.resolve("devices/system/node")).keySet().stream()
            .filter(n -> n.matches("node\\d+"))
            .count();
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  @Test
  void sameEntryNames() {
    RealSlabTree.assertSameNames(slab);
  }

  @Test
  void sameSymlinks() {
    RealSlabTree.assertSameLinks(slab);
  }

  @Test
  void sameGeometry() {
    RealSlabTree.assertSameGeometry(slab);
  }

  /**
   * Every CPU directory of the mount is this machine's where slabfs models it: its entries are
   * there with the same type, mode, size and link target; where the machine shows a CPU's {@code
   * topology/}, the mount has the same files.
   */
  @Test
  void cpuDirectoriesAreThisMachinesWhereModeled() {
    int cpus = Integer.parseInt(RealSlabTree.nproc());
    for (int cpu = 0; cpu < cpus; cpu++) {
      String rel = "devices/system/cpu/cpu" + cpu;
      assumeTrue(CpuTree.hostHas(rel), "this machine has no /sys/" + rel);
      Map<String, String> host = CpuTree.listing(HOST.resolve(rel));
      Map<String, String> got = CpuTree.listing(mount.path(rel));
      assertThat(host).as(rel).containsAllEntriesOf(got);
      assertThat(got).as(rel).containsKeys("subsystem", "topology");
      if (host.containsKey("topology")) {
        assertThat(CpuTree.listing(mount.path(rel + "/topology")))
            .as(rel + "/topology")
            .isEqualTo(CpuTree.listing(HOST.resolve(rel + "/topology")));
      }
    }
  }

  /** The node and bus directories: what the mount has, this machine has, and the same devices. */
  @Test
  void nodeAndBusDirectoriesAreThisMachinesWhereModeled() {
    for (String rel :
        List.of("devices/system/node", "devices/system/node/node0", "bus/cpu", "bus/node")) {
      assumeTrue(CpuTree.hostHas(rel), "this machine has no /sys/" + rel);
      Map<String, String> got = CpuTree.listing(mount.path(rel));
      assertThat(got).as(rel).isNotEmpty();
      Map<String, String> host = CpuTree.listing(HOST.resolve(rel));
      // nodeN/cpuK links are the node's CPUs, all present in both
      assertThat(host).as(rel).containsAllEntriesOf(got);
    }
    for (String rel : List.of("bus/cpu/devices", "bus/node/devices")) {
      assertThat(CpuTree.listing(mount.path(rel)))
          .as(rel)
          .isEqualTo(CpuTree.listing(HOST.resolve(rel)));
    }
  }
}
