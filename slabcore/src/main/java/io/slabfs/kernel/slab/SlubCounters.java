package io.slabfs.kernel.slab;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * What mm/slub.c reads out of a cache's allocation state ({@link SlubAlloc}): {@code
 * show_slab_objects()} and {@code count_partial()} behind the sysfs counters, {@code
 * slabs_cpu_partial_show()}, {@code validate_slab_cache()}'s checks, and {@code
 * slab_out_of_memory()}'s report. The caller holds the allocation state's lock.
 */
final class SlubCounters {
  private SlubCounters() {}

  /**
   * {@code validate_slab_cache()} after the flush: walks every slab and checks it against SLUB's
   * invariants and the counters. Returns the problems found (a non-empty list is a bug report).
   */
  static List<String> validate(SlubAlloc a) {
    List<String> problems = new ArrayList<>();
    long slabs = 0;
    long objects = 0;
    long inuse = 0;
    for (Slab r = a.runs.first; r != null; r = r.next) {
      if (r.next != null && r.next.prev != r) {
        problems.add("creation order broken after a slab on node " + r.node);
      }
      slabs += r.n;
      objects += r.n * r.objects;
      inuse += r.n * r.inuse;
      if (r.n < 1) {
        problems.add("empty run on node " + r.node);
      }
      if (r.inuse < 0 || r.inuse > r.objects) {
        problems.add("slab on node " + r.node + " has inuse " + r.inuse + " of " + r.objects);
      }
      switch (r.where) {
        case NODE_PARTIAL -> {
          if (r.list != a.nodePartial[r.node]) {
            problems.add("partial slab missing from node " + r.node + " list");
          }
        }
        case CPU_PARTIAL -> {
          if (r.cpu < 0 || r.list != a.cpuPartial[r.cpu]) {
            problems.add("cpu partial slab missing from cpu " + r.cpu + " list");
          }
        }
        case CPU -> {
          if (r.cpu < 0 || a.cpuSlab[r.cpu] != r || r.n != 1) {
            problems.add("cpu slab not cpu " + r.cpu + "'s active slab");
          }
        }
        case FULL -> {
          if (r.inuse != r.objects || r.list != null) {
            problems.add("slab marked full has " + r.free() + " free objects");
          }
        }
        case FREED -> problems.add("freed slab still listed");
      }
    }
    for (Slab.SlabList list : allLists(a)) {
      long n = 0;
      for (Slab r = list.head; r != null; r = r.lnext) {
        n += r.n;
        if (r.list != list) {
          problems.add("slab on a list it does not name");
        }
      }
      if (n != list.slabs) {
        problems.add("list counts " + list.slabs + " slabs but holds " + n);
      }
    }
    long counted = 0;
    long total = 0;
    for (int n = 0; n < a.nrSlabs.length; n++) {
      counted += a.nrSlabs[n];
      total += a.totalObjects[n];
    }
    if (counted != slabs || a.runs.liveSlabs != slabs) {
      problems.add("nr_slabs " + counted + " but " + slabs + " slabs found");
    }
    if (total != objects) {
      problems.add("total_objects " + total + " but " + objects + " found");
    }
    if (inuse != a.allocated) {
      problems.add("inuse " + inuse + " but " + a.allocated + " a.allocated");
    }
    return problems;
  }

  private static List<Slab.SlabList> allLists(SlubAlloc a) {
    List<Slab.SlabList> l = new ArrayList<>(List.of(a.cpuPartial));
    l.addAll(List.of(a.nodePartial));
    return l;
  }

  /** {@code show_slab_objects()}: the total, then {@code N%d=} for each node with a count. */
  static String showSlabObjects(SlubAlloc a, int so) {
    long[] nodes = new long[a.nrSlabs.length];
    long total = 0;
    if ((so & KmemCache.SO_CPU) != 0) {
      for (int cpu = 0; cpu < a.cpuSlab.length; cpu++) {
        Slab c = a.cpuSlab[cpu];
        if (c == null) {
          continue; // show_slab_objects: a CPU without an active slab counts nothing
        }
        long x =
            (so & KmemCache.SO_TOTAL) != 0
                ? c.objects
                : (so & KmemCache.SO_OBJECTS) != 0 ? c.inuse : 1;
        total += x;
        nodes[c.node] += x;
        Slab head = a.cpuPartial[cpu].head;
        if (head != null && (so & (KmemCache.SO_TOTAL | KmemCache.SO_OBJECTS)) == 0) {
          long slabs = a.cpuPartial[cpu].slabs;
          total += slabs;
          nodes[head.node] += slabs;
        }
      }
    }
    if ((so & KmemCache.SO_ALL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x;
        if ((so & KmemCache.SO_TOTAL) != 0) {
          x = a.totalObjects[n];
        } else if ((so & KmemCache.SO_OBJECTS) != 0) {
          x = a.totalObjects[n] - countPartial(a, n, false);
        } else {
          x = a.nrSlabs[n];
        }
        total += x;
        nodes[n] += x;
      }
    } else if ((so & KmemCache.SO_PARTIAL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x;
        if ((so & KmemCache.SO_TOTAL) != 0) {
          x = countPartialTotal(a, n);
        } else if ((so & KmemCache.SO_OBJECTS) != 0) {
          x = countPartial(a, n, true);
        } else {
          x = a.nodePartial[n].slabs;
        }
        total += x;
        nodes[n] += x;
      }
    }
    StringBuilder sb = new StringBuilder().append(total);
    for (int n = 0; n < nodes.length; n++) {
      if (nodes[n] != 0) {
        sb.append(" N").append(n).append('=').append(nodes[n]);
      }
    }
    return sb.append('\n').toString();
  }

  /** {@code MAX_PARTIAL_TO_SCAN} (6.10 on). */
  static final long MAX_PARTIAL_TO_SCAN = 10000;

  /**
   * {@code get_slabinfo()}: {@code {active_objs, num_objs, num_slabs}}, the free objects of the
   * node partial lists counted by {@code count_partial_free_approx()} (6.10 on: a list longer than
   * {@code MAX_PARTIAL_TO_SCAN} is sampled at both ends and scaled) or, before, {@code
   * count_partial(n, count_free)}. Free objects in per-CPU slabs count as active.
   */
  static long[] slabinfo(SlubAlloc a, boolean approx) {
    long slabs = 0;
    long objs = 0;
    long free = 0;
    for (int n = 0; n < a.nrSlabs.length; n++) {
      slabs += a.nrSlabs[n];
      objs += a.totalObjects[n];
      free += approx ? countPartialFreeApprox(a, n) : countPartial(a, n, false);
    }
    return new long[] {objs - free, objs, slabs};
  }

  /** {@code count_partial_free_approx()}. */
  private static long countPartialFreeApprox(SlubAlloc a, int node) {
    Slab.SlabList list = a.nodePartial[node];
    long nrPartial = list.slabs;
    if (nrPartial <= MAX_PARTIAL_TO_SCAN) {
      return countPartial(a, node, false);
    }
    long x = 0;
    long scanned = 0;
    for (Slab r = list.head; r != null && scanned < MAX_PARTIAL_TO_SCAN / 2; r = r.lnext) {
      long k = Math.min(r.n, MAX_PARTIAL_TO_SCAN / 2 - scanned);
      x += k * r.free();
      scanned += k;
    }
    for (Slab r = list.tail; r != null && scanned < MAX_PARTIAL_TO_SCAN; r = r.lprev) {
      long k = Math.min(r.n, MAX_PARTIAL_TO_SCAN - scanned);
      x += k * r.free();
      scanned += k;
    }
    // mult_frac(x, n->nr_partial, scanned)
    long quot = x / scanned;
    long rem = x % scanned;
    x = quot * nrPartial + rem * nrPartial / scanned;
    return Math.min(x, a.totalObjects[node]);
  }

  /** {@code count_partial(n, count_inuse or count_free)}. */
  private static long countPartial(SlubAlloc a, int node, boolean inuse) {
    long x = 0;
    for (Slab r = a.nodePartial[node].head; r != null; r = r.lnext) {
      x += r.n * (inuse ? r.inuse : r.free());
    }
    return x;
  }

  private static long countPartialTotal(SlubAlloc a, int node) {
    long x = 0;
    for (Slab r = a.nodePartial[node].head; r != null; r = r.lnext) {
      x += r.n * r.objects;
    }
    return x;
  }

  /** {@code slabs_cpu_partial_show()}: half-full slabs assumed, online CPUs only. */
  static String showSlabsCpuPartial(SlubAlloc a) {
    BitSet online = a.cpus.onlineMask();
    int perSlab = a.s.geometry().objects();
    long[] perCpu = new long[a.cpuSlab.length];
    long slabs = 0;
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      perCpu[cpu] = a.cpuPartial[cpu].slabs;
      slabs += perCpu[cpu];
    }
    StringBuilder sb = new StringBuilder();
    sb.append((int) slabs * perSlab / 2).append('(').append((int) slabs).append(')');
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      if (perCpu[cpu] > 0) {
        sb.append(" C").append(cpu).append('=').append((int) perCpu[cpu] * perSlab / 2);
        sb.append('(').append((int) perCpu[cpu]).append(')');
      }
    }
    return sb.append('\n').toString();
  }

  /** {@code slab_out_of_memory(s, gfpflags, NUMA_NO_NODE)}, rate limited as the kernel'a.s. */
  static void slabOutOfMemory(SlubAlloc a, int cpu) {
    String note = a.oomRatelimit.check();
    if (note == null) {
      return;
    }
    if (!note.isEmpty()) {
      a.dmesg.printk(note);
    }
    int gfp = PageAlloc.GFP_KERNEL;
    String gfpText = "gfp=0x" + Integer.toHexString(gfp) + "(" + PageAlloc.gfpNames(gfp) + ")";
    if (a.text.slubOomNamesCpu()) {
      a.dmesg.printk(
          "SLUB: Unable to allocate memory on CPU "
              + cpu
              + " (of node "
              + a.cpus.cpuToNode(cpu)
              + ") on node -1, "
              + gfpText);
    } else {
      a.dmesg.printk("SLUB: Unable to allocate memory on node -1, " + gfpText);
    }
    a.dmesg.printk(
        "  cache: "
            + a.s.name()
            + ", object size: "
            + a.s.objectSize()
            + ", buffer size: "
            + a.s.size()
            + ", default order: "
            + a.s.geometry().order()
            + ", min order: "
            + a.minOrder);
    if (a.minOrder > SlubAlloc.getOrder(a.s.objectSize())) {
      a.dmesg.printk(
          "  "
              + a.s.name()
              + " debugging increased min order, use "
              + (a.text.slubOomNamesCpu() ? "slab_debug" : "slub_debug")
              + "=O to disable.");
    }
    for (int node = 0; node < a.nodePartial.length; node++) {
      a.dmesg.printk(
          "  node "
              + node
              + ": slabs: "
              + a.nrSlabs[node]
              + ", objs: "
              + a.totalObjects[node]
              + ", free: "
              + countPartial(a, node, false));
    }
  }
}
