package io.slabfs.kernel.locking;

import io.slabfs.kernel.locking.Lockdep.Dep;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Models: kernel/locking/lockdep_proc.c: {@code /proc/lockdep} ({@code l_show()}), {@code
 * /proc/lockdep_chains} ({@code lc_show()}) and {@code /proc/lockdep_stats} ({@code
 * lockdep_stats_show()}), read from {@link Lockdep}'s class table, graph and chains; and the
 * simulator's own Graphviz view of the graph.
 *
 * <p>Concurrency: each method is called with {@code l}'s monitor held, as {@code lockdep_proc.c}
 * reads under the graph lock.
 */
final class LockdepProc {
  private LockdepProc() {}

  /** {@code /proc/lockdep}: each class with its forward dependencies. */
  static String procLockdep(Lockdep l) {
    StringBuilder sb = new StringBuilder("all lock classes:\n");
    Map<LockClass, Integer> backward = new HashMap<>();
    l.forward.values().forEach(m -> m.keySet().forEach(c -> backward.merge(c, 1, Integer::sum)));
    for (LockClass c : l.classes.values()) {
      Map<LockClass, Dep> out = l.forward.getOrDefault(c, Map.of());
      sb.append(
          String.format(
              "%016x FD:%5d BD:%5d %s: %s%n",
              0xffffffff83000000L + c.id() * 0x10L,
              out.size(),
              backward.getOrDefault(c, 0),
              c.usage(),
              c.displayName()));
      for (LockClass d : out.keySet()) {
        sb.append(
            String.format(
                " -> [%016x] %s%n", 0xffffffff83000000L + d.id() * 0x10L, d.displayName()));
      }
      sb.append('\n');
    }
    sb.append("lockdep ")
        .append(l.enabled ? "on" : "off (after a report; lockdep_reset re-arms it)")
        .append('\n');
    return sb.toString();
  }

  private static String keyAddress(LockClass c) {
    return String.format("%016x", 0xffffffff83000000L + c.id() * 0x10L);
  }

  /** {@code /proc/lockdep_chains} ({@code lc_show()}): every chain validated, its classes. */
  static String procLockdepChains(Lockdep l) {
    StringBuilder sb = new StringBuilder("all lock chains:\n");
    for (List<LockClass> chain : l.chains.values()) {
      sb.append("irq_context: 0\n");
      for (LockClass c : chain) {
        sb.append('[').append(keyAddress(c)).append("] ").append(c.displayName()).append('\n');
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  /**
   * {@code /proc/lockdep_stats} ({@code lockdep_stats_show()}), for a kernel with {@code
   * CONFIG_PROVE_LOCKING} and the default {@code CONFIG_LOCKDEP_BITS} (15), {@code _CHAINS_BITS}
   * (16) and {@code _STACK_TRACE_BITS} (19). Nothing runs in interrupt context: the irq-safe counts
   * are 0, every write class is hardirq- and softirq-unsafe, every read class read-unsafe.
   */
  static String procLockdepStats(Lockdep l) {
    long unused = 0;
    long uncategorized = 0;
    long unsafe = 0;
    long readUnsafe = 0;
    long indirect = 0;
    int maxIndex = 0;
    for (LockClass c : l.classes.values()) {
      int m = c.usageMask();
      if (m == 0) {
        unused++;
      }
      if (m == LockClass.USED) {
        uncategorized++;
      }
      if ((m & LockClass.USED_WRITE) != 0) {
        unsafe++;
      }
      if ((m & LockClass.USED_READ) != 0) {
        readUnsafe++;
      }
      indirect += countForwardDeps(l, c);
      maxIndex = Math.max(maxIndex, c.id());
    }
    long edges = 0;
    long traceEntries = 0;
    for (Map<LockClass, Dep> out : l.forward.values()) {
      edges += out.size();
      for (Dep d : out.values()) {
        traceEntries += d.trace.size();
      }
    }
    long listEntries = 2 * edges; // locks_after and locks_before
    long hlocks = 0;
    for (List<LockClass> chain : l.chains.values()) {
      hlocks += chain.size();
    }
    int chainCount = l.chains.size();
    StringBuilder sb = new StringBuilder();
    stat(sb, "lock-classes", l.classes.size(), Lockdep.MAX_LOCKDEP_KEYS);
    stat(sb, "direct dependencies", listEntries, 1L << 15);
    stat(sb, "indirect dependencies", indirect, -1);
    stat(sb, "all direct dependencies", listEntries, -1);
    stat(sb, "dependency chains", chainCount, 1L << 16);
    stat(sb, "dependency chain hlocks used", hlocks, 5L << 16);
    stat(sb, "dependency chain hlocks lost", 0, -1);
    stat(sb, "in-hardirq chains", 0, -1);
    stat(sb, "in-softirq chains", 0, -1);
    stat(sb, "in-process chains", chainCount, -1);
    stat(sb, "stack-trace entries", traceEntries, 1L << 19);
    stat(sb, "number of stack traces", edges, -1);
    stat(sb, "number of stack hash chains", edges, -1);
    stat(sb, "combined max dependencies", chainCount + 1L, -1);
    stat(sb, "hardirq-safe locks", 0, -1);
    stat(sb, "hardirq-unsafe locks", unsafe, -1);
    stat(sb, "softirq-safe locks", 0, -1);
    stat(sb, "softirq-unsafe locks", unsafe, -1);
    stat(sb, "irq-safe locks", 0, -1);
    stat(sb, "irq-unsafe locks", unsafe, -1);
    stat(sb, "hardirq-read-safe locks", 0, -1);
    stat(sb, "hardirq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "softirq-read-safe locks", 0, -1);
    stat(sb, "softirq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "irq-read-safe locks", 0, -1);
    stat(sb, "irq-read-unsafe locks", readUnsafe, -1);
    stat(sb, "uncategorized locks", uncategorized, -1);
    stat(sb, "unused locks", unused, -1);
    stat(sb, "max locking depth", l.maxDepth, -1);
    stat(sb, "max bfs queue depth", l.maxBfsQueueDepth, -1);
    stat(sb, "max lock class index", maxIndex, -1);
    stat(sb, "debug_locks", l.enabled ? 1 : 0, -1);
    sb.append('\n');
    stat(sb, "zapped classes", l.zappedClasses, -1);
    stat(sb, "zapped lock chains", l.zappedChains, -1);
    stat(sb, "large chain blocks", 0, -1);
    return sb.toString();
  }

  /** {@code " name: %11lu [max: %lu]"}: the name and colon padded to 31 columns. */
  private static void stat(StringBuilder sb, String name, long value, long max) {
    sb.append(' ').append(String.format("%-31s", name + ":")).append(String.format("%11d", value));
    if (max >= 0) {
      sb.append(" [max: ").append(max).append(']');
    }
    sb.append('\n');
  }

  /** {@code lockdep_count_forward_deps()}: the classes reachable from {@code c}, itself too. */
  private static int countForwardDeps(Lockdep l, LockClass c) {
    Set<LockClass> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    ArrayDeque<LockClass> queue = new ArrayDeque<>();
    queue.add(c);
    seen.add(c);
    while (!queue.isEmpty()) {
      for (LockClass d : l.forward.getOrDefault(queue.poll(), Map.of()).keySet()) {
        if (seen.add(d)) {
          queue.add(d);
        }
      }
    }
    return seen.size();
  }

  /** The dependency graph in Graphviz DOT; the edges of the reported cycle in red. */
  static String dot(Lockdep l) {
    StringBuilder sb =
        new StringBuilder(
            "digraph lockdep {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
    Set<String> cycleEdges = new java.util.HashSet<>();
    for (int i = 0; i < l.lastCycle.size(); i++) {
      LockClass a = l.lastCycle.get(i);
      LockClass b = l.lastCycle.get((i + 1) % l.lastCycle.size());
      cycleEdges.add(a.displayName() + "->" + b.displayName());
    }
    for (Map.Entry<LockClass, Map<LockClass, Dep>> e : l.forward.entrySet()) {
      for (LockClass d : e.getValue().keySet()) {
        String key = e.getKey().displayName() + "->" + d.displayName();
        sb.append("  \"")
            .append(e.getKey().displayName())
            .append("\" -> \"")
            .append(d.displayName())
            .append('"')
            .append(cycleEdges.contains(key) ? " [color=red, penwidth=2.5]" : "")
            .append(";\n");
      }
    }
    if (l.lastCycle.size() > 1) {
      // the closing edge was refused, so draw it too
      LockClass last = l.lastCycle.get(l.lastCycle.size() - 1);
      sb.append("  \"")
          .append(last.displayName())
          .append("\" -> \"")
          .append(l.lastCycle.get(0).displayName())
          .append("\" [color=red, penwidth=2.5, style=dashed, label=\"closes the cycle\"];\n");
    }
    return sb.append("}\n").toString();
  }
}
