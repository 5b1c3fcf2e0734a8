package io.slabfs.kernel.cpu;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Kstrtox;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Models: drivers/base/cpu.c.
 *
 * <p>drivers/base/cpu.c: {@code /sys/devices/system/cpu} with the {@code online}, {@code possible},
 * {@code present} masks, {@code kernel_max} and {@code offline}, and one {@code cpuN/} device per
 * possible CPU on {@code bus/cpu} ({@code subsystem} link, {@code bus/cpu/devices/cpuN}), linked
 * with its node ({@code register_cpu_under_node()}), with an {@code online} file (0644) except on
 * cpu0, which x86 cannot take down, and a {@code topology/} group while it is online ({@link
 * CpuTopology}). Boot order as {@code driver_init()}: {@code node_dev_init()} before {@code
 * cpu_dev_init()}, the CPUs' devices ({@code topology_init()}) before the topology hotplug state.
 */
public final class CpuSysfs {
  private static final KType<Object> PLAIN = kobj -> {};

  private CpuSysfs() {}

  /** {@code CONFIG_NR_CPUS} of the captured 6.18 machine (and the limit of {@code --cpus}). */
  public static final int NR_CPUS = 256;

  /**
   * Creates {@code devices/system/node}, {@code devices/system/cpu} under {@code devices} and
   * {@code bus/node}, {@code bus/cpu} under {@code bus}.
   */
  public static void init(Sysfs sysfs, KObject<?> devices, KSet bus, CpuHotplug hotplug)
      throws ErrnoException {
    Cpus cpus = hotplug.cpus();
    KObject<Object> system =
        new KObject<>(new Object(), PLAIN).initAndAdd(sysfs, devices, null, "system");
    NodeSysfs nodes = NodeSysfs.init(sysfs, system, bus, cpus);
    BusSubsys cpuSubsys = BusSubsys.register(sysfs, bus, "cpu");
    KType<Cpus> subsysType =
        new KType<>() {
          @Override
          public void release(KObject<Cpus> kobj) {}

          @Override
          public List<Attribute<Cpus>> defaultAttrs() {
            return List.of(
                Attribute.ro("online", 0444, c -> Cpus.cpulist(c.onlineMask()) + "\n"),
                Attribute.ro("possible", 0444, c -> c.possibleList() + "\n"),
                Attribute.ro("present", 0444, c -> c.possibleList() + "\n"),
                Attribute.ro("kernel_max", 0444, c -> (NR_CPUS - 1) + "\n"),
                Attribute.ro("offline", 0444, CpuSysfs::offline));
          }
        };
    KObject<Cpus> cpuDir = new KObject<>(cpus, subsysType).initAndAdd(sysfs, system, null, "cpu");
    Attribute<CpuDevice> online =
        Attribute.rw("online", 0644, CpuDevice::showOnline, CpuDevice::storeOnline);
    List<KObject<CpuDevice>> devs = new ArrayList<>();
    for (int cpu = 0; cpu < cpus.nrPossible(); cpu++) {
      // register_cpu(): device_register() (with the online file when hotpluggable), then
      // register_cpu_under_node()
      CpuDevice dev = new CpuDevice(cpu, hotplug);
      KObject<CpuDevice> kobj =
          new KObject<>(dev, (KType<CpuDevice>) k -> {})
              .initAndAdd(sysfs, cpuDir, null, "cpu" + cpu);
      cpuSubsys.addDevice(kobj);
      if (cpu != 0) {
        sysfs.createFile(kobj.sd(), dev, online, "dev_attr");
      }
      nodes.registerCpuUnderNode(kobj, cpus.cpuToNode(cpu));
      devs.add(kobj);
    }
    CpuTopology.init(sysfs, hotplug, List.copyOf(devs));
  }

  private static String offline(Cpus c) {
    BitSet off = new BitSet();
    off.set(0, c.nrPossible());
    off.andNot(c.onlineMask());
    return Cpus.cpulist(off) + "\n";
  }

  /** A {@code struct cpu} device. */
  static final class CpuDevice {
    final int cpu;
    final CpuHotplug hotplug;

    CpuDevice(int cpu, CpuHotplug hotplug) {
      this.cpu = cpu;
      this.hotplug = hotplug;
    }

    String showOnline() {
      return (hotplug.cpus().isOnline(cpu) ? 1 : 0) + "\n";
    }

    /** {@code online_store}: {@code kstrtobool}, then {@code device_online/offline}. */
    int storeOnline(byte[] buf, int len) throws ErrnoException {
      boolean on = Kstrtox.kstrtobool(buf);
      hotplug.deviceHotplugLock().lock();
      try (Task.Frame a = Task.enter(on ? "device_online" : "device_offline");
          Task.Frame b = Task.enter(on ? "cpu_subsys_online" : "cpu_subsys_offline")) {
        if (on) {
          hotplug.cpuUp(cpu);
        } else {
          hotplug.cpuDown(cpu);
        }
      } finally {
        hotplug.deviceHotplugLock().unlock();
      }
      return len;
    }
  }
}
