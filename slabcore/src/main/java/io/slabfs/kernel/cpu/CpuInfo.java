package io.slabfs.kernel.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Models: arch/x86/kernel/cpu/proc.c.
 *
 * <p>{@code /proc/cpuinfo}: one record per online CPU ({@code c_start()} walks {@code
 * cpu_online_mask}), each ending in an empty line. The CPU's identity (vendor, family, model,
 * flags, bugs, bogomips, ...) is the host's: the simulated kernel is a guest on the machine slabfs
 * runs on, and those lines are copied from the first record of the host's {@code /proc/cpuinfo}.
 * The lines of {@code show_cpuinfo_core()} and {@code processor} are the simulated topology's
 * ({@link CpuTopology}): {@code physical id} is the package, {@code siblings} the weight of {@code
 * topology_core_cpumask()}, {@code cpu cores} the package's booted cores (one thread per core: the
 * same), {@code apicid} the CPU number.
 */
public final class CpuInfo {
  private final Cpus cpus;
  private final List<String> identity;

  private CpuInfo(Cpus cpus, List<String> identity) {
    this.cpus = cpus;
    this.identity = identity;
  }

  /**
   * The host's first record from {@code cpuinfo}; when it cannot be read, the lines {@code
   * show_cpuinfo()} prints for a CPU it could not identify.
   */
  public static CpuInfo fromHost(Cpus cpus, Path cpuinfo) {
    List<String> first = new ArrayList<>();
    try {
      for (String line : Files.readAllLines(cpuinfo, StandardCharsets.ISO_8859_1)) {
        if (line.isEmpty()) {
          if (!first.isEmpty()) {
            break;
          }
          continue;
        }
        first.add(line);
      }
    } catch (IOException e) {
      first.clear();
    }
    if (first.isEmpty() || !key(first.get(0)).equals("processor")) {
      first =
          List.of(
              "processor\t: 0",
              "vendor_id\t: unknown",
              "cpu family\t: 0",
              "model\t\t: 0",
              "model name\t: unknown",
              "stepping\t: 0",
              "physical id\t: 0",
              "siblings\t: 1",
              "core id\t\t: 0",
              "cpu cores\t: 1",
              "apicid\t\t: 0",
              "initial apicid\t: 0",
              "fpu\t\t: yes",
              "fpu_exception\t: yes",
              "cpuid level\t: 0",
              "wp\t\t: yes",
              "flags\t\t:",
              "bugs\t\t:",
              "bogomips\t: 0.00",
              "clflush size\t: 64",
              "cache_alignment\t: 64",
              "address sizes\t: 0 bits physical, 0 bits virtual",
              "power management:");
    }
    return new CpuInfo(cpus, List.copyOf(first));
  }

  private static String key(String line) {
    int colon = line.indexOf(':');
    return (colon < 0 ? line : line.substring(0, colon)).strip();
  }

  /** {@code seq_read()} of the whole file. */
  public String render() {
    StringBuilder sb = new StringBuilder();
    BitSet online = cpus.onlineMask();
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      CpuTopology.Cpu topo = new CpuTopology.Cpu(cpus, cpu);
      int siblings = topo.coreMask().cardinality();
      for (String line : identity) {
        String value =
            switch (key(line)) {
              case "processor" -> Integer.toString(cpu);
              case "physical id" -> Integer.toString(topo.physicalPackageId());
              case "siblings", "cpu cores" -> Integer.toString(siblings);
              case "core id" -> Integer.toString(topo.coreId());
              case "apicid", "initial apicid" -> Integer.toString(cpu);
              default -> null;
            };
        if (value == null) {
          sb.append(line);
        } else {
          sb.append(line, 0, line.indexOf(':') + 1).append(' ').append(value);
        }
        sb.append('\n');
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
