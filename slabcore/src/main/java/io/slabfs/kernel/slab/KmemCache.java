package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * A {@code struct kmem_cache} (mm/slub.c) with SLUB's allocation state: per CPU an active slab
 * and a partial list, per node a partial list and slab/object counts. Full slabs are on no list,
 * as in a kernel without debugging.
 *
 * <p>Concurrency. Layout fields are final. The tunables ({@code min_partial}, {@code
 * cpu_partial}, {@code remote_node_defrag_ratio}) are volatile: stores write them without a
 * lock, as the kernel does. {@link #refcount} is guarded by {@code slab_mutex}. All allocation
 * state is guarded by {@link #lock}, which stands for the kernel's per-CPU {@code local_lock}s
 * and per-node {@code list_lock}s together (a leaf lock: nothing is taken under it), so a
 * {@code show()} always sees counters that agree with each other.
 */
public final class KmemCache {
  /** {@code show_slab_objects()} selectors. */
  public static final int SO_ALL = 1;
  public static final int SO_PARTIAL = 1 << 1;
  public static final int SO_CPU = 1 << 2;
  public static final int SO_OBJECTS = 1 << 3;
  public static final int SO_TOTAL = 1 << 4;

  private final String name;
  private final Geometry geo;
  private final long flags;
  private final String ctor;
  private final String ctorModule;
  private final int useroffset;
  private final int usersize;
  private final int sheafCapacity;
  private final Cpus cpus;
  private final KObject<KmemCache> kobj;

  private volatile int objectSize;
  private volatile long minPartial;
  private volatile int cpuPartial;
  private volatile long cpuPartialSlabs;
  private volatile int remoteNodeDefragRatio = 1000;

  /** Guarded by slab_mutex. -1 for the boot caches that may never be merged or destroyed. */
  int refcount;

  /** Seed 000: the module this static cache lives in, or {@code null}. */
  private StaticOwner staticOwner;

  private final Object lock = new Object();
  private final Slab[] cpuSlab;
  private final List<ArrayDeque<Slab>> cpuPartialList;
  private final List<ArrayDeque<Slab>> nodePartial;
  private final long[] nrSlabs;
  private final long[] totalObjects;
  private final ArrayList<Slab> liveSlabs = new ArrayList<>();
  private long allocated;

  KmemCache(
      KmemCacheArgs args,
      Geometry geo,
      long flags,
      String ctorModule,
      int sheafCapacity,
      Cpus cpus,
      KObjectFactory kobjects) {
    this.name = args.name();
    this.geo = geo;
    this.flags = flags;
    this.ctor = args.ctor();
    this.ctorModule = ctorModule;
    this.useroffset = args.useroffset();
    this.usersize = args.usersize();
    this.sheafCapacity = sheafCapacity;
    this.cpus = cpus;
    this.objectSize = geo.objectSize();
    this.minPartial = geo.minPartial();
    setCpuPartial(geo.defaultCpuPartial(flags));
    this.cpuSlab = new Slab[cpus.nrPossible()];
    this.cpuPartialList = new ArrayList<>();
    for (int i = 0; i < cpus.nrPossible(); i++) {
      cpuPartialList.add(new ArrayDeque<>());
    }
    this.nodePartial = new ArrayList<>();
    for (int i = 0; i < cpus.nrNodes(); i++) {
      nodePartial.add(new ArrayDeque<>());
    }
    this.nrSlabs = new long[cpus.nrNodes()];
    this.totalObjects = new long[cpus.nrNodes()];
    this.kobj = kobjects.create(this);
  }

  /** How a cache gets its kobject (the slab ktype lives with the slab subsystem). */
  interface KObjectFactory {
    KObject<KmemCache> create(KmemCache s);
  }

  // ---------------------------------------------------------------- identity and layout

  /** The name the cache was created with ({@code s->name}). */
  public String name() {
    return name;
  }

  public KObject<KmemCache> kobj() {
    return kobj;
  }

  public Geometry geometry() {
    return geo;
  }

  public long flags() {
    return flags;
  }

  public boolean hasFlag(long flag) {
    return (flags & flag) != 0;
  }

  /** {@code s->object_size}: grows when a larger cache merges in. */
  public int objectSize() {
    return objectSize;
  }

  void growObjectSize(int size) {
    if (size > objectSize) {
      objectSize = size;
    }
  }

  /** {@code s->size}. */
  public int size() {
    return geo.size();
  }

  public int align() {
    return geo.align();
  }

  public int order() {
    return geo.order();
  }

  public int objsPerSlab() {
    return geo.objects();
  }

  public String ctor() {
    return ctor;
  }

  /** The module that owns the ctor symbol, or {@code null} when built in. */
  public String ctorModule() {
    return ctorModule;
  }

  public int useroffset() {
    return useroffset;
  }

  public int usersize() {
    return usersize;
  }

  public int sheafCapacity() {
    return sheafCapacity;
  }

  /** The module whose data holds this (static, preallocated) cache, or {@code null}. */
  public StaticOwner staticOwner() {
    return staticOwner;
  }

  void setStaticOwner(StaticOwner owner) {
    this.staticOwner = owner;
  }

  /**
   * An access to the {@code struct kmem_cache} itself by {@code function}: checked by KASAN
   * when the struct lives in module memory that may have been freed.
   */
  void touch(String function, int offset) {
    StaticOwner o = staticOwner;
    if (o != null) {
      io.slabfs.kernel.locking.Task t = io.slabfs.kernel.locking.Task.current();
      o.memory().touch(name, 0x40, 0x100, offset, 8, false, t.isKthread(), function, t.comm(),
          t.pid(), t.frames());
    }
  }

  /** {@code s->refcount}, read without slab_mutex (as the aliases show() does). */
  public int refcount() {
    return refcount;
  }

  /** {@code kmem_cache_debug(s)}. */
  public boolean isDebug() {
    return (flags & SlabFlags.SLAB_DEBUG_FLAGS) != 0;
  }

  /** {@code kmem_cache_has_cpu_partial(s)}. */
  public boolean hasCpuPartial() {
    return !isDebug();
  }

  // ---------------------------------------------------------------- tunables

  public long minPartial() {
    return minPartial;
  }

  public void setMinPartial(long v) {
    minPartial = v;
  }

  public int cpuPartial() {
    return cpuPartial;
  }

  /** Not visible in sysfs: {@code DIV_ROUND_UP(cpu_partial * 2, objs_per_slab)}. */
  public long cpuPartialSlabs() {
    return cpuPartialSlabs;
  }

  /**
   * {@code slub_set_cpu_partial()}: u32 arithmetic, so {@code objects * 2} wraps as in C.
   *
   * @param objects an unsigned 32-bit value
   */
  public void setCpuPartial(long objects) {
    int nrObjects = (int) objects;
    cpuPartial = nrObjects;
    long perSlab = geo.objects();
    // DIV_ROUND_UP(nr_objects * 2, oo_objects(s->oo)) in unsigned int: both steps wrap
    cpuPartialSlabs = (((objects * 2) + perSlab - 1) & 0xFFFF_FFFFL) / perSlab;
  }

  /** The internal value (shown divided by 10). */
  public int remoteNodeDefragRatio() {
    return remoteNodeDefragRatio;
  }

  public void setRemoteNodeDefragRatio(int internal) {
    remoteNodeDefragRatio = internal;
  }

  // ---------------------------------------------------------------- allocation model

  /** Allocates {@code count} objects on {@code cpu} ({@code slab_alloc_node} fast/slow path). */
  public void alloc(int cpu, long count) {
    synchronized (lock) {
      for (long i = 0; i < count; i++) {
        allocOne(cpu);
      }
    }
  }

  private void allocOne(int cpu) {
    Slab s = cpuSlab[cpu];
    if (s != null && s.inuse < s.objects) {
      s.inuse++;
      allocated++;
      return;
    }
    if (s != null) {
      s.where = Slab.Where.FULL;
      s.cpu = -1;
      cpuSlab[cpu] = null;
    }
    Slab next = cpuPartialList.get(cpu).pollFirst();
    if (next == null) {
      next = getPartial(cpu);
    }
    if (next == null) {
      next = newSlab(cpus.cpuToNode(cpu));
    }
    next.where = Slab.Where.CPU;
    next.cpu = cpu;
    cpuSlab[cpu] = next;
    next.inuse++;
    allocated++;
  }

  /**
   * {@code get_partial()}: the first node-partial slab becomes the CPU slab; more follow onto the
   * CPU's partial list until it holds more than half of {@code cpu_partial_slabs}. The local
   * node is tried first, then the others.
   */
  private Slab getPartial(int cpu) {
    int local = cpus.cpuToNode(cpu);
    for (int i = 0; i < nodePartial.size(); i++) {
      int node = (local + i) % nodePartial.size();
      ArrayDeque<Slab> list = nodePartial.get(node);
      if (list.isEmpty()) {
        continue;
      }
      Slab first = list.pollFirst();
      int moved = 0;
      while (hasCpuPartial() && moved <= cpuPartialSlabs / 2 && !list.isEmpty()) {
        Slab extra = list.pollFirst();
        extra.where = Slab.Where.CPU_PARTIAL;
        extra.cpu = cpu;
        cpuPartialList.get(cpu).addLast(extra);
        moved++;
      }
      return first;
    }
    return null;
  }

  private Slab newSlab(int node) {
    Slab s = new Slab(node, geo.objects());
    nrSlabs[node]++;
    totalObjects[node] += s.objects;
    s.index = liveSlabs.size();
    liveSlabs.add(s);
    return s;
  }

  private void discard(Slab s) {
    nrSlabs[s.node]--;
    totalObjects[s.node] -= s.objects;
    s.where = Slab.Where.FREED;
    s.cpu = -1;
    Slab last = liveSlabs.remove(liveSlabs.size() - 1);
    if (last != s) {
      liveSlabs.set(s.index, last);
      last.index = s.index;
    }
    s.index = -1;
  }

  /**
   * Frees {@code count} objects from {@code cpu}, taken from slabs chosen with {@code random}
   * ({@code __slab_free}). {@code EINVAL} if fewer objects are allocated, changing nothing.
   */
  public void free(int cpu, long count, Random random) throws ErrnoException {
    synchronized (lock) {
      if (count > allocated) {
        throw Errno.EINVAL.with(
            "cache " + name + " has only " + allocated + " objects allocated, cannot free " + count);
      }
      for (long i = 0; i < count; i++) {
        freeOne(pickAllocated(random), cpu);
      }
    }
  }

  private Slab pickAllocated(Random random) {
    for (int tries = 0; tries < 8; tries++) {
      Slab s = liveSlabs.get(random.nextInt(liveSlabs.size()));
      if (s.inuse > 0) {
        return s;
      }
    }
    int start = random.nextInt(liveSlabs.size());
    for (int i = 0; i < liveSlabs.size(); i++) {
      Slab s = liveSlabs.get((start + i) % liveSlabs.size());
      if (s.inuse > 0) {
        return s;
      }
    }
    throw new IllegalStateException("allocated=" + allocated + " but no slab has objects");
  }

  private void freeOne(Slab s, int cpu) {
    s.inuse--;
    allocated--;
    switch (s.where) {
      case CPU, CPU_PARTIAL -> {
        // frozen: the free goes straight to the slab's freelist
      }
      case FULL -> {
        if (hasCpuPartial()) {
          putCpuPartial(cpu, s);
        } else if (s.inuse == 0 && atLeastMinPartial(s.node)) {
          discard(s);
        } else {
          addPartial(s, true);
        }
      }
      case NODE_PARTIAL -> {
        ArrayDeque<Slab> list = nodePartial.get(s.node);
        if (s.inuse == 0 && atLeastMinPartial(s.node)) {
          list.remove(s);
          discard(s);
        }
      }
      case FREED -> throw new IllegalStateException("free into a freed slab");
    }
  }

  /**
   * {@code put_cpu_partial()}: a slab that just got its first free object goes on the freeing
   * CPU's partial list; a list that already holds {@code cpu_partial_slabs} is moved to the
   * node lists first.
   */
  private void putCpuPartial(int cpu, Slab s) {
    ArrayDeque<Slab> list = cpuPartialList.get(cpu);
    if (list.size() >= cpuPartialSlabs) {
      putPartials(list);
    }
    s.where = Slab.Where.CPU_PARTIAL;
    s.cpu = cpu;
    list.addFirst(s);
  }

  /** {@code __put_partials()}: empties a CPU partial list onto the node lists. */
  private void putPartials(ArrayDeque<Slab> list) {
    for (Slab p : list) {
      if (p.inuse == 0 && atLeastMinPartial(p.node)) {
        discard(p);
      } else {
        addPartial(p, true);
      }
    }
    list.clear();
  }

  /** {@code n->nr_partial >= s->min_partial}, compared as the unsigned longs they are. */
  private boolean atLeastMinPartial(int node) {
    return Long.compareUnsigned(nodePartial.get(node).size(), minPartial) >= 0;
  }

  private void addPartial(Slab s, boolean tail) {
    s.where = Slab.Where.NODE_PARTIAL;
    s.cpu = -1;
    if (tail) {
      nodePartial.get(s.node).addLast(s);
    } else {
      nodePartial.get(s.node).addFirst(s);
    }
  }

  /**
   * {@code flush_cpu_slab()}: deactivates the CPU's slab and moves its partial list to the
   * nodes. Returns whether there was anything to flush ({@code has_cpu_slab()}).
   */
  public boolean flushCpu(int cpu) {
    synchronized (lock) {
      Slab s = cpuSlab[cpu];
      ArrayDeque<Slab> partial = cpuPartialList.get(cpu);
      if (s == null && partial.isEmpty()) {
        return false;
      }
      if (s != null) {
        cpuSlab[cpu] = null;
        if (s.inuse == 0 && atLeastMinPartial(s.node)) {
          discard(s);
        } else if (s.inuse == s.objects) {
          s.where = Slab.Where.FULL;
          s.cpu = -1;
        } else {
          addPartial(s, false);
        }
      }
      putPartials(partial);
      return true;
    }
  }

  /** {@code has_cpu_slab()}: whether {@code flush_all} would queue work for this CPU. */
  public boolean hasCpuSlab(int cpu) {
    synchronized (lock) {
      return cpuSlab[cpu] != null || !cpuPartialList.get(cpu).isEmpty();
    }
  }

  /**
   * The node part of {@code __kmem_cache_shrink()} (after the flush): discard every empty slab
   * on the node partial lists, and put the fullest slabs first.
   */
  public void shrinkNodes() {
    synchronized (lock) {
      for (ArrayDeque<Slab> list : nodePartial) {
        List<Slab> keep = new ArrayList<>();
        for (Slab s : list) {
          if (s.inuse == 0) {
            discard(s);
          } else {
            keep.add(s);
          }
        }
        keep.sort(Comparator.comparingInt(Slab::free));
        list.clear();
        list.addAll(keep);
      }
    }
  }

  /**
   * {@code free_partial()} of {@code __kmem_cache_shutdown()} (after the flush): discard the
   * empty partial slabs; returns true when objects remain ({@code -EBUSY}).
   */
  public boolean shutdownHasObjects() {
    synchronized (lock) {
      for (ArrayDeque<Slab> list : nodePartial) {
        list.removeIf(
            s -> {
              if (s.inuse == 0) {
                discard(s);
                return true;
              }
              return false;
            });
      }
      return allocated > 0 || !liveSlabs.isEmpty();
    }
  }

  /**
   * The slabs still on the node partial lists with objects in use, as {@code free_partial()}
   * walks them for its {@code Objects remaining} report: {@code {objects, inuse, id}} each.
   */
  public List<int[]> partialSlabsInUse() {
    synchronized (lock) {
      List<int[]> out = new java.util.ArrayList<>();
      for (ArrayDeque<Slab> list : nodePartial) {
        for (Slab s : list) {
          if (s.inuse > 0) {
            out.add(new int[] {s.objects, s.inuse, System.identityHashCode(s)});
          }
        }
      }
      return out;
    }
  }

  /** Objects allocated and not freed. */
  public long allocatedObjects() {
    synchronized (lock) {
      return allocated;
    }
  }

  /**
   * {@code validate_slab_cache()} after the flush: walks the node partial lists and the full
   * slabs and checks each against SLUB's invariants. Returns the problems found (none expected
   * from this model; a non-empty list is a bug report).
   */
  public List<String> validate() {
    List<String> problems = new ArrayList<>();
    synchronized (lock) {
      long slabsCounted = 0;
      long objectsCounted = 0;
      long inuseCounted = 0;
      for (Slab s : liveSlabs) {
        slabsCounted++;
        objectsCounted += s.objects;
        inuseCounted += s.inuse;
        if (s.inuse < 0 || s.inuse > s.objects) {
          problems.add("slab on node " + s.node + " has inuse " + s.inuse + " of " + s.objects);
        }
        if (s.where == Slab.Where.NODE_PARTIAL && !nodePartial.get(s.node).contains(s)) {
          problems.add("partial slab missing from node " + s.node + " list");
        }
        if (s.where == Slab.Where.FULL && s.inuse != s.objects) {
          problems.add("slab marked full has " + s.free() + " free objects");
        }
      }
      long slabs = 0;
      long total = 0;
      for (int n = 0; n < nrSlabs.length; n++) {
        slabs += nrSlabs[n];
        total += totalObjects[n];
      }
      if (slabs != slabsCounted) {
        problems.add("nr_slabs " + slabs + " but " + slabsCounted + " slabs found");
      }
      if (total != objectsCounted) {
        problems.add("total_objects " + total + " but " + objectsCounted + " found");
      }
      if (inuseCounted != allocated) {
        problems.add("inuse " + inuseCounted + " but " + allocated + " allocated");
      }
    }
    return problems;
  }

  /**
   * Fills the cache the way a running system would have: bursts of allocations on the online
   * CPUs, then frees at random, all through the real allocation paths.
   */
  void populate(Random random, long objects) {
    BitSet online = cpus.onlineMask();
    int[] cpuIds = online.stream().toArray();
    long left = objects;
    while (left > 0) {
      int cpu = cpuIds[random.nextInt(cpuIds.length)];
      long burst = Math.min(left, 1 + random.nextInt(Math.max(1, geo.objects() * 2)));
      alloc(cpu, burst);
      left -= burst;
    }
    long toFree = objects * (10 + random.nextInt(35)) / 100;
    for (long i = 0; i < toFree; i++) {
      int cpu = cpuIds[random.nextInt(cpuIds.length)];
      try {
        free(cpu, 1, random);
      } catch (ErrnoException e) {
        throw new IllegalStateException(e);
      }
    }
  }

  // ---------------------------------------------------------------- show helpers

  /** {@code show_slab_objects()}: the total, then {@code N%d=} for each node with a count. */
  public String showSlabObjects(int so) {
    long[] nodes = new long[nrSlabs.length];
    long total = 0;
    synchronized (lock) {
      if ((so & SO_CPU) != 0) {
        for (int cpu = 0; cpu < cpuSlab.length; cpu++) {
          Slab s = cpuSlab[cpu];
          if (s == null) {
            continue; // show_slab_objects: a CPU without an active slab counts nothing
          }
          long x = (so & SO_TOTAL) != 0 ? s.objects : (so & SO_OBJECTS) != 0 ? s.inuse : 1;
          total += x;
          nodes[s.node] += x;
          Slab head = cpuPartialList.get(cpu).peekFirst();
          if (head != null && (so & (SO_TOTAL | SO_OBJECTS)) == 0) {
            long slabs = cpuPartialList.get(cpu).size();
            total += slabs;
            nodes[head.node] += slabs;
          }
        }
      }
      if ((so & SO_ALL) != 0) {
        for (int n = 0; n < nodes.length; n++) {
          long x;
          if ((so & SO_TOTAL) != 0) {
            x = totalObjects[n];
          } else if ((so & SO_OBJECTS) != 0) {
            x = totalObjects[n] - countPartial(n, false);
          } else {
            x = nrSlabs[n];
          }
          total += x;
          nodes[n] += x;
        }
      } else if ((so & SO_PARTIAL) != 0) {
        for (int n = 0; n < nodes.length; n++) {
          long x;
          if ((so & SO_TOTAL) != 0) {
            x = countPartialTotal(n);
          } else if ((so & SO_OBJECTS) != 0) {
            x = countPartial(n, true);
          } else {
            x = nodePartial.get(n).size();
          }
          total += x;
          nodes[n] += x;
        }
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

  /** {@code count_partial(n, count_inuse or count_free)}. Caller holds the lock. */
  private long countPartial(int node, boolean inuse) {
    long x = 0;
    for (Slab s : nodePartial.get(node)) {
      x += inuse ? s.inuse : s.free();
    }
    return x;
  }

  private long countPartialTotal(int node) {
    long x = 0;
    for (Slab s : nodePartial.get(node)) {
      x += s.objects;
    }
    return x;
  }

  /** {@code slabs_cpu_partial_show()}: half-full slabs assumed, online CPUs only. */
  public String showSlabsCpuPartial() {
    BitSet online = cpus.onlineMask();
    int[] perCpu = new int[cpuSlab.length];
    synchronized (lock) {
      for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
        perCpu[cpu] = cpuPartialList.get(cpu).size();
      }
    }
    int slabs = 0;
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      slabs += perCpu[cpu];
    }
    StringBuilder sb = new StringBuilder();
    sb.append(slabs * geo.objects() / 2).append('(').append(slabs).append(')');
    for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
      if (perCpu[cpu] > 0) {
        sb.append(" C").append(cpu).append('=').append(perCpu[cpu] * geo.objects() / 2);
        sb.append('(').append(perCpu[cpu]).append(')');
      }
    }
    return sb.append('\n').toString();
  }

  @Override
  public String toString() {
    return "kmem_cache " + name;
  }
}
