package io.slabfs.kernel.cpu;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code /proc/cpuinfo} (arch/x86/kernel/cpu/proc.c) of the simulated CPUs. */
@KernelTest
class CpuInfoTest {
  private static final String HOST =
      """
      processor\t: 0
      vendor_id\t: GenuineIntel
      cpu family\t: 6
      model\t\t: 167
      model name\t: Intel(R) Xeon(R) Processor
      cache size\t: 491520 KB
      physical id\t: 0
      siblings\t: 2
      core id\t\t: 0
      cpu cores\t: 2
      apicid\t\t: 0
      initial apicid\t: 0
      flags\t\t: fpu vme
      power management:

      processor\t: 1
      vendor_id\t: GenuineIntel

      """;

  @TempDir Path tmp;

  private List<String> records(String text) {
    return Arrays.asList(text.split("\n\n", -1));
  }

  @Test
  void oneRecordPerOnlineCpu_topologyLinesFromTheModel_identityFromTheHost() throws Exception {
    Path host = Files.writeString(tmp.resolve("cpuinfo"), HOST);
    Cpus cpus = new Cpus(4, 2);
    cpus.setOnline(1, false);
    String out = CpuInfo.fromHost(cpus, host).render();
    List<String> recs = records(out);
    assertThat(recs).hasSize(4).last().isEqualTo("");
    assertThat(recs.get(2))
        .isEqualTo(
            """
            processor\t: 3
            vendor_id\t: GenuineIntel
            cpu family\t: 6
            model\t\t: 167
            model name\t: Intel(R) Xeon(R) Processor
            cache size\t: 491520 KB
            physical id\t: 1
            siblings\t: 2
            core id\t\t: 1
            cpu cores\t: 2
            apicid\t\t: 3
            initial apicid\t: 3
            flags\t\t: fpu vme
            power management:""");
    assertThat(recs.get(0)).startsWith("processor\t: 0\n").contains("siblings\t: 1\n");
    assertThat(recs.get(1)).startsWith("processor\t: 2\n").contains("core id\t\t: 0\n");
  }

  @Test
  void unreadableHost_givesTheKernelsUnknownCpu() {
    String out = CpuInfo.fromHost(new Cpus(2, 1), tmp.resolve("none")).render();
    assertThat(records(out)).hasSize(3);
    assertThat(out).contains("vendor_id\t: unknown\n", "processor\t: 1\n", "cpu cores\t: 2\n");
  }

  @Test
  void simProcCpuinfo_followsHotplug(Kernels kernels) throws Exception {
    Kernel k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withCpus(4, 1));
    assertThat(k.vfs().stat("/sim/proc/cpuinfo").mode() & 07777).isEqualTo(0444);
    assertThat(cat(k.vfs(), "/sim/proc/cpuinfo").split("\n", -1))
        .filteredOn(l -> l.startsWith("processor"))
        .hasSize(4);
    write(k.vfs(), "/devices/system/cpu/cpu2/online", "0");
    String after = cat(k.vfs(), "/sim/proc/cpuinfo");
    assertThat(after.split("\n", -1))
        .filteredOn(l -> l.startsWith("processor"))
        .containsExactly("processor\t: 0", "processor\t: 1", "processor\t: 3");
    assertThat(after).contains("siblings\t: 3\n").doesNotContain("siblings\t: 4\n");
  }
}
