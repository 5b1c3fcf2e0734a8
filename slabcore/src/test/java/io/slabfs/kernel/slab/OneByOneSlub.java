package io.slabfs.kernel.slab;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The test oracle for {@link SlubAlloc}: the allocation model as it was before slabs became runs,
 * one {@code Slab} object per slab and one step per object, with {@code free} taking objects in the
 * same order (from a chosen slab on, in creation order, each slab emptied before the next). The
 * counters of the two must agree after every operation.
 */
final class OneByOneSlub {
  enum Where {
    CPU,
    CPU_PARTIAL,
    NODE_PARTIAL,
    FULL,
    FREED
  }

  static final class S {
    final int node;
    final int objects;
    final long serial;
    int inuse;
    Where where;
    int cpu = -1;

    S(int node, int objects, long serial) {
      this.node = node;
      this.objects = objects;
      this.serial = serial;
    }
  }

  final int perSlab;
  final boolean hasCpuPartial;
  final IntUnaryOperator cpuToNode;
  long minPartial;
  long cpuPartialSlabs;
  final S[] cpuSlab;
  final List<ArrayDeque<S>> cpuPartial = new ArrayList<>();
  final List<ArrayDeque<S>> nodePartial = new ArrayList<>();
  final long[] nrSlabs;
  final long[] totalObjects;
  final List<S> live = new ArrayList<>();
  long allocated;
  long serials;

  OneByOneSlub(
      int perSlab, boolean hasCpuPartial, int cpus, int nodes, IntUnaryOperator cpuToNode) {
    this.perSlab = perSlab;
    this.hasCpuPartial = hasCpuPartial;
    this.cpuToNode = cpuToNode;
    this.cpuSlab = new S[cpus];
    for (int i = 0; i < cpus; i++) {
      cpuPartial.add(new ArrayDeque<>());
    }
    for (int i = 0; i < nodes; i++) {
      nodePartial.add(new ArrayDeque<>());
    }
    nrSlabs = new long[nodes];
    totalObjects = new long[nodes];
  }

  void alloc(int cpu, long count) {
    for (long i = 0; i < count; i++) {
      S s = cpuSlab[cpu];
      if (s != null && s.inuse < s.objects) {
        s.inuse++;
        allocated++;
        continue;
      }
      if (s != null) {
        s.where = Where.FULL;
        s.cpu = -1;
        cpuSlab[cpu] = null;
      }
      S next = cpuPartial.get(cpu).pollFirst();
      if (next == null) {
        next = getPartial(cpu);
      }
      if (next == null) {
        int node = cpuToNode.applyAsInt(cpu);
        next = new S(node, perSlab, serials++);
        nrSlabs[node]++;
        totalObjects[node] += perSlab;
        live.add(next);
      }
      next.where = Where.CPU;
      next.cpu = cpu;
      cpuSlab[cpu] = next;
      next.inuse++;
      allocated++;
    }
  }

  private S getPartial(int cpu) {
    int local = cpuToNode.applyAsInt(cpu);
    for (int i = 0; i < nodePartial.size(); i++) {
      ArrayDeque<S> list = nodePartial.get((local + i) % nodePartial.size());
      if (list.isEmpty()) {
        continue;
      }
      S first = list.pollFirst();
      int moved = 0;
      while (hasCpuPartial && moved <= cpuPartialSlabs / 2 && !list.isEmpty()) {
        S extra = list.pollFirst();
        extra.where = Where.CPU_PARTIAL;
        extra.cpu = cpu;
        cpuPartial.get(cpu).addLast(extra);
        moved++;
      }
      return first;
    }
    return null;
  }

  /** Frees {@code count} objects, from slab {@code start} (creation order) on. */
  void free(int cpu, long count, int start) {
    S cur = live.get(start);
    long left = count;
    while (left > 0) {
      while (cur.inuse > 0 && left > 0) {
        freeOne(cur, cpu);
        left--;
      }
      if (left == 0) {
        break;
      }
      // the first live slab created after cur, wrapping
      S next = null;
      for (S x : live) {
        if (x.serial > cur.serial) {
          next = x;
          break;
        }
      }
      cur = next != null ? next : live.get(0);
    }
  }

  private void freeOne(S s, int cpu) {
    s.inuse--;
    allocated--;
    switch (s.where) {
      case CPU, CPU_PARTIAL -> {}
      case FULL -> {
        if (hasCpuPartial) {
          putCpuPartial(cpu, s);
        } else if (s.inuse == 0 && atLeastMinPartial(s.node)) {
          discard(s);
        } else {
          addPartial(s, true);
        }
      }
      case NODE_PARTIAL -> {
        if (s.inuse == 0 && atLeastMinPartial(s.node)) {
          nodePartial.get(s.node).remove(s);
          discard(s);
        }
      }
      case FREED -> throw new IllegalStateException("free into a freed slab");
    }
  }

  private void putCpuPartial(int cpu, S s) {
    ArrayDeque<S> list = cpuPartial.get(cpu);
    if (list.size() >= cpuPartialSlabs) {
      putPartials(list);
    }
    s.where = Where.CPU_PARTIAL;
    s.cpu = cpu;
    list.addFirst(s);
  }

  private void putPartials(ArrayDeque<S> list) {
    for (S p : list) {
      if (p.inuse == 0 && atLeastMinPartial(p.node)) {
        discard(p);
      } else {
        addPartial(p, true);
      }
    }
    list.clear();
  }

  private boolean atLeastMinPartial(int node) {
    return Long.compareUnsigned(nodePartial.get(node).size(), minPartial) >= 0;
  }

  private void addPartial(S s, boolean tail) {
    s.where = Where.NODE_PARTIAL;
    s.cpu = -1;
    if (tail) {
      nodePartial.get(s.node).addLast(s);
    } else {
      nodePartial.get(s.node).addFirst(s);
    }
  }

  private void discard(S s) {
    nrSlabs[s.node]--;
    totalObjects[s.node] -= s.objects;
    s.where = Where.FREED;
    s.cpu = -1;
    live.remove(s);
  }

  void flushCpu(int cpu) {
    S s = cpuSlab[cpu];
    ArrayDeque<S> partial = cpuPartial.get(cpu);
    if (s == null && partial.isEmpty()) {
      return;
    }
    if (s != null) {
      cpuSlab[cpu] = null;
      if (s.inuse == 0 && atLeastMinPartial(s.node)) {
        discard(s);
      } else if (s.inuse == s.objects) {
        s.where = Where.FULL;
        s.cpu = -1;
      } else {
        addPartial(s, false);
      }
    }
    putPartials(partial);
  }

  void shrinkNodes() {
    for (ArrayDeque<S> list : nodePartial) {
      List<S> keep = new ArrayList<>();
      for (S s : list) {
        if (s.inuse == 0) {
          discard(s);
        } else {
          keep.add(s);
        }
      }
      keep.sort(Comparator.comparingInt(s -> s.objects - s.inuse));
      list.clear();
      list.addAll(keep);
    }
  }

  /** {@code show_slab_objects()}, as KmemCache computed it. */
  String showSlabObjects(int so) {
    long[] nodes = new long[nrSlabs.length];
    long total = 0;
    if ((so & KmemCache.SO_CPU) != 0) {
      for (int cpu = 0; cpu < cpuSlab.length; cpu++) {
        S s = cpuSlab[cpu];
        if (s == null) {
          continue;
        }
        long x =
            (so & KmemCache.SO_TOTAL) != 0
                ? s.objects
                : (so & KmemCache.SO_OBJECTS) != 0 ? s.inuse : 1;
        total += x;
        nodes[s.node] += x;
        S head = cpuPartial.get(cpu).peekFirst();
        if (head != null && (so & (KmemCache.SO_TOTAL | KmemCache.SO_OBJECTS)) == 0) {
          total += cpuPartial.get(cpu).size();
          nodes[head.node] += cpuPartial.get(cpu).size();
        }
      }
    }
    if ((so & KmemCache.SO_ALL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x;
        if ((so & KmemCache.SO_TOTAL) != 0) {
          x = totalObjects[n];
        } else if ((so & KmemCache.SO_OBJECTS) != 0) {
          x = totalObjects[n];
          for (S s : nodePartial.get(n)) {
            x -= s.objects - s.inuse;
          }
        } else {
          x = nrSlabs[n];
        }
        total += x;
        nodes[n] += x;
      }
    } else if ((so & KmemCache.SO_PARTIAL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x = 0;
        for (S s : nodePartial.get(n)) {
          x +=
              (so & KmemCache.SO_TOTAL) != 0
                  ? s.objects
                  : (so & KmemCache.SO_OBJECTS) != 0 ? s.inuse : 1;
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

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (S x : live) {
      sb.append(x.where)
          .append(x.where == Where.CPU || x.where == Where.CPU_PARTIAL ? "@" + x.cpu : "")
          .append("/n")
          .append(x.node)
          .append(':')
          .append(x.inuse)
          .append('/')
          .append(x.objects)
          .append(' ');
    }
    return sb.toString();
  }

  /** Per CPU: the partial list's length. */
  long cpuPartialLength(int cpu) {
    return cpuPartial.get(cpu).size();
  }
}
