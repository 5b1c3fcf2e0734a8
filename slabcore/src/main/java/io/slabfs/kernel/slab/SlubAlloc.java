package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Task;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * SLUB's allocation state of one cache (mm/slub.c): per CPU the active slab ({@code c->slab}) and
 * the partial list ({@code c->partial}), per node the partial list ({@code n->partial}) and the
 * slab and object counts ({@code nr_slabs}, {@code total_objects}); full slabs are on no list, as
 * in a kernel without debugging. Modelled: {@code ___slab_alloc} with {@code get_partial_node} and
 * {@code new_slab}/{@code allocate_slab} (default order, then the minimum order, then {@code
 * slab_out_of_memory}), {@code __slab_free} with {@code put_cpu_partial} and {@code
 * __put_partials}, {@code flush_cpu_slab}/{@code deactivate_slab}, the node part of {@code
 * __kmem_cache_shrink} and {@code free_partial}, and the counting of {@code show_slab_objects} and
 * {@code slabs_cpu_partial_show}.
 *
 * <p>Ours: slabs that nothing can tell apart are one {@link Slab} run, and an operation on N
 * objects moves whole runs, so time and memory go with the number of distinct slab states an
 * operation touches, not with objects. Counters are exactly those of doing the same operations one
 * object at a time. Which objects {@code free} takes is the simulator's choice: from a random slab
 * on, in the order slabs were created, each slab emptied before the next.
 *
 * <p>What is read out of this state ({@code show_slab_objects}, {@code validate_slab_cache}, {@code
 * slab_out_of_memory}) is in {@link SlubCounters}; how like slabs are kept as one run is in {@link
 * SlabRuns}. The rest, about 550 lines, stays together: the allocation and free paths are one state
 * machine over the same per-CPU and per-node lists.
 *
 * <p>Concurrency: everything is guarded by this object's monitor, which stands for the kernel's
 * per-CPU {@code local_lock}s and per-node {@code list_lock}s together, so a {@code show()} always
 * sees counters that agree; under it only the page allocator's and dmesg's leaf locks are taken.
 */
final class SlubAlloc {
  final KmemCache s;
  final Cpus cpus;
  private final PageAlloc pages;
  final Dmesg dmesg;
  final EraText text;
  final Ratelimit oomRatelimit;
  final int minOrder;
  private final int minObjects;
  private final int allocflags;

  final Slab[] cpuSlab;
  final Slab.SlabList[] cpuPartial;
  final Slab.SlabList[] nodePartial;
  final SlabRuns runs;
  final long[] nrSlabs;
  final long[] totalObjects;
  long allocated;

  SlubAlloc(KmemCache s, Cpus cpus, PageAlloc pages, Dmesg dmesg) {
    this.s = s;
    this.cpus = cpus;
    this.pages = pages;
    this.dmesg = dmesg;
    this.text = EraText.of(pages.release());
    // static DEFINE_RATELIMIT_STATE(slub_oom_rs, DEFAULT_RATELIMIT_INTERVAL, ..._BURST)
    this.oomRatelimit = new Ratelimit("slab_out_of_memory", 5_000, 10, pages.clock());
    Geometry geo = s.geometry();
    // s->min = oo_make(get_order(size), size)
    this.minOrder = getOrder(geo.size());
    this.minObjects = (Geometry.PAGE_SIZE << minOrder) / geo.size();
    int flags = PageAlloc.GFP_KERNEL;
    if (text.slabPagesAlwaysCompound() || geo.order() > 0) {
      flags |= PageAlloc.GFP_COMP;
    }
    if (s.hasFlag(SlabFlags.SLAB_CACHE_DMA)) {
      flags |= PageAlloc.GFP_DMA;
    }
    if (s.hasFlag(SlabFlags.SLAB_CACHE_DMA32)) {
      flags |= PageAlloc.GFP_DMA32;
    }
    if (s.hasFlag(SlabFlags.SLAB_RECLAIM_ACCOUNT)) {
      flags |= PageAlloc.GFP_RECLAIMABLE;
    }
    this.allocflags = flags;
    this.cpuSlab = new Slab[cpus.nrPossible()];
    this.cpuPartial = new Slab.SlabList[cpus.nrPossible()];
    for (int i = 0; i < cpuPartial.length; i++) {
      cpuPartial[i] = new Slab.SlabList();
    }
    this.nodePartial = new Slab.SlabList[cpus.nrNodes()];
    for (int i = 0; i < nodePartial.length; i++) {
      nodePartial[i] = new Slab.SlabList();
    }
    this.runs = new SlabRuns(cpus.nrNodes(), pages);
    this.nrSlabs = runs.nrSlabs;
    this.totalObjects = runs.totalObjects;
  }

  /** {@code get_order()}: the smallest order whose pages hold {@code size} bytes. */
  static int getOrder(int size) {
    int order = 0;
    while ((Geometry.PAGE_SIZE << order) < size) {
      order++;
    }
    return order;
  }

  // ------------------------------------------------------------------------------ alloc

  /**
   * {@code count} allocations on {@code cpu}. Stops at a slab boundary with {@code ENOMEM} when no
   * slab can be had, or {@code EINTR} when the task has a fatal signal pending; what was allocated
   * until then stays allocated.
   */
  synchronized void alloc(int cpu, long count) throws ErrnoException {
    long left = count;
    while (left > 0) {
      if (Task.current().fatalSignalPending()) {
        throw Errno.EINTR.with(
            "fatal signal pending: allocated "
                + (count - left)
                + " of "
                + count
                + " objects of "
                + s.name());
      }
      Slab c = cpuSlab[cpu];
      if (c != null) {
        if (c.inuse < c.objects) {
          long take = Math.min(left, c.free());
          c.inuse += (int) take;
          allocated += take;
          left -= take;
          continue;
        }
        // the active slab is full: deactivate it; full slabs are on no list
        cpuSlab[cpu] = null;
        c.where = Slab.Where.FULL;
        c.cpu = -1;
        runs.coalesce(c);
      }
      Slab.SlabList partial = cpuPartial[cpu];
      if (!partial.isEmpty()) {
        Slab h = partial.head;
        int f = h.free();
        // slabs that fill up while more objects follow go straight to "full"
        long whole = f == 0 ? h.n : Math.min(h.n, left / f);
        long demote = f != 0 && whole * f == left ? whole - 1 : whole;
        if (demote > 0) {
          Slab d = runs.takeListFront(h, demote);
          partial.remove(d);
          d.rev = false;
          allocated += demote * f;
          left -= demote * f;
          d.inuse = d.objects;
          d.where = Slab.Where.FULL;
          d.cpu = -1;
          runs.coalesce(d);
          continue;
        }
        Slab one = runs.takeListFront(h, 1);
        partial.remove(one);
        one.rev = false;
        activate(one, cpu);
        continue;
      }
      Slab p = getPartial(cpu);
      if (p != null) {
        activate(p, cpu);
        continue;
      }
      int node = cpus.cpuToNode(cpu);
      int per = s.geometry().objects();
      int order = s.geometry().order();
      long want = (left + per - 1) / per;
      if (want > 1) {
        long got = pages.allocUpTo(order, want - 1);
        if (got > 0) {
          Slab full = runs.newRun(node, per, order, got);
          full.inuse = per;
          full.where = Slab.Where.FULL;
          allocated += got * per;
          left -= got * per;
          runs.coalesce(full);
          continue;
        }
      }
      Slab one = newSlab(cpu, node);
      if (one == null) {
        throw Errno.ENOMEM.with(
            "out of memory: allocated "
                + (count - left)
                + " of "
                + count
                + " objects of "
                + s.name()
                + "; "
                + pages.freePages()
                + " pages free of "
                + pages.totalPages());
      }
      activate(one, cpu);
    }
  }

  private void activate(Slab one, int cpu) {
    one.where = Slab.Where.CPU;
    one.cpu = cpu;
    cpuSlab[cpu] = one;
  }

  /**
   * {@code new_slab()}/{@code allocate_slab()}: the default order without warnings, then the
   * minimum order; when both fail, {@code slab_out_of_memory()} and {@code null}.
   */
  private Slab newSlab(int cpu, int node) {
    Geometry geo = s.geometry();
    if (pages.allocOrWarn(geo.order(), allocflags, true, cpu)) {
      return runs.newRun(node, geo.objects(), geo.order(), 1);
    }
    if (pages.allocOrWarn(minOrder, allocflags, false, cpu)) {
      return runs.newRun(node, minObjects, minOrder, 1);
    }
    SlubCounters.slabOutOfMemory(this, cpu);
    return null;
  }

  /**
   * {@code get_partial()}: the first node-partial slab becomes the CPU slab; more follow onto the
   * CPU's partial list until it holds more than half of {@code cpu_partial_slabs}. The local node
   * is tried first, then the others.
   */
  private Slab getPartial(int cpu) {
    int local = cpus.cpuToNode(cpu);
    for (int i = 0; i < nodePartial.length; i++) {
      Slab.SlabList list = nodePartial[(local + i) % nodePartial.length];
      if (list.isEmpty()) {
        continue;
      }
      Slab one = runs.takeListFront(list.head, 1);
      list.remove(one);
      one.rev = false;
      if (s.hasCpuPartial()) {
        long more = s.cpuPartialSlabs() / 2 + 1;
        while (more > 0 && !list.isEmpty()) {
          Slab q = runs.takeListFront(list.head, Math.min(more, list.head.n));
          list.remove(q);
          more -= q.n;
          q.where = Slab.Where.CPU_PARTIAL;
          q.cpu = cpu;
          cpuPartial[cpu].addLast(q);
          runs.coalesce(q);
        }
      }
      return one;
    }
    return null;
  }

  // ------------------------------------------------------------------------------- free

  /**
   * Frees {@code count} objects from {@code cpu} ({@code __slab_free}): from the slab {@code
   * random} picks among all slabs (in creation order) on, emptying each slab before going to the
   * next. {@code EINVAL} if fewer objects are allocated, changing nothing; {@code EINTR} at a slab
   * boundary when the task has a fatal signal pending.
   */
  synchronized void free(int cpu, long count, Random random) throws ErrnoException {
    if (count > allocated) {
      throw Errno.EINVAL.with(
          "cache "
              + s.name()
              + " has only "
              + allocated
              + " objects allocated, cannot free "
              + count);
    }
    if (count <= 0) {
      return;
    }
    long index = random.nextInt((int) Math.min(runs.liveSlabs, Integer.MAX_VALUE));
    Slab cur = runs.first;
    while (index >= cur.n) {
      index -= cur.n;
      cur = cur.next;
    }
    if (index > 0) {
      runs.takeFront(cur, index); // cur now starts at the chosen slab
    }
    runs.startDeferring();
    long left = count;
    try {
      while (left > 0) {
        if (Task.current().fatalSignalPending()) {
          throw Errno.EINTR.with(
              "fatal signal pending: freed "
                  + (count - left)
                  + " of "
                  + count
                  + " objects of "
                  + s.name());
        }
        if (cur == null) {
          cur = runs.first;
        }
        if (cur.where == Slab.Where.FREED || cur.inuse == 0) {
          cur = cur.next; // a discarded run keeps its successor
          continue;
        }
        int u = cur.inuse;
        long whole = Math.min(cur.n, left / u);
        int k = whole == 0 ? (int) left : u;
        Slab piece = runs.takeFront(cur, whole == 0 ? 1 : whole);
        Slab following = piece == cur ? cur.next : cur;
        left -= piece.n * k;
        allocated -= piece.n * k;
        freeFrom(piece, k, cpu);
        cur = following;
      }
    } finally {
      runs.endDeferring();
    }
  }

  /**
   * {@code k} frees on each slab of {@code r}, one slab after the other, as {@code k} calls of
   * {@code __slab_free} each would leave them (the first free of a full slab moves it; later ones
   * only count, until a node-partial slab becomes empty).
   */
  private void freeFrom(Slab r, int k, int cpu) {
    switch (r.where) {
      case CPU, CPU_PARTIAL -> {
        r.inuse -= k; // frozen: the frees go straight to the slab's freelist
        runs.coalesce(r);
      }
      case NODE_PARTIAL -> {
        r.inuse -= k;
        if (r.inuse == 0) {
          Slab.SlabList list = r.list;
          // each slab that becomes empty is discarded while n->nr_partial >= min_partial
          long discard =
              atLeast(list.slabs, s.minPartial())
                  ? Math.min(r.n, list.slabs - s.minPartial() + 1)
                  : 0;
          if (discard > 0) {
            Slab gone = runs.takeFront(r, discard);
            list.remove(gone);
            runs.discard(gone);
          }
        }
        if (r.where != Slab.Where.FREED) {
          runs.coalesce(r);
        }
      }
      case FULL -> {
        r.inuse -= k;
        if (s.hasCpuPartial()) {
          putCpuPartial(cpu, r);
        } else {
          unfreezeToNode(r, k);
        }
      }
      case FREED -> throw new IllegalStateException("free into a freed slab");
    }
  }

  /**
   * Full slabs without a CPU partial list (debug caches) after their frees: each goes to the tail
   * of its node's partial list, or, when the free leaves it empty and the list already holds {@code
   * min_partial} slabs, back to the page allocator.
   */
  private void unfreezeToNode(Slab r, int k) {
    Slab.SlabList list = nodePartial[r.node];
    long stay;
    if (r.inuse > 0) {
      stay = r.n;
    } else if (k == 1) {
      // the only free empties it: discarded at once if nr_partial >= min_partial
      stay = stayBelow(list.slabs, r.n, s.minPartial());
    } else {
      // the first free puts it on the list, the last one empties it there
      stay = stayBelow(list.slabs + 1, r.n, s.minPartial());
    }
    Slab kept = stay == r.n ? r : stay == 0 ? null : runs.takeFront(r, stay);
    if (kept != null) {
      kept.where = Slab.Where.NODE_PARTIAL;
      kept.cpu = -1;
      kept.rev = false;
      list.addLast(kept);
      runs.coalesce(kept);
    }
    if (kept != r) {
      runs.discard(r);
    }
  }

  /**
   * {@code put_cpu_partial()} for each slab of {@code r}, which just got its first free object: it
   * goes to the head of the freeing CPU's partial list, and a list that already holds {@code
   * cpu_partial_slabs} is first moved to the node lists.
   */
  private void putCpuPartial(int cpu, Slab r) {
    Slab.SlabList list = cpuPartial[cpu];
    long limit = s.cpuPartialSlabs();
    while (r != null) {
      if (list.slabs >= limit) {
        putPartials(list);
      }
      long room = Math.max(1, limit - list.slabs);
      Slab chunk = room >= r.n ? r : runs.takeFront(r, room);
      Slab rest = chunk == r ? null : r;
      chunk.where = Slab.Where.CPU_PARTIAL;
      chunk.cpu = cpu;
      chunk.rev = true; // pushed to the head one after the other
      list.addFirst(chunk);
      runs.coalesce(chunk);
      r = rest;
    }
  }

  /** {@code __put_partials()}: empties a CPU partial list onto the node lists. */
  private void putPartials(Slab.SlabList list) {
    while (!list.isEmpty()) {
      Slab p = list.head;
      list.remove(p);
      Slab.SlabList node = nodePartial[p.node];
      long stay = p.inuse == 0 ? stayBelow(node.slabs, p.n, s.minPartial()) : p.n;
      Slab kept = stay == p.n ? p : stay == 0 ? null : runs.takeListFront(p, stay);
      if (kept != null) {
        kept.where = Slab.Where.NODE_PARTIAL;
        kept.cpu = -1;
        node.addLast(kept);
        runs.coalesce(kept);
      }
      if (kept != p) {
        runs.discard(p);
      }
    }
  }

  /**
   * How many of {@code n} empty slabs, joining one by one a list that holds {@code p}, are kept
   * rather than discarded: each is kept while the list is below {@code min_partial} (compared as
   * the unsigned longs they are).
   */
  private static long stayBelow(long p, long n, long minPartial) {
    if (Long.compareUnsigned(p, minPartial) >= 0) {
      return 0;
    }
    long room = minPartial - p;
    return room < 0 || room > n ? n : room;
  }

  /** {@code n->nr_partial >= s->min_partial}, compared as the unsigned longs they are. */
  private static boolean atLeast(long nrPartial, long minPartial) {
    return Long.compareUnsigned(nrPartial, minPartial) >= 0;
  }

  // ---------------------------------------------------------------------- flush, shrink

  /**
   * {@code flush_cpu_slab()}: deactivates the CPU's slab and moves its partial list to the nodes.
   * Returns whether there was anything to flush ({@code has_cpu_slab()}).
   */
  synchronized boolean flushCpu(int cpu) {
    Slab c = cpuSlab[cpu];
    Slab.SlabList partial = cpuPartial[cpu];
    if (c == null && partial.isEmpty()) {
      return false;
    }
    if (c != null) {
      cpuSlab[cpu] = null;
      c.cpu = -1;
      if (c.inuse == 0 && atLeast(nodePartial[c.node].slabs, s.minPartial())) {
        runs.discard(c);
      } else if (c.inuse == c.objects) {
        c.where = Slab.Where.FULL;
        runs.coalesce(c);
      } else {
        c.where = Slab.Where.NODE_PARTIAL;
        nodePartial[c.node].addFirst(c);
        runs.coalesce(c);
      }
    }
    putPartials(partial);
    return true;
  }

  /** {@code has_cpu_slab()}. */
  synchronized boolean hasCpuSlab(int cpu) {
    return cpuSlab[cpu] != null || !cpuPartial[cpu].isEmpty();
  }

  /**
   * The node part of {@code __kmem_cache_shrink()} (after the flush): discard every empty slab on
   * the node partial lists, and put the fullest slabs first.
   */
  synchronized void shrinkNodes() {
    for (Slab.SlabList list : nodePartial) {
      List<Slab> keep = new ArrayList<>();
      while (!list.isEmpty()) {
        Slab r = list.head;
        list.remove(r);
        if (r.inuse == 0) {
          runs.discard(r);
        } else {
          keep.add(r);
        }
      }
      keep.sort(Comparator.comparingInt(Slab::free));
      for (Slab r : keep) {
        list.addLast(r);
      }
      for (Slab r : keep) {
        if (r.where != Slab.Where.FREED) {
          runs.coalesce(r);
        }
      }
    }
  }

  /**
   * {@code free_partial()} of {@code __kmem_cache_shutdown()} (after the flush): discard the empty
   * partial slabs; returns true when objects remain ({@code -EBUSY}).
   */
  synchronized boolean shutdownHasObjects() {
    for (Slab.SlabList list : nodePartial) {
      Slab r = list.head;
      while (r != null) {
        Slab next = r.lnext;
        if (r.inuse == 0) {
          list.remove(r);
          runs.discard(r);
        }
        r = next;
      }
    }
    return allocated > 0 || runs.liveSlabs > 0;
  }

  /** {@link KmemCache#partialSlabsInUse}: node-partial slabs with objects, in list order. */
  synchronized List<int[]> partialSlabsInUse(int limit) {
    List<int[]> out = new java.util.ArrayList<>();
    for (Slab.SlabList list : nodePartial) {
      for (Slab r = list.head; r != null; r = r.lnext) {
        for (long i = 0; i < r.n && r.inuse > 0; i++) {
          if (out.size() == limit) {
            return out;
          }
          out.add(new int[] {r.objects, r.inuse, System.identityHashCode(r) + (int) i});
        }
      }
    }
    return out;
  }

  synchronized long allocatedObjects() {
    return allocated;
  }

  /** Slabs of this cache, and the pages they hold. */
  synchronized long slabPages() {
    return runs.slabPages();
  }

  /** The number of runs the model keeps: its memory, in units of one small object. */
  synchronized int runs() {
    return runs.count();
  }

  /** The runs in creation order, for a failing test's message. */
  @Override
  public synchronized String toString() {
    return runs.toString();
  }

  synchronized List<String> validate() {
    return SlubCounters.validate(this);
  }

  synchronized String showSlabObjects(int so) {
    return SlubCounters.showSlabObjects(this, so);
  }

  /** {@code get_slabinfo()}: {@code {active_objs, num_objs, num_slabs}}. */
  synchronized long[] slabinfo(boolean approx) {
    return SlubCounters.slabinfo(this, approx);
  }

  synchronized String showSlabsCpuPartial() {
    return SlubCounters.showSlabsCpuPartial(this);
  }
}
