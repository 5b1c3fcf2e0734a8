package io.slabfs.kernel.cpu;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.BitSet;
import java.util.List;

/**
 * Models: drivers/base/topology.c (and the x86 {@code topology_*()} of
 * arch/x86/include/asm/topology.h it shows).
 *
 * <p>The {@code cpuN/topology/} group: created by the {@code base/topology:prepare} hotplug state
 * ({@code CPUHP_TOPOLOGY_PREPARE}) for every CPU that comes up and removed when it goes down, so an
 * offline CPU has no {@code topology/} directory. x86 defines {@code TOPOLOGY_DIE_SYSFS} and {@code
 * TOPOLOGY_CLUSTER_SYSFS}, not book or drawer; {@code ppin} is invisible ({@code
 * topology_is_visible()}) because a guest's PPIN reads 0.
 *
 * <p>The simulated machine: one package per NUMA node holding that node's CPUs, one die per
 * package, one thread per core, one L2 (cluster) per core; the APIC id is the CPU number, so {@code
 * cluster_id} (x86's {@code l2c_id}) is the CPU number and {@code core_id} is the CPU's index in
 * its package. The sibling masks are x86's {@code cpu_sibling_map}, {@code cpu_core_map}, {@code
 * cpu_die_map} and {@code cpu_l2c_shared_map}: built by {@code set_cpu_sibling_map()} when a CPU
 * comes up and cleared by {@code remove_siblinginfo()} when it goes down, so they hold online CPUs
 * only.
 */
final class CpuTopology {
  private CpuTopology() {}

  /** One CPU's topology, as the attribute files see it. */
  record Cpu(Cpus cpus, int cpu) {
    int physicalPackageId() {
      return cpus.cpuToNode(cpu);
    }

    int dieId() {
      return 0;
    }

    int clusterId() {
      return cpu;
    }

    int coreId() {
      return cpu - cpus.cpusOfNode(physicalPackageId()).nextSetBit(0);
    }

    /** {@code topology_sibling_cpumask()}: the threads of this core. */
    BitSet siblingMask() {
      return online(one());
    }

    /** {@code topology_core_cpumask()}: the online CPUs of this package. */
    BitSet coreMask() {
      return online(cpus.cpusOfNode(physicalPackageId()));
    }

    /** {@code topology_die_cpumask()}: one die per package. */
    BitSet dieMask() {
      return coreMask();
    }

    /** {@code topology_cluster_cpumask()}: the CPUs sharing this CPU's L2. */
    BitSet clusterMask() {
      return online(one());
    }

    private BitSet one() {
      BitSet m = new BitSet();
      m.set(cpu);
      return m;
    }

    private BitSet online(BitSet m) {
      m.and(cpus.onlineMask());
      return m;
    }

    String map(BitSet m) {
      return cpus.cpumap(m) + "\n";
    }

    String list(BitSet m) {
      return Cpus.cpulist(m) + "\n";
    }
  }

  /** {@code default_attrs[]} then {@code bin_attrs[]}, in topology.c's order. */
  static final List<Attribute<Cpu>> ATTRS =
      List.of(
          Attribute.ro("physical_package_id", 0444, c -> c.physicalPackageId() + "\n"),
          Attribute.ro("die_id", 0444, c -> c.dieId() + "\n"),
          Attribute.ro("cluster_id", 0444, c -> c.clusterId() + "\n"),
          Attribute.ro("core_id", 0444, c -> c.coreId() + "\n"),
          Attribute.ro("core_cpus", 0444, c -> c.map(c.siblingMask())),
          Attribute.ro("core_cpus_list", 0444, c -> c.list(c.siblingMask())),
          Attribute.ro("thread_siblings", 0444, c -> c.map(c.siblingMask())),
          Attribute.ro("thread_siblings_list", 0444, c -> c.list(c.siblingMask())),
          Attribute.ro("core_siblings", 0444, c -> c.map(c.coreMask())),
          Attribute.ro("core_siblings_list", 0444, c -> c.list(c.coreMask())),
          Attribute.ro("cluster_cpus", 0444, c -> c.map(c.clusterMask())),
          Attribute.ro("cluster_cpus_list", 0444, c -> c.list(c.clusterMask())),
          Attribute.ro("die_cpus", 0444, c -> c.map(c.dieMask())),
          Attribute.ro("die_cpus_list", 0444, c -> c.list(c.dieMask())),
          Attribute.ro("package_cpus", 0444, c -> c.map(c.coreMask())),
          Attribute.ro("package_cpus_list", 0444, c -> c.list(c.coreMask())));

  /**
   * {@code topology_sysfs_init()}: {@code cpuhp_setup_state(CPUHP_TOPOLOGY_PREPARE,
   * "base/topology:prepare", topology_add_dev, topology_remove_dev)}.
   */
  static void init(Sysfs sysfs, CpuHotplug hotplug, List<KObject<CpuSysfs.CpuDevice>> devices)
      throws ErrnoException {
    hotplug.setupPrepareState(
        "base/topology:prepare",
        cpu -> addDev(sysfs, hotplug.cpus(), devices.get(cpu)),
        // topology_remove_dev(): sysfs_remove_group() is kernfs_remove_by_name() of the group
        cpu -> sysfs.kernfs().removeByName(devices.get(cpu).sd(), "topology"));
  }

  /** {@code topology_add_dev()}: {@code sysfs_create_group()} of the named group. */
  private static void addDev(Sysfs sysfs, Cpus cpus, KObject<CpuSysfs.CpuDevice> dev)
      throws ErrnoException {
    KernfsDir dir = sysfs.createDir(dev.sd(), "topology");
    try {
      sysfs.createFiles(dir, new Cpu(cpus, dev.container().cpu), ATTRS, "dev_attr");
    } catch (ErrnoException e) {
      sysfs.removeDir(dir);
      throw e;
    }
  }
}
