package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import java.util.BitSet;
import java.util.List;
import java.util.Random;

/**
 * A {@code struct kmem_cache} (include/linux/slub_def.h, mm/slab.h): its identity, layout and
 * tunables. Its allocation state ({@code s->cpu_slab}, {@code s->node}) is a {@link SlubAlloc}.
 *
 * <p>Concurrency. Layout fields are final. The tunables ({@code min_partial}, {@code cpu_partial},
 * {@code remote_node_defrag_ratio}) are volatile: stores write them without a lock, as the kernel
 * does. {@link #refcount} is guarded by {@code slab_mutex}. The allocation state has its own lock.
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

  private final SlubAlloc alloc;

  KmemCache(
      KmemCacheArgs args,
      Geometry geo,
      long flags,
      String ctorModule,
      int sheafCapacity,
      Cpus cpus,
      PageAlloc pages,
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
    this.alloc = new SlubAlloc(this, cpus, pages, pages.dmesg());
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
   * An access to the {@code struct kmem_cache} itself by {@code function}: checked by KASAN when
   * the struct lives in module memory that may have been freed.
   */
  void touch(String function, int offset) {
    StaticOwner o = staticOwner;
    if (o != null) {
      io.slabfs.kernel.locking.Task t = io.slabfs.kernel.locking.Task.current();
      o.memory()
          .touch(
              name,
              0x40,
              0x100,
              offset,
              8,
              false,
              t.isKthread(),
              function,
              t.comm(),
              t.pid(),
              t.frames());
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

  /**
   * Allocates {@code count} objects on {@code cpu} ({@code slab_alloc_node} fast/slow path). {@code
   * ENOMEM} when the machine's memory runs out, {@code EINTR} when the task is killed; either way
   * what was allocated before stays allocated.
   */
  public void alloc(int cpu, long count) throws ErrnoException {
    alloc.alloc(cpu, count);
  }

  /**
   * Frees {@code count} objects from {@code cpu}, from a slab chosen with {@code random} on ({@code
   * __slab_free}). {@code EINVAL} if fewer objects are allocated, changing nothing.
   */
  public void free(int cpu, long count, Random random) throws ErrnoException {
    alloc.free(cpu, count, random);
  }

  /**
   * {@code flush_cpu_slab()}: deactivates the CPU's slab and moves its partial list to the nodes.
   * Returns whether there was anything to flush ({@code has_cpu_slab()}).
   */
  public boolean flushCpu(int cpu) {
    return alloc.flushCpu(cpu);
  }

  /** {@code has_cpu_slab()}: whether {@code flush_all} would queue work for this CPU. */
  public boolean hasCpuSlab(int cpu) {
    return alloc.hasCpuSlab(cpu);
  }

  /**
   * The node part of {@code __kmem_cache_shrink()} (after the flush): discard every empty slab on
   * the node partial lists, and put the fullest slabs first.
   */
  public void shrinkNodes() {
    alloc.shrinkNodes();
  }

  /**
   * {@code free_partial()} of {@code __kmem_cache_shutdown()} (after the flush): discard the empty
   * partial slabs; returns true when objects remain ({@code -EBUSY}).
   */
  public boolean shutdownHasObjects() {
    return alloc.shutdownHasObjects();
  }

  /**
   * The slabs still on the node partial lists with objects in use, as {@code free_partial()} walks
   * them for its {@code Objects remaining} report: {@code {objects, inuse, id}} each, at most
   * {@code limit} of them (one entry per slab, so a run of many slabs gives many).
   */
  public List<int[]> partialSlabsInUse(int limit) {
    return alloc.partialSlabsInUse(limit);
  }

  /** Objects allocated and not freed. */
  public long allocatedObjects() {
    return alloc.allocatedObjects();
  }

  /** Pages held by this cache's slabs. */
  public long slabPages() {
    return alloc.slabPages();
  }

  /** How many distinct slab states the model keeps for this cache (its memory cost). */
  public int modelRuns() {
    return alloc.runs();
  }

  /** The model's slab runs, for test messages. */
  String dumpRuns() {
    return alloc.toString();
  }

  /**
   * {@code validate_slab_cache()} after the flush: checks every slab against SLUB's invariants.
   * Returns the problems found (a non-empty list is a bug report).
   */
  public List<String> validate() {
    return alloc.validate();
  }

  /**
   * Fills the cache the way a running system would have: bursts of allocations on the online CPUs,
   * then frees at random, all through the real allocation paths.
   */
  void populate(Random random, long objects) throws ErrnoException {
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
      free(cpu, 1, random);
    }
  }

  // ---------------------------------------------------------------- show helpers

  /** {@code show_slab_objects()}: the total, then {@code N%d=} for each node with a count. */
  public String showSlabObjects(int so) {
    return alloc.showSlabObjects(so);
  }

  /**
   * {@code get_slabinfo()}: {@code {active_objs, num_objs, num_slabs}} for {@code /proc/slabinfo};
   * {@code approx} for {@code count_partial_free_approx()} (6.10 on).
   */
  public long[] slabinfo(boolean approx) {
    return alloc.slabinfo(approx);
  }

  /** {@code slabs_cpu_partial_show()}: half-full slabs assumed, online CPUs only. */
  public String showSlabsCpuPartial() {
    return alloc.showSlabsCpuPartial();
  }

  @Override
  public String toString() {
    return "kmem_cache " + name;
  }
}
