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
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.ScriptedRandom;
import java.util.BitSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** /sys/devices/system/cpu and CPU hotplug (kernel-model 6.2). */
@KernelTest
class CpuTest {
  private static final String CPU = "/devices/system/cpu";

  private Kernel k;

  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private Vfs boot(int cpus, int nodes) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withCpus(cpus, nodes));
    return k.vfs();
  }

  @Test
  void masks_twoCpus() throws Exception {
    Vfs vfs = boot(2, 1);
    assertThat(cat(vfs, CPU + "/online")).isEqualTo("0-1\n");
    assertThat(cat(vfs, CPU + "/possible")).isEqualTo("0-1\n");
    assertThat(cat(vfs, CPU + "/present")).isEqualTo("0-1\n");
    assertThat(cat(vfs, CPU + "/offline")).isEqualTo("\n");
    for (String f : new String[] {"online", "possible", "present", "offline"}) {
      assertThat(Integer.toOctalString(vfs.stat(CPU + "/" + f).mode())).as(f).isEqualTo("444");
    }
  }

  @Test
  void cpu0_hasNoOnlineFile_cpu1_has0644() throws Exception {
    Vfs vfs = boot(2, 1);
    assertThat(vfs.readdir(CPU)).contains("cpu0", "cpu1").doesNotContain("cpu2");
    assertThat(vfs.readdir(CPU + "/cpu0")).doesNotContain("online");
    assertThat(errno(() -> vfs.stat(CPU + "/cpu0/online"))).isEqualTo(Errno.ENOENT);
    assertThat(Integer.toOctalString(vfs.stat(CPU + "/cpu1/online").mode())).isEqualTo("644");
    assertThat(cat(vfs, CPU + "/cpu1/online")).isEqualTo("1\n");
  }

  @Test
  void offlineThenOnline_cpu1_updatesMasks() throws Exception {
    Vfs vfs = boot(2, 1);
    assertThat(write(vfs, CPU + "/cpu1/online", "0\n")).isEqualTo(2);
    assertThat(cat(vfs, CPU + "/cpu1/online")).isEqualTo("0\n");
    assertThat(cat(vfs, CPU + "/online")).isEqualTo("0\n");
    assertThat(cat(vfs, CPU + "/offline")).isEqualTo("1\n");
    assertThat(cat(vfs, CPU + "/possible")).isEqualTo("0-1\n");
    assertThat(cat(vfs, CPU + "/present")).isEqualTo("0-1\n");
    assertThat(k.dmesg().messages()).contains("smpboot: CPU 1 is now offline");
    assertThat(write(vfs, CPU + "/cpu1/online", "0")).as("already offline: no-op").isEqualTo(1);

    assertThat(write(vfs, CPU + "/cpu1/online", "1\n")).isEqualTo(2);
    assertThat(cat(vfs, CPU + "/cpu1/online")).isEqualTo("1\n");
    assertThat(cat(vfs, CPU + "/online")).isEqualTo("0-1\n");
    assertThat(cat(vfs, CPU + "/offline")).isEqualTo("\n");
  }

  @ParameterizedTest(name = "cpus {0}, offline {1} -> online {2}, offline {3}")
  @CsvSource({
    "4, 2, '0-1,3', 2",
    "4, 1, '0,2-3', 1",
    "4, 3, 0-2, 3",
  })
  void masks_printAsCpuLists(int cpus, int down, String online, String offline) throws Exception {
    Vfs vfs = boot(cpus, 1);
    write(vfs, CPU + "/cpu" + down + "/online", "0");
    assertThat(cat(vfs, CPU + "/online")).isEqualTo(online + "\n");
    assertThat(cat(vfs, CPU + "/offline")).isEqualTo(offline + "\n");
    assertThat(cat(vfs, CPU + "/possible")).isEqualTo("0-" + (cpus - 1) + "\n");
  }

  @Test
  void onlineStore_badInput_isEinval_andChangesNothing() throws Exception {
    Vfs vfs = boot(2, 1);
    assertThat(errno(() -> write(vfs, CPU + "/cpu1/online", "x"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs, CPU + "/cpu1/online", "2"))).isEqualTo(Errno.EINVAL);
    assertThat(cat(vfs, CPU + "/online")).isEqualTo("0-1\n");
  }

  @Test
  void cpu0_cannotGoDown_eperm_asX86DeviceOfflineRefusesIt() throws Exception {
    boot(2, 1);
    k.hotplug().cpuDown(1);
    // x86 cpu0 is not hotpluggable: offline_disabled, device_offline() returns -EPERM
    assertThat(
            errno(
                () -> {
                  k.hotplug().cpuDown(0);
                  return null;
                }))
        .isEqualTo(Errno.EPERM);
    assertThat(k.hotplug().cpus().numOnline()).isEqualTo(1);
    assertThat(cat(k.vfs(), CPU + "/online")).isEqualTo("0\n");
    assertThat(
            errno(
                () -> {
                  k.hotplug().cpuDown(2);
                  return null;
                }))
        .isEqualTo(Errno.EINVAL);
  }

  @Test
  void cpuGoingOffline_flushesItsPerCpuSlabsIntoNodeLists() throws Exception {
    Vfs vfs = boot(2, 1);
    KmemCache s = k.slab().create(KmemCacheArgs.parse("hp 64 flags=SLAB_NO_MERGE".split(" ")));
    s.alloc(1, 3 * 64); // slabs 0, 1 full; slab 2 is cpu 1's (full) active slab
    s.free(1, 1, new ScriptedRandom(0)); // slab 0 -> cpu 1's partial list
    String dir = "/kernel/slab/hp/";
    assertThat(cat(vfs, dir + "slabs_cpu_partial")).isEqualTo("32(1) C1=32(1)\n");
    assertThat(cat(vfs, dir + "cpu_slabs")).isEqualTo("2 N0=2\n");
    assertThat(cat(vfs, dir + "partial")).isEqualTo("0\n");

    write(vfs, CPU + "/cpu1/online", "0");

    assertThat(s.hasCpuSlab(1)).isFalse();
    assertThat(cat(vfs, dir + "slabs_cpu_partial")).isEqualTo("0(0)\n");
    assertThat(cat(vfs, dir + "cpu_slabs")).isEqualTo("0\n");
    assertThat(cat(vfs, dir + "partial")).isEqualTo("1 N0=1\n");
    assertThat(cat(vfs, dir + "objects_partial")).isEqualTo("63 N0=63\n");
    assertThat(cat(vfs, dir + "objects")).isEqualTo("191 N0=191\n");
    assertThat(cat(vfs, dir + "total_objects")).isEqualTo("192 N0=192\n");

    write(vfs, CPU + "/cpu1/online", "1");
    assertThat(cat(vfs, dir + "slabs_cpu_partial")).as("nothing came back").isEqualTo("0(0)\n");
    assertThat(s.validate()).isEmpty();
  }

  @Test
  void cpuGoingOffline_everyCacheLosesItsC1Entry() throws Exception {
    k = kernels.boot(BootOptions.defaults());
    int withC1 = 0;
    for (KmemCache s : k.slab().caches()) {
      if (cat(k.vfs(), "/kernel/slab/" + s.kobj().name() + "/slabs_cpu_partial").contains(" C1=")) {
        withC1++;
      }
    }
    assertThat(withC1).as("the populated boot has per-CPU partial slabs on cpu 1").isPositive();
    write(k.vfs(), CPU + "/cpu1/online", "0");
    write(k.vfs(), CPU + "/cpu1/online", "1");
    for (KmemCache s : k.slab().caches()) {
      assertThat(s.hasCpuSlab(1)).as(s.name()).isFalse();
      assertThat(cat(k.vfs(), "/kernel/slab/" + s.kobj().name() + "/slabs_cpu_partial"))
          .as(s.name())
          .doesNotContain(" C1=");
    }
  }

  @Test
  void cpulist_format() {
    BitSet m = new BitSet();
    assertThat(Cpus.cpulist(m)).isEmpty();
    m.set(0);
    assertThat(Cpus.cpulist(m)).isEqualTo("0");
    m.set(2, 5);
    m.set(7);
    assertThat(Cpus.cpulist(m)).isEqualTo("0,2-4,7");
  }

  @Test
  void cpuToNode_contiguousBlocks() {
    Cpus cpus = new Cpus(4, 2);
    assertThat(cpus.cpuToNode(0)).isZero();
    assertThat(cpus.cpuToNode(1)).isZero();
    assertThat(cpus.cpuToNode(2)).isEqualTo(1);
    assertThat(cpus.cpuToNode(3)).isEqualTo(1);
  }
}
