package io.slabfs.kernel.cpu;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Models: drivers/base/node.c.
 *
 * <p>{@code /sys/devices/system/node}: the {@code node_state_attrs} masks, one {@code nodeN} device
 * per online node with {@code cpumap}, {@code cpulist} and {@code distance} ({@code meminfo},
 * {@code numastat}, {@code vmstat} and the memory-block links are not modeled), {@code
 * /sys/bus/node}, and {@code register_cpu_under_node()}'s pair of links between a node and its
 * CPUs.
 *
 * <p>Every node of {@code --nodes} is possible, online and has (normal) memory; {@code has_cpu}
 * ({@code N_CPU}) is the nodes with an online CPU: {@code vmstat_cpu_dead()} clears it when a
 * node's last CPU goes down. A node's {@code cpumap} is {@code cpumask_of_node() &
 * cpu_online_mask}. Without a SLIT the distances are {@code LOCAL_DISTANCE} 10 and {@code
 * REMOTE_DISTANCE} 20.
 */
final class NodeSysfs {
  private static final int LOCAL_DISTANCE = 10;
  private static final int REMOTE_DISTANCE = 20;

  private final Sysfs sysfs;
  private final List<KObject<Node>> nodes = new ArrayList<>();

  private NodeSysfs(Sysfs sysfs) {
    this.sysfs = sysfs;
  }

  /** A {@code struct node}. */
  record Node(Cpus cpus, int nid) {
    BitSet cpumask() {
      BitSet m = cpus.cpusOfNode(nid);
      m.and(cpus.onlineMask());
      return m;
    }

    String distance() {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < cpus.nrNodes(); i++) {
        sb.append(i == 0 ? "" : " ").append(i == nid ? LOCAL_DISTANCE : REMOTE_DISTANCE);
      }
      return sb.append('\n').toString();
    }
  }

  /** {@code node_dev_init()}: the root masks, {@code bus/node} and every online node. */
  static NodeSysfs init(Sysfs sysfs, KObject<?> system, KSet bus, Cpus cpus) throws ErrnoException {
    BusSubsys subsys = BusSubsys.register(sysfs, bus, "node");
    KType<Cpus> rootType =
        new KType<>() {
          @Override
          public void release(KObject<Cpus> kobj) {}

          @Override
          public List<Attribute<Cpus>> defaultAttrs() {
            return List.of(
                Attribute.ro("possible", 0444, NodeSysfs::allNodes),
                Attribute.ro("online", 0444, NodeSysfs::allNodes),
                Attribute.ro("has_normal_memory", 0444, NodeSysfs::allNodes),
                Attribute.ro("has_memory", 0444, NodeSysfs::allNodes),
                Attribute.ro("has_cpu", 0444, NodeSysfs::hasCpu),
                Attribute.ro("has_generic_initiator", 0444, c -> "\n"));
          }

          @Override
          public String sysfsOps() {
            return "dev_attr";
          }
        };
    KObject<Cpus> root = new KObject<>(cpus, rootType).initAndAdd(sysfs, system, null, "node");
    KType<Node> nodeType =
        new KType<>() {
          @Override
          public void release(KObject<Node> kobj) {}

          @Override
          public List<Attribute<Node>> defaultAttrs() {
            return List.of(
                Attribute.ro("distance", 0444, Node::distance),
                Attribute.ro("cpumap", 0444, n -> n.cpus().cpumap(n.cpumask()) + "\n"),
                Attribute.ro("cpulist", 0444, n -> Cpus.cpulist(n.cpumask()) + "\n"));
          }

          @Override
          public String sysfsOps() {
            return "dev_attr";
          }
        };
    NodeSysfs out = new NodeSysfs(sysfs);
    for (int nid = 0; nid < cpus.nrNodes(); nid++) {
      KObject<Node> node =
          new KObject<>(new Node(cpus, nid), nodeType).initAndAdd(sysfs, root, null, "node" + nid);
      subsys.addDevice(node);
      out.nodes.add(node);
    }
    return out;
  }

  /** {@code register_cpu_under_node()}: {@code nodeN/cpuK} and {@code cpuK/nodeN}. */
  void registerCpuUnderNode(KObject<?> cpuDev, int nid) throws ErrnoException {
    KObject<Node> node = nodes.get(nid);
    sysfs.createLink(node.sd(), cpuDev.sd(), cpuDev.name());
    sysfs.createLink(cpuDev.sd(), node.sd(), node.name());
  }

  private static String allNodes(Cpus c) {
    BitSet all = new BitSet();
    all.set(0, c.nrNodes());
    return Cpus.cpulist(all) + "\n";
  }

  private static String hasCpu(Cpus c) {
    BitSet m = new BitSet();
    BitSet online = c.onlineMask();
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      m.set(c.cpuToNode(cpu));
    }
    return Cpus.cpulist(m) + "\n";
  }
}
