package io.slabfs.kernel.slab;

import java.util.ArrayList;
import java.util.List;

/**
 * Ours: the bookkeeping behind {@link SlubAlloc}'s slabs. Slabs that nothing can tell apart are one
 * {@link Slab} run; this class keeps the runs in creation order, splits a run when part of it
 * changes state, merges neighbours that have come to the same state again, and counts slabs and
 * objects per node ({@code nr_slabs}, {@code total_objects}) and pages. It models no kernel file;
 * its caller holds the allocator's lock.
 */
final class SlabRuns {
  private final PageAlloc pages;
  final long[] nrSlabs;
  final long[] totalObjects;
  long liveSlabs;

  /** Creation order. */
  Slab first;

  Slab last;

  /** While a free sweep runs, runs to merge once it ends (merging would move its cursor). */
  List<Slab> deferred;

  SlabRuns(int nodes, PageAlloc pages) {
    this.pages = pages;
    this.nrSlabs = new long[nodes];
    this.totalObjects = new long[nodes];
  }

  /** Defers merging until {@link #endDeferring}. */
  void startDeferring() {
    deferred = new ArrayList<>();
  }

  void endDeferring() {
    List<Slab> merge = deferred;
    deferred = null;
    for (Slab r : merge) {
      coalesce(r);
    }
  }

  Slab newRun(int node, int objects, int order, long n) {
    Slab r = new Slab(node, objects, order, n);
    r.prev = last;
    if (last != null) {
      last.next = r;
    } else {
      first = r;
    }
    last = r;
    nrSlabs[node] += n;
    totalObjects[node] += n * objects;
    liveSlabs += n;
    return r;
  }

  /** Gives a run (on no list) back to the page allocator. */
  void discard(Slab r) {
    nrSlabs[r.node] -= r.n;
    totalObjects[r.node] -= r.n * r.objects;
    liveSlabs -= r.n;
    pages.free(r.order, r.n);
    unlink(r);
    r.where = Slab.Where.FREED;
    r.cpu = -1;
  }

  /** Takes {@code r} out of the creation order; it keeps {@code next} for a sweep's cursor. */
  private void unlink(Slab r) {
    if (r.prev != null) {
      r.prev.next = r.next;
    } else {
      first = r.next;
    }
    if (r.next != null) {
      r.next.prev = r.prev;
    } else {
      last = r.prev;
    }
  }

  /**
   * The first {@code k} slabs of {@code r} in creation order as a run of their own, just before
   * what is left of {@code r} (and next to it on its list); {@code r} itself when {@code k} is all
   * of it.
   */
  Slab takeFront(Slab r, long k) {
    if (k >= r.n) {
      return r;
    }
    Slab q = copyOf(r, k);
    q.prev = r.prev;
    q.next = r;
    if (r.prev != null) {
      r.prev.next = q;
    } else {
      first = q;
    }
    r.prev = q;
    splitOnList(r, q, !r.rev);
    return q;
  }

  /** The last {@code k} slabs of {@code r} in creation order, just after what is left of it. */
  Slab takeBack(Slab r, long k) {
    if (k >= r.n) {
      return r;
    }
    Slab q = copyOf(r, k);
    q.next = r.next;
    q.prev = r;
    if (r.next != null) {
      r.next.prev = q;
    } else {
      last = q;
    }
    r.next = q;
    splitOnList(r, q, r.rev);
    return q;
  }

  /** The first {@code k} slabs of {@code r} in the order of the list it is on. */
  Slab takeListFront(Slab r, long k) {
    return r.rev ? takeBack(r, k) : takeFront(r, k);
  }

  private static Slab copyOf(Slab r, long k) {
    Slab q = new Slab(r.node, r.objects, r.order, k);
    q.inuse = r.inuse;
    q.where = r.where;
    q.cpu = r.cpu;
    q.rev = r.rev;
    return q;
  }

  /** Moves {@code q.n} slabs of {@code r} to {@code q}, placed before or after it on the list. */
  private static void splitOnList(Slab r, Slab q, boolean before) {
    Slab.SlabList list = r.list;
    r.n -= q.n;
    if (list == null) {
      return;
    }
    list.slabs -= q.n;
    if (before) {
      list.addBefore(r, q);
    } else {
      list.addAfter(r, q);
    }
  }

  /** Merges {@code r} with its neighbours when they are in the same state (or defers it). */
  void coalesce(Slab r) {
    if (deferred != null) {
      deferred.add(r);
      return;
    }
    if (r.where == Slab.Where.FREED) {
      return;
    }
    Slab p = r.prev;
    if (p != null && p.sameState(r) && adjacentOnList(p, r)) {
      absorb(p, r);
      r = p;
    }
    Slab n = r.next;
    if (n != null && n.sameState(r) && adjacentOnList(r, n)) {
      absorb(r, n);
    }
  }

  /**
   * Whether {@code a} and its successor {@code b} (creation order) are neighbours on their list in
   * an order one run can stand for; sets the merged orientation into {@code a}.
   */
  private static boolean adjacentOnList(Slab a, Slab b) {
    if (a.list == null) {
      return true;
    }
    if (b.lprev == a && (a.n == 1 || !a.rev) && (b.n == 1 || !b.rev)) {
      a.rev = false;
      return true;
    }
    if (b.lnext == a && (a.n == 1 || a.rev) && (b.n == 1 || b.rev)) {
      a.rev = true;
      return true;
    }
    return false;
  }

  /** {@code into} takes over {@code r}, its successor in creation order (and on the list). */
  private void absorb(Slab into, Slab r) {
    if (r.list != null) {
      Slab.SlabList list = r.list;
      list.remove(r);
      list.slabs += r.n;
    }
    into.n += r.n;
    unlink(r);
    r.n = 0;
    r.where = Slab.Where.FREED;
  }

  /** Slabs of this cache, and the pages they hold. */
  long slabPages() {
    long p = 0;
    for (Slab r = first; r != null; r = r.next) {
      p += r.n << r.order;
    }
    return p;
  }

  /** The number of runs the model keeps: its memory, in units of one small object. */
  int count() {
    int n = 0;
    for (Slab r = first; r != null; r = r.next) {
      n++;
    }
    return n;
  }

  /** The runs in creation order, for a failing test's message. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Slab r = first; r != null; r = r.next) {
      sb.append(r.n)
          .append('x')
          .append(r.where)
          .append(r.where == Slab.Where.CPU || r.where == Slab.Where.CPU_PARTIAL ? "@" + r.cpu : "")
          .append("/n")
          .append(r.node)
          .append(':')
          .append(r.inuse)
          .append('/')
          .append(r.objects)
          .append(' ');
    }
    return sb.toString();
  }
}
