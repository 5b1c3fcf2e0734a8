package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Task;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * SLUB's allocation state of one cache (mm/slub.c): per CPU the active slab ({@code c->slab})
 * and the partial list ({@code c->partial}), per node the partial list ({@code n->partial}) and
 * the slab and object counts ({@code nr_slabs}, {@code total_objects}); full slabs are on no
 * list, as in a kernel without debugging. Modelled: {@code ___slab_alloc} with {@code
 * get_partial_node} and {@code new_slab}/{@code allocate_slab} (default order, then the minimum
 * order, then {@code slab_out_of_memory}), {@code __slab_free} with {@code put_cpu_partial} and
 * {@code __put_partials}, {@code flush_cpu_slab}/{@code deactivate_slab}, the node part of
 * {@code __kmem_cache_shrink} and {@code free_partial}, and the counting of {@code
 * show_slab_objects} and {@code slabs_cpu_partial_show}.
 *
 * <p>Ours: slabs that nothing can tell apart are one {@link Slab} run, and an operation on N
 * objects moves whole runs, so time and memory go with the number of distinct slab states an
 * operation touches, not with objects. Counters are exactly those of doing the same operations
 * one object at a time. Which objects {@code free} takes is the simulator's choice: from a
 * random slab on, in the order slabs were created, each slab emptied before the next.
 *
 * <p>Concurrency: everything is guarded by this object's monitor, which stands for the
 * kernel's per-CPU {@code local_lock}s and per-node {@code list_lock}s together, so a {@code
 * show()} always sees counters that agree; under it only the page allocator's and dmesg's
 * leaf locks are taken.
 */
final class SlubAlloc {
  private final KmemCache s;
  private final Cpus cpus;
  private final PageAlloc pages;
  private final Dmesg dmesg;
  private final EraText text;
  private final Ratelimit oomRatelimit;
  private final int minOrder;
  private final int minObjects;
  private final int allocflags;

  private final Slab[] cpuSlab;
  private final Slab.SlabList[] cpuPartial;
  private final Slab.SlabList[] nodePartial;
  private final long[] nrSlabs;
  private final long[] totalObjects;
  private long allocated;
  private long liveSlabs;
  /** Creation order. */
  private Slab first;
  private Slab last;
  /** While a free sweep runs, runs to merge once it ends (merging would move its cursor). */
  private List<Slab> deferred;

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
    this.nrSlabs = new long[cpus.nrNodes()];
    this.totalObjects = new long[cpus.nrNodes()];
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
   * {@code count} allocations on {@code cpu}. Stops at a slab boundary with {@code ENOMEM}
   * when no slab can be had, or {@code EINTR} when the task has a fatal signal pending; what
   * was allocated until then stays allocated.
   */
  synchronized void alloc(int cpu, long count) throws ErrnoException {
    long left = count;
    while (left > 0) {
      if (Task.current().fatalSignalPending()) {
        throw Errno.EINTR.with("fatal signal pending: allocated " + (count - left) + " of "
            + count + " objects of " + s.name());
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
        coalesce(c);
      }
      Slab.SlabList partial = cpuPartial[cpu];
      if (!partial.isEmpty()) {
        Slab h = partial.head;
        int f = h.free();
        // slabs that fill up while more objects follow go straight to "full"
        long whole = f == 0 ? h.n : Math.min(h.n, left / f);
        long demote = f != 0 && whole * f == left ? whole - 1 : whole;
        if (demote > 0) {
          Slab d = takeListFront(h, demote);
          partial.remove(d);
          d.rev = false;
          allocated += demote * f;
          left -= demote * f;
          d.inuse = d.objects;
          d.where = Slab.Where.FULL;
          d.cpu = -1;
          coalesce(d);
          continue;
        }
        Slab one = takeListFront(h, 1);
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
          Slab full = newRun(node, per, order, got);
          full.inuse = per;
          full.where = Slab.Where.FULL;
          allocated += got * per;
          left -= got * per;
          coalesce(full);
          continue;
        }
      }
      Slab one = newSlab(cpu, node);
      if (one == null) {
        throw Errno.ENOMEM.with("out of memory: allocated " + (count - left) + " of " + count
            + " objects of " + s.name() + "; " + pages.freePages() + " pages free of "
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
      return newRun(node, geo.objects(), geo.order(), 1);
    }
    if (pages.allocOrWarn(minOrder, allocflags, false, cpu)) {
      return newRun(node, minObjects, minOrder, 1);
    }
    slabOutOfMemory(cpu);
    return null;
  }

  /** {@code slab_out_of_memory(s, gfpflags, NUMA_NO_NODE)}, rate limited as the kernel's. */
  private void slabOutOfMemory(int cpu) {
    String note = oomRatelimit.check();
    if (note == null) {
      return;
    }
    if (!note.isEmpty()) {
      dmesg.printk(note);
    }
    int gfp = PageAlloc.GFP_KERNEL;
    String gfpText = "gfp=0x" + Integer.toHexString(gfp) + "(" + PageAlloc.gfpNames(gfp) + ")";
    if (text.slubOomNamesCpu()) {
      dmesg.printk("SLUB: Unable to allocate memory on CPU " + cpu + " (of node "
          + cpus.cpuToNode(cpu) + ") on node -1, " + gfpText);
    } else {
      dmesg.printk("SLUB: Unable to allocate memory on node -1, " + gfpText);
    }
    dmesg.printk("  cache: " + s.name() + ", object size: " + s.objectSize() + ", buffer size: "
        + s.size() + ", default order: " + s.geometry().order() + ", min order: " + minOrder);
    if (minOrder > getOrder(s.objectSize())) {
      dmesg.printk("  " + s.name() + " debugging increased min order, use "
          + (text.slubOomNamesCpu() ? "slab_debug" : "slub_debug") + "=O to disable.");
    }
    for (int node = 0; node < nodePartial.length; node++) {
      dmesg.printk("  node " + node + ": slabs: " + nrSlabs[node] + ", objs: "
          + totalObjects[node] + ", free: " + countPartial(node, false));
    }
  }

  /**
   * {@code get_partial()}: the first node-partial slab becomes the CPU slab; more follow onto
   * the CPU's partial list until it holds more than half of {@code cpu_partial_slabs}. The
   * local node is tried first, then the others.
   */
  private Slab getPartial(int cpu) {
    int local = cpus.cpuToNode(cpu);
    for (int i = 0; i < nodePartial.length; i++) {
      Slab.SlabList list = nodePartial[(local + i) % nodePartial.length];
      if (list.isEmpty()) {
        continue;
      }
      Slab one = takeListFront(list.head, 1);
      list.remove(one);
      one.rev = false;
      if (s.hasCpuPartial()) {
        long more = s.cpuPartialSlabs() / 2 + 1;
        while (more > 0 && !list.isEmpty()) {
          Slab q = takeListFront(list.head, Math.min(more, list.head.n));
          list.remove(q);
          more -= q.n;
          q.where = Slab.Where.CPU_PARTIAL;
          q.cpu = cpu;
          cpuPartial[cpu].addLast(q);
          coalesce(q);
        }
      }
      return one;
    }
    return null;
  }

  // ------------------------------------------------------------------------------- free

  /**
   * Frees {@code count} objects from {@code cpu} ({@code __slab_free}): from the slab {@code
   * random} picks among all slabs (in creation order) on, emptying each slab before going to
   * the next. {@code EINVAL} if fewer objects are allocated, changing nothing; {@code EINTR}
   * at a slab boundary when the task has a fatal signal pending.
   */
  synchronized void free(int cpu, long count, Random random) throws ErrnoException {
    if (count > allocated) {
      throw Errno.EINVAL.with(
          "cache " + s.name() + " has only " + allocated + " objects allocated, cannot free "
              + count);
    }
    if (count <= 0) {
      return;
    }
    long index = random.nextInt((int) Math.min(liveSlabs, Integer.MAX_VALUE));
    Slab cur = first;
    while (index >= cur.n) {
      index -= cur.n;
      cur = cur.next;
    }
    if (index > 0) {
      takeFront(cur, index); // cur now starts at the chosen slab
    }
    deferred = new ArrayList<>();
    long left = count;
    try {
      while (left > 0) {
        if (Task.current().fatalSignalPending()) {
          throw Errno.EINTR.with("fatal signal pending: freed " + (count - left) + " of "
              + count + " objects of " + s.name());
        }
        if (cur == null) {
          cur = first;
        }
        if (cur.where == Slab.Where.FREED || cur.inuse == 0) {
          cur = cur.next; // a discarded run keeps its successor
          continue;
        }
        int u = cur.inuse;
        long whole = Math.min(cur.n, left / u);
        int k = whole == 0 ? (int) left : u;
        Slab piece = takeFront(cur, whole == 0 ? 1 : whole);
        Slab following = piece == cur ? cur.next : cur;
        left -= piece.n * k;
        allocated -= piece.n * k;
        freeFrom(piece, k, cpu);
        cur = following;
      }
    } finally {
      List<Slab> merge = deferred;
      deferred = null;
      for (Slab r : merge) {
        coalesce(r);
      }
    }
  }

  /**
   * {@code k} frees on each slab of {@code r}, one slab after the other, as {@code k} calls of
   * {@code __slab_free} each would leave them (the first free of a full slab moves it; later
   * ones only count, until a node-partial slab becomes empty).
   */
  private void freeFrom(Slab r, int k, int cpu) {
    switch (r.where) {
      case CPU, CPU_PARTIAL -> {
        r.inuse -= k; // frozen: the frees go straight to the slab's freelist
        coalesce(r);
      }
      case NODE_PARTIAL -> {
        r.inuse -= k;
        if (r.inuse == 0) {
          Slab.SlabList list = r.list;
          // each slab that becomes empty is discarded while n->nr_partial >= min_partial
          long discard = atLeast(list.slabs, s.minPartial())
              ? Math.min(r.n, list.slabs - s.minPartial() + 1) : 0;
          if (discard > 0) {
            Slab gone = takeFront(r, discard);
            list.remove(gone);
            discard(gone);
          }
        }
        if (r.where != Slab.Where.FREED) {
          coalesce(r);
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
   * Full slabs without a CPU partial list (debug caches) after their frees: each goes to the
   * tail of its node's partial list, or, when the free leaves it empty and the list already
   * holds {@code min_partial} slabs, back to the page allocator.
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
    Slab kept = stay == r.n ? r : stay == 0 ? null : takeFront(r, stay);
    if (kept != null) {
      kept.where = Slab.Where.NODE_PARTIAL;
      kept.cpu = -1;
      kept.rev = false;
      list.addLast(kept);
      coalesce(kept);
    }
    if (kept != r) {
      discard(r);
    }
  }

  /**
   * {@code put_cpu_partial()} for each slab of {@code r}, which just got its first free
   * object: it goes to the head of the freeing CPU's partial list, and a list that already
   * holds {@code cpu_partial_slabs} is first moved to the node lists.
   */
  private void putCpuPartial(int cpu, Slab r) {
    Slab.SlabList list = cpuPartial[cpu];
    long limit = s.cpuPartialSlabs();
    while (r != null) {
      if (list.slabs >= limit) {
        putPartials(list);
      }
      long room = Math.max(1, limit - list.slabs);
      Slab chunk = room >= r.n ? r : takeFront(r, room);
      Slab rest = chunk == r ? null : r;
      chunk.where = Slab.Where.CPU_PARTIAL;
      chunk.cpu = cpu;
      chunk.rev = true; // pushed to the head one after the other
      list.addFirst(chunk);
      coalesce(chunk);
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
      Slab kept = stay == p.n ? p : stay == 0 ? null : takeListFront(p, stay);
      if (kept != null) {
        kept.where = Slab.Where.NODE_PARTIAL;
        kept.cpu = -1;
        node.addLast(kept);
        coalesce(kept);
      }
      if (kept != p) {
        discard(p);
      }
    }
  }

  /**
   * How many of {@code n} empty slabs, joining one by one a list that holds {@code p}, are
   * kept rather than discarded: each is kept while the list is below {@code min_partial}
   * (compared as the unsigned longs they are).
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
   * {@code flush_cpu_slab()}: deactivates the CPU's slab and moves its partial list to the
   * nodes. Returns whether there was anything to flush ({@code has_cpu_slab()}).
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
        discard(c);
      } else if (c.inuse == c.objects) {
        c.where = Slab.Where.FULL;
        coalesce(c);
      } else {
        c.where = Slab.Where.NODE_PARTIAL;
        nodePartial[c.node].addFirst(c);
        coalesce(c);
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
   * The node part of {@code __kmem_cache_shrink()} (after the flush): discard every empty slab
   * on the node partial lists, and put the fullest slabs first.
   */
  synchronized void shrinkNodes() {
    for (Slab.SlabList list : nodePartial) {
      List<Slab> keep = new ArrayList<>();
      while (!list.isEmpty()) {
        Slab r = list.head;
        list.remove(r);
        if (r.inuse == 0) {
          discard(r);
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
          coalesce(r);
        }
      }
    }
  }

  /**
   * {@code free_partial()} of {@code __kmem_cache_shutdown()} (after the flush): discard the
   * empty partial slabs; returns true when objects remain ({@code -EBUSY}).
   */
  synchronized boolean shutdownHasObjects() {
    for (Slab.SlabList list : nodePartial) {
      Slab r = list.head;
      while (r != null) {
        Slab next = r.lnext;
        if (r.inuse == 0) {
          list.remove(r);
          discard(r);
        }
        r = next;
      }
    }
    return allocated > 0 || liveSlabs > 0;
  }

  synchronized long allocatedObjects() {
    return allocated;
  }

  /** Slabs of this cache, and the pages they hold. */
  synchronized long slabPages() {
    long p = 0;
    for (Slab r = first; r != null; r = r.next) {
      p += r.n << r.order;
    }
    return p;
  }

  /** The number of runs the model keeps: its memory, in units of one small object. */
  synchronized int runs() {
    int n = 0;
    for (Slab r = first; r != null; r = r.next) {
      n++;
    }
    return n;
  }

  // ------------------------------------------------------------------------------- runs

  private Slab newRun(int node, int objects, int order, long n) {
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
  private void discard(Slab r) {
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
   * The first {@code k} slabs of {@code r} in creation order as a run of their own, just
   * before what is left of {@code r} (and next to it on its list); {@code r} itself when
   * {@code k} is all of it.
   */
  private Slab takeFront(Slab r, long k) {
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
  private Slab takeBack(Slab r, long k) {
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
  private Slab takeListFront(Slab r, long k) {
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
  private void coalesce(Slab r) {
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
   * Whether {@code a} and its successor {@code b} (creation order) are neighbours on their
   * list in an order one run can stand for; sets the merged orientation into {@code a}.
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

  /** The runs in creation order, for a failing test's message. */
  @Override
  public synchronized String toString() {
    StringBuilder sb = new StringBuilder();
    for (Slab r = first; r != null; r = r.next) {
      sb.append(r.n).append('x').append(r.where).append(r.where == Slab.Where.CPU
          || r.where == Slab.Where.CPU_PARTIAL ? "@" + r.cpu : "").append("/n").append(r.node)
          .append(':').append(r.inuse).append('/').append(r.objects).append(' ');
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------ check

  /**
   * {@code validate_slab_cache()} after the flush: walks every slab and checks it against
   * SLUB's invariants and the counters. Returns the problems found (a non-empty list is a bug
   * report).
   */
  synchronized List<String> validate() {
    List<String> problems = new ArrayList<>();
    long slabs = 0;
    long objects = 0;
    long inuse = 0;
    for (Slab r = first; r != null; r = r.next) {
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
          if (r.list != nodePartial[r.node]) {
            problems.add("partial slab missing from node " + r.node + " list");
          }
        }
        case CPU_PARTIAL -> {
          if (r.cpu < 0 || r.list != cpuPartial[r.cpu]) {
            problems.add("cpu partial slab missing from cpu " + r.cpu + " list");
          }
        }
        case CPU -> {
          if (r.cpu < 0 || cpuSlab[r.cpu] != r || r.n != 1) {
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
    for (Slab.SlabList list : allLists()) {
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
    for (int n = 0; n < nrSlabs.length; n++) {
      counted += nrSlabs[n];
      total += totalObjects[n];
    }
    if (counted != slabs || liveSlabs != slabs) {
      problems.add("nr_slabs " + counted + " but " + slabs + " slabs found");
    }
    if (total != objects) {
      problems.add("total_objects " + total + " but " + objects + " found");
    }
    if (inuse != allocated) {
      problems.add("inuse " + inuse + " but " + allocated + " allocated");
    }
    return problems;
  }

  private List<Slab.SlabList> allLists() {
    List<Slab.SlabList> l = new ArrayList<>(List.of(cpuPartial));
    l.addAll(List.of(nodePartial));
    return l;
  }

  // ------------------------------------------------------------------------------- show

  /** {@code show_slab_objects()}: the total, then {@code N%d=} for each node with a count. */
  synchronized String showSlabObjects(int so) {
    long[] nodes = new long[nrSlabs.length];
    long total = 0;
    if ((so & KmemCache.SO_CPU) != 0) {
      for (int cpu = 0; cpu < cpuSlab.length; cpu++) {
        Slab c = cpuSlab[cpu];
        if (c == null) {
          continue; // show_slab_objects: a CPU without an active slab counts nothing
        }
        long x = (so & KmemCache.SO_TOTAL) != 0 ? c.objects
            : (so & KmemCache.SO_OBJECTS) != 0 ? c.inuse : 1;
        total += x;
        nodes[c.node] += x;
        Slab head = cpuPartial[cpu].head;
        if (head != null && (so & (KmemCache.SO_TOTAL | KmemCache.SO_OBJECTS)) == 0) {
          long slabs = cpuPartial[cpu].slabs;
          total += slabs;
          nodes[head.node] += slabs;
        }
      }
    }
    if ((so & KmemCache.SO_ALL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x;
        if ((so & KmemCache.SO_TOTAL) != 0) {
          x = totalObjects[n];
        } else if ((so & KmemCache.SO_OBJECTS) != 0) {
          x = totalObjects[n] - countPartial(n, false);
        } else {
          x = nrSlabs[n];
        }
        total += x;
        nodes[n] += x;
      }
    } else if ((so & KmemCache.SO_PARTIAL) != 0) {
      for (int n = 0; n < nodes.length; n++) {
        long x;
        if ((so & KmemCache.SO_TOTAL) != 0) {
          x = countPartialTotal(n);
        } else if ((so & KmemCache.SO_OBJECTS) != 0) {
          x = countPartial(n, true);
        } else {
          x = nodePartial[n].slabs;
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

  /** {@code count_partial(n, count_inuse or count_free)}. */
  private long countPartial(int node, boolean inuse) {
    long x = 0;
    for (Slab r = nodePartial[node].head; r != null; r = r.lnext) {
      x += r.n * (inuse ? r.inuse : r.free());
    }
    return x;
  }

  private long countPartialTotal(int node) {
    long x = 0;
    for (Slab r = nodePartial[node].head; r != null; r = r.lnext) {
      x += r.n * r.objects;
    }
    return x;
  }

  /** {@code slabs_cpu_partial_show()}: half-full slabs assumed, online CPUs only. */
  synchronized String showSlabsCpuPartial() {
    BitSet online = cpus.onlineMask();
    int perSlab = s.geometry().objects();
    long[] perCpu = new long[cpuSlab.length];
    long slabs = 0;
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      perCpu[cpu] = cpuPartial[cpu].slabs;
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
}
