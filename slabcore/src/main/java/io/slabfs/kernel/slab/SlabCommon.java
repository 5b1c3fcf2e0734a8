package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.CpuHotplug;
import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Kallsyms;
import io.slabfs.kernel.debug.KernelVersion;
import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitPoints;
import io.slabfs.kernel.locking.Workqueue;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Models: mm/slab_common.c. SLUB's parts of the same paths are beside it: its sysfs section in
 * {@link SlubSysfs}, {@code flush_all()} and {@code slub_cpu_dead()} in {@link SlubFlush}, and
 * {@code slab_err()}/{@code list_slab_objects()} and the WARNs in {@link SlubReport}.
 *
 * <p>The list of caches under {@code slab_mutex}, {@code kmem_cache_create()} with merging, {@code
 * kmem_cache_destroy()} in the three historical shapes, and the boot caches.
 *
 * <p>Why one class of about 750 lines: what is left is mm/slab_common.c's create and destroy paths
 * and its {@code /proc/slabinfo} walk (the kernel's file is itself one), which share {@code
 * slab_mutex}, the cache list, the boot caches' {@code kmem_cache} accounting and the era's choices
 * of where sysfs is drained; split apart, each half would reach into the other's fields under the
 * same lock.
 *
 * <p>Concurrency. {@link #slabMutex} guards {@link #slabCaches} and every cache's refcount. Lock
 * order, as in the kernel: {@code cpu_hotplug_lock} → {@code slab_mutex} → {@code flush_lock} → the
 * kernfs rwsem (directories and links are created under {@code slab_mutex}). Where the sysfs
 * directory is drained (inside or outside the locks) is the era's choice.
 */
public final class SlabCommon {
  /** {@code sizeof(struct kmem_cache_node)}. */
  static final int KMEM_CACHE_NODE_SIZE = 72;

  /** {@code offsetof(struct kmem_cache, node)}: the object grows by a pointer per node. */
  static final int KMEM_CACHE_BASE_SIZE = 224;

  /** kmalloc sizes of a 4 KiB-page x86_64 kernel, with their name suffixes. */
  static final int[] KMALLOC_SIZES = {
    8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192
  };

  private final Dmesg dmesg;
  private final CpuHotplug hotplug;
  private final Cpus cpus;
  private final KernelEra era;
  private final Random random;
  private final PageAlloc pages;
  private final WaitPoints waitPoints;
  private final Mutex slabMutex;
  private final Mutex flushLock;
  private final List<KmemCache> slabCaches = new ArrayList<>();
  private final SlubSysfs slubSysfs;
  private final Workqueue eventsWq;

  /** The RCU kthread, for {@link #rcuBarrier}. */
  private final Workqueue rcuWq;

  /** A grace period of the model: a few tens of milliseconds, as on an idle machine. */
  private static final long RCU_GRACE_MILLIS = 20;

  private final SlubFlush flush;
  private final SlubReport report;
  private KmemCache kmemCache;
  private KmemCache kmemCacheNode;
  private final java.util.concurrent.atomic.AtomicInteger released =
      new java.util.concurrent.atomic.AtomicInteger();

  public SlabCommon(
      Sysfs sysfs,
      KObject<?> kernelKobj,
      CpuHotplug hotplug,
      KernelEra era,
      Random random,
      WaitPoints waitPoints,
      PageAlloc pages)
      throws ErrnoException {
    this.pages = pages;
    Lockdep lockdep = sysfs.kernfs().lockdep();
    this.waitPoints = waitPoints;
    this.slabMutex = new Mutex(lockdep, "slab_mutex");
    this.flushLock = new Mutex(lockdep, "flush_lock");
    this.dmesg = sysfs.dmesg();
    this.hotplug = hotplug;
    this.cpus = hotplug.cpus();
    this.era = era;
    this.random = random;
    this.eventsWq = new Workqueue(lockdep, "events", "kworker/u" + 2 * cpus.nrPossible() + ":1");
    this.rcuWq = new Workqueue(lockdep, "rcu", "rcu_preempt");
    this.flush = new SlubFlush(lockdep, hotplug, slabMutex, flushLock, slabCaches);
    this.report = new SlubReport(dmesg, era, lockdep);
    List<Attribute<KmemCache>> attrs = new SlabAttrs(this).attrs();
    this.slubSysfs =
        new SlubSysfs(this, sysfs, kernelKobj, slabCaches, attrs, this::slabKmemCacheRelease);
    hotplug.registerDeadCallback(flush::slubCpuDead);
    kmemCacheInit();
  }

  public KernelEra era() {
    return era;
  }

  public Cpus cpus() {
    return cpus;
  }

  public Dmesg dmesg() {
    return dmesg;
  }

  /** Named points where {@code sim/ctl pause} can stop a task. */
  public WaitPoints waitPoints() {
    return waitPoints;
  }

  public KSet slabKset() {
    return slubSysfs.slabKset();
  }

  /** A snapshot of {@code slab_caches}, oldest first. */
  public List<KmemCache> caches() {
    slabMutex.lock();
    try {
      return new ArrayList<>(slabCaches);
    } finally {
      slabMutex.unlock();
    }
  }

  /**
   * {@code /proc/slabinfo} (mm/slab_common.c, SLUB): {@code slab_start()} takes {@code slab_mutex}
   * and {@code slab_stop()} drops it; the header ({@code print_slabinfo_header()}) comes with the
   * first cache, then {@code cache_show()} for every cache on {@code slab_caches} from its head
   * (the newest first; an alias has no {@code kmem_cache} of its own, so no line), with {@code
   * get_slabinfo()}'s counters, the tunables all 0 and no shared objects.
   */
  public String slabinfo() {
    StringBuilder sb = new StringBuilder();
    try (Task.Frame f = Task.enter("slab_start")) {
      slabMutex.lock();
    }
    try {
      boolean approx = KernelVersion.parse(era.release()).atLeast(6, 10);
      for (int i = slabCaches.size() - 1; i >= 0; i--) {
        KmemCache s = slabCaches.get(i);
        if (i == slabCaches.size() - 1) {
          sb.append("slabinfo - version: 2.1\n")
              .append(
                  "# name            <active_objs> <num_objs> <objsize> <objperslab>"
                      + " <pagesperslab> : tunables <limit> <batchcount> <sharedfactor>"
                      + " : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
        }
        long[] info = s.slabinfo(approx);
        sb.append(
            String.format(
                "%-17s %6d %6d %6d %4d %4d : tunables %4d %4d %4d : slabdata %6d %6d %6d\n",
                s.name(),
                info[0],
                info[1],
                s.size(),
                s.objsPerSlab(),
                1 << s.order(),
                0,
                0,
                0,
                info[2],
                info[2],
                0));
      }
    } finally {
      try (Task.Frame f = Task.enter("slab_stop")) {
        slabMutex.unlock();
      }
    }
    return sb.toString();
  }

  /** Caches released (freed) since boot. */
  public int releasedCount() {
    return released.get();
  }

  // ------------------------------------------------------------------------------- boot

  /**
   * {@code kmem_cache_init()} and {@code create_kmalloc_caches()}: the two bootstrap caches
   * (refcount -1, never merged), then every kmalloc family, then {@code kmalloc_buckets}.
   */
  private void kmemCacheInit() throws ErrnoException {
    kmemCacheNode =
        createBootCache(
            KmemCacheArgs.of(
                "kmem_cache_node", KMEM_CACHE_NODE_SIZE, 0, SlabFlags.SLAB_HWCACHE_ALIGN),
            -1,
            false);
    kmemCache =
        createBootCache(
            KmemCacheArgs.of(
                "kmem_cache",
                KMEM_CACHE_BASE_SIZE + 8 * cpus.nrNodes(),
                0,
                SlabFlags.SLAB_HWCACHE_ALIGN),
            -1,
            false);
    // bootstrap(&boot_kmem_cache), then bootstrap(&boot_kmem_cache_node): each list_add()s
    // itself, so the list walk ends kmem_cache_node, kmem_cache (as /proc/slabinfo shows)
    slabMutex.lock();
    try {
      slabCaches.add(kmemCache);
      slabCaches.add(kmemCacheNode);
    } finally {
      slabMutex.unlock();
    }
    String[][] types = {
      {"kmalloc-", "0"},
      {"kmalloc-rcl-", Long.toString(SlabFlags.SLAB_RECLAIM_ACCOUNT)},
      {"dma-kmalloc-", Long.toString(SlabFlags.SLAB_CACHE_DMA)},
      {"kmalloc-cg-", Long.toString(SlabFlags.SLAB_ACCOUNT)},
    };
    for (String[] type : types) {
      for (int size : KMALLOC_SIZES) {
        String name = type[0] + (size >= 1024 ? size / 1024 + "k" : Integer.toString(size));
        long flags = Long.parseLong(type[1]) | SlabFlags.SLAB_KMALLOC;
        int align = Integer.lowestOneBit(size);
        createBootCache(KmemCacheArgs.of(name, size, align, flags).withUsercopy(0, size), 1, true);
      }
    }
    try (Task.Frame f = Task.enter(createFunction())) {
      createChecked(
          KmemCacheArgs.of(
              "kmalloc_buckets", 112, 8, SlabFlags.SLAB_PANIC | SlabFlags.SLAB_NO_MERGE),
          null,
          null,
          true);
    }
  }

  private KmemCache createBootCache(KmemCacheArgs args, int refcount, boolean listAdd)
      throws ErrnoException {
    slabMutex.lock();
    try {
      KmemCache s = createCache(args, args.flags(), null, refcount, null);
      if (listAdd) {
        slabCaches.add(s);
      }
      return s;
    } finally {
      slabMutex.unlock();
    }
  }

  /**
   * Gives every cache the look of a machine that has been running a while: objects allocated and
   * partly freed through the real allocation paths; {@code kmem_cache} and {@code kmem_cache_node}
   * hold one object per cache (per node).
   */
  public void populate(long seed) throws ErrnoException {
    Random r = new Random(seed);
    for (KmemCache s : caches()) {
      if (s == kmemCache || s == kmemCacheNode) {
        continue;
      }
      int perSlab = s.objsPerSlab();
      int slabs = (int) Math.exp(r.nextDouble() * Math.log(48)) - 1;
      s.populate(r, (long) slabs * perSlab + r.nextInt(perSlab + 1));
    }
  }

  // ----------------------------------------------------------------------------- create

  /** {@code kmem_cache_create()} of a built-in cache. */
  public KmemCache create(KmemCacheArgs args) throws ErrnoException {
    return create(args, null);
  }

  /**
   * Seed 000: {@code __KMEM_CACHE_SETUP} of a static {@code struct kmem_cache} in {@code owner}'s
   * data ({@code args->preallocated}, {@code args->owner}): flagged {@code SLAB_PREALLOCATED |
   * SLAB_NO_MERGE}, never merged, and on the pinned era holding a reference on the module's kobject
   * until its final release.
   */
  public KmemCache createStatic(KmemCacheArgs args, StaticOwner owner) throws ErrnoException {
    if (era.staticCaches() == KernelEra.StaticCaches.REFUSED) {
      throw Errno.EINVAL.with(
          "static kmem_cache "
              + args.name()
              + " needs the static-cache "
              + "series (v7+static-cache)");
    }
    args = args.withFlags(args.flags() | SlabFlags.SLAB_NO_MERGE);
    try (Task.Frame f = Task.enter(createFunction())) {
      return createReporting(args, owner.moduleName(), owner);
    }
  }

  /**
   * {@code __kmem_cache_create_args()}: may return an existing cache that the new one merged into.
   * {@code module} owns the ctor symbol (shown as {@code sym [module]}), or is null.
   */
  public KmemCache create(KmemCacheArgs args, String module) throws ErrnoException {
    try (Task.Frame f = Task.enter(createFunction())) {
      return createReporting(args, module, null);
    }
  }

  /**
   * A cache of the boot set (what the simulated machine's own code creates): its flags are that
   * code's, so they are not checked against the era's flag names.
   */
  public KmemCache createAtBoot(KmemCacheArgs args) throws ErrnoException {
    try (Task.Frame f = Task.enter(createFunction())) {
      return createChecked(args, null, null, true);
    }
  }

  /** The function that prints a failed create: {@code __func__} of the era's create. */
  private String createFunction() {
    return v().atLeast(6, 12) ? "__kmem_cache_create_args" : "kmem_cache_create_usercopy";
  }

  /**
   * The {@code out_unlock:} tail of the create: a failure prints {@code <func>(<name>) failed with
   * error <n>} and a stack dump ({@code SLAB_PANIC} would panic instead).
   */
  private KmemCache createReporting(KmemCacheArgs args, String module, StaticOwner owner)
      throws ErrnoException {
    try {
      return createChecked(args, module, owner, false);
    } catch (ErrnoException e) {
      String func = createFunction();
      Task t = Task.current();
      List<String> frames = new ArrayList<>(List.of("dump_stack_lvl", "dump_stack", func));
      frames.addAll(report.callersOf(func));
      List<String> r = new ArrayList<>();
      r.add(func + "(" + args.name() + ") failed with error -" + e.errno().number());
      r.addAll(
          io.slabfs.kernel.debug.DumpStack.dumpStack(
              release(), dmesg.taint(), 0, t.pid(), t.comm(), frames));
      dmesg.printkRecords(r);
      throw e;
    }
  }

  /**
   * @param internal a cache the model itself creates at boot (its flags are the era's own)
   */
  private KmemCache createChecked(
      KmemCacheArgs args, String module, StaticOwner owner, boolean internal)
      throws ErrnoException {
    long flags = args.flags();
    if (args.size() < 1 || args.size() > KmemCacheArgs.KMALLOC_MAX_SIZE) {
      throw Errno.EINVAL.with(
          "kmem_cache_create(" + args.name() + "): size " + args.size() + " out of range");
    }
    // no check of align in the kernel: calculate_alignment() rounds it up to a pointer's size
    // (ALIGN(3, 8) is 8); the model stops at 32 KiB
    if (args.align() < 0 || args.align() > 32768) {
      throw Errno.EINVAL.with(
          "kmem_cache_create(" + args.name() + "): slabfs models align up to 32768");
    }
    if (!internal && (flags & SlabFlags.SLAB_NO_MERGE) != 0 && !v().atLeast(6, 5)) {
      throw Errno.EINVAL.with(
          "SLAB_NO_MERGE does not exist before 6.5 (this kernel is "
              + era.release()
              + "): make the cache unmergeable with a constructor or a usercopy "
              + "region");
    }
    // SLAB_FLAGS_PERMITTED has SLAB_KMALLOC from 6.2 (6.1 mm/slab.h has it only in the
    // kmalloc caches' own flags)
    long notPermitted =
        SlabFlags.SLAB_PREALLOCATED | (v().atLeast(6, 2) ? 0 : SlabFlags.SLAB_KMALLOC);
    if ((flags & notPermitted) != 0) {
      throw Errno.EINVAL.with(
          "kmem_cache_create(" + args.name() + "): flags outside SLAB_FLAGS_PERMITTED");
    }
    // "Fail closed on bad usersize of useroffset values": two WARN_ON()s, no message
    boolean first = args.usersize() == 0 && args.useroffset() != 0;
    if (first
        || args.size() < args.usersize()
        || args.size() - args.usersize() < args.useroffset()) {
      int line = v().atLeast(6, 12) ? 343 : 320;
      report.warn(
          null,
          createFunction(),
          "mm/slab_common.c",
          first ? line : line + 1,
          report.callersOf(createFunction()));
      args = args.withUsercopy(0, 0);
    }
    if (era.sheaves() && args.sheafCapacity() > 0) {
      if (!era.cpuSlabsGone()) {
        flags |= SlabFlags.SLAB_NO_MERGE;
      }
    }
    slabMutex.lock();
    try {
      if (args.usersize() == 0 && owner == null) {
        KmemCache s = alias(args, flags);
        if (s != null) {
          return s;
        }
      }
      KmemCache s =
          createCache(
              args, flags | (owner == null ? 0 : SlabFlags.SLAB_PREALLOCATED), module, 1, owner);
      slabCaches.add(s);
      return s;
    } finally {
      slabMutex.unlock();
    }
  }

  /**
   * {@code create_cache()} + {@code do_kmem_cache_create()} + {@code sysfs_slab_add()}. The
   * refcount is set before the sysfs entry is made: for boot caches (-1) the kernel adds them to
   * sysfs only in {@code slab_sysfs_init()}, when they are already exempt from merging.
   */
  private KmemCache createCache(
      KmemCacheArgs args, long flags, String module, int refcount, StaticOwner owner)
      throws ErrnoException {
    Geometry geo =
        Geometry.calculate(
            args.size(),
            args.align(),
            flags,
            args.ctor() != null,
            args.freeptrOffset(),
            cpus.nrPresent());
    if (geo == null) {
      throw Errno.EINVAL.with("kmem_cache_create(" + args.name() + "): no slab order fits");
    }
    int sheaf = args.sheafCapacity();
    if (era.cpuSlabsGone()) {
      sheaf = Math.max(sheaf, geo.defaultSheafCapacity(flags));
    } else if (!era.sheaves()) {
      sheaf = 0;
    }
    KmemCache s =
        new KmemCache(
            args, geo, flags, module, sheaf, cpus, pages, c -> new KObject<>(c, slubSysfs.ktype()));
    s.refcount = refcount;
    if (owner != null) {
      // create_cache(): s->owner = args->owner; kobject_get(s->owner) -- the seed 000 pin
      s.setStaticOwner(owner);
      s.kobj()
          .setResidence(
              owner.memory(),
              s.name(),
              KmemCacheLayout.STATIC_OFFSET,
              KmemCacheLayout.SIZE,
              KmemCacheLayout.KOBJ);
      if (era.staticCaches() == KernelEra.StaticCaches.PINNED) {
        owner.kobj().get();
      }
    } else if (kmemCache != null) {
      allocMeta();
    }
    try (Task.Frame f1 =
            Task.enter(v().atLeast(6, 12) ? "do_kmem_cache_create" : "__kmem_cache_create");
        Task.Frame f2 = Task.enter("sysfs_slab_add")) {
      slubSysfs.sysfsSlabAdd(s);
    } catch (ErrnoException e) {
      if (era.sysfsFailureFailsCreate()) {
        if (owner == null) {
          freeMeta();
        }
        throw e;
      }
      dmesg.printk("SLUB: Unable to add cache " + args.name() + " to sysfs");
    }
    return s;
  }

  /** The {@code kmem_cache} object and one {@code kmem_cache_node} per node of a new cache. */
  private void allocMeta() throws ErrnoException {
    int cpu = anyOnlineCpu();
    kmemCache.alloc(cpu, 1);
    long before = kmemCacheNode.allocatedObjects();
    try {
      kmemCacheNode.alloc(cpu, cpus.nrNodes());
    } catch (ErrnoException e) {
      // kmem_cache_open() failed: free_kmem_cache_nodes(), then the kmem_cache itself
      kmemCacheNode.free(cpu, kmemCacheNode.allocatedObjects() - before, random);
      kmemCache.free(cpu, 1, random);
      throw e;
    }
  }

  private void freeMeta() {
    int cpu = anyOnlineCpu();
    try {
      kmemCache.free(cpu, 1, random);
      kmemCacheNode.free(cpu, cpus.nrNodes(), random);
    } catch (ErrnoException e) {
      report.warn("kmem_cache accounting underflow: " + e.why(), "slab_kmem_cache_release");
    }
  }

  private int anyOnlineCpu() {
    int[] online = cpus.onlineMask().stream().toArray();
    return online[random.nextInt(online.length)];
  }

  /** {@code __kmem_cache_alias()}: merge into an existing cache if one fits. */
  private KmemCache alias(KmemCacheArgs args, long flags) throws ErrnoException {
    KmemCache s = findMergeable(args.size(), args.align(), flags, args.ctor() != null);
    if (s == null) {
      return null;
    }
    try (Task.Frame f = Task.enter("__kmem_cache_alias")) {
      slubSysfs.sysfsSlabAlias(s, args.name());
    } catch (ErrnoException e) {
      if (!era.cpuSlabsGone()) {
        return null;
      }
      dmesg.printk("SLUB: Unable to add cache alias " + args.name() + " to sysfs");
    }
    s.refcount++;
    s.growObjectSize(args.size());
    return s;
  }

  /** {@code find_mergeable()}: the newest cache this one can share, or null. */
  KmemCache findMergeable(int size, int align, long flags, boolean hasCtor) {
    if (hasCtor) {
      return null;
    }
    size = Geometry.alignUp(size, Geometry.POINTER);
    align = Geometry.calculateAlignment(flags, align, size);
    size = Geometry.alignUp(size, align);
    if ((flags & neverMerge()) != 0) {
      return null;
    }
    for (int i = slabCaches.size() - 1; i >= 0; i--) {
      KmemCache s = slabCaches.get(i);
      if (slabUnmergeable(s)
          || size > s.size()
          || (flags & SlabFlags.SLAB_MERGE_SAME) != (s.flags() & SlabFlags.SLAB_MERGE_SAME)
          || (s.size() & ~(align - 1)) != s.size()
          || s.size() - size >= Geometry.POINTER) {
        continue;
      }
      return s;
    }
    return null;
  }

  private long neverMerge() {
    return era.debugFlagsNeverMerge() ? SlabFlags.SLAB_NEVER_MERGE_7 : SlabFlags.SLAB_NEVER_MERGE;
  }

  /** {@code slab_unmergeable()}. */
  boolean slabUnmergeable(KmemCache s) {
    return (s.flags() & neverMerge()) != 0
        || s.ctor() != null
        || s.usersize() != 0
        || s.refcount < 0;
  }

  // ---------------------------------------------------------------------------- destroy

  /**
   * {@code kmem_cache_destroy()}. The era decides where the sysfs directory is drained: under
   * {@code cpu_hotplug_lock} and {@code slab_mutex} (5.19), after them (6.1 on), and for RCU caches
   * from a work item (5.19, 6.1) or after a synchronous barrier (6.12 on).
   */
  public void destroy(KmemCache s) throws ErrnoException {
    try (Task.Frame f = Task.enter("kmem_cache_destroy")) {
      kmemCacheDestroy(s);
    }
  }

  /**
   * The body of {@code kmem_cache_destroy()}, in its frame: takes {@code cpu_hotplug_lock} and
   * {@code slab_mutex} itself.
   */
  private void kmemCacheDestroy(KmemCache s) throws ErrnoException {
    boolean err;
    boolean rcu = s.hasFlag(SlabFlags.SLAB_TYPESAFE_BY_RCU);
    hotplug.cpusReadLock();
    slabMutex.lock();
    try {
      if (s.refcount <= 0) {
        throw Errno.EINVAL.with("kmem_cache_destroy(" + s.name() + "): cache cannot be destroyed");
      }
      waitPoints.pass("kmem_cache_destroy");
      s.refcount--;
      if (s.refcount != 0) {
        return;
      }
      err = shutdownCache(s);
      if (err && era.leakedCacheStaysListed()) {
        return;
      }
      slabCaches.remove(s);
      if (era.destroyDrainsUnderLocks()) {
        slubSysfs.sysfsSlabUnlink(s);
        if (!rcu && !err) {
          slubSysfs.sysfsSlabRelease(s);
        }
      }
    } finally {
      slabMutex.unlock();
      hotplug.cpusReadUnlock();
    }
    if (err) {
      if (!era.destroyDrainsUnderLocks()) {
        slubSysfs.sysfsSlabUnlink(s);
      }
      return;
    }
    switch (era.rcuDestroy()) {
      case UNLINK_LOCKED_RELEASE_IN_WORK -> {
        if (rcu) {
          eventsWq.queue(
              () -> {
                rcuBarrier();
                slubSysfs.sysfsSlabRelease(s);
              });
        }
      }
      case UNLINK_AND_RELEASE_IN_WORK -> {
        if (rcu) {
          eventsWq.queue(
              () -> {
                rcuBarrier();
                kmemCacheRelease(s);
              });
        } else {
          kmemCacheRelease(s);
        }
      }
      case SYNC_BARRIER -> {
        slubSysfs.sysfsSlabUnlink(s);
        if (rcu) {
          rcuBarrier();
        }
        slubSysfs.sysfsSlabRelease(s);
      }
    }
  }

  /**
   * {@code shutdown_cache()} / {@code __kmem_cache_shutdown()}: flush every CPU and free the empty
   * slabs; with objects left, WARN as the kernel does and return true.
   */
  private boolean shutdownCache(KmemCache s) {
    try (Task.Frame f = Task.enter("__kmem_cache_shutdown")) {
      return shutdown(s);
    }
  }

  private boolean shutdown(KmemCache s) {
    flush.flushForShutdown(s);
    boolean busy = s.shutdownHasObjects();
    if (busy) {
      report.listRemaining(s);
      String caller = SlubReport.callerOf("kmem_cache_destroy");
      report.warn(
          "kmem_cache_destroy "
              + s.name()
              + ": Slab cache still has objects when called from "
              + Kallsyms.symbol(caller),
          "kmem_cache_destroy",
          "mm/slab_common.c",
          v().atLeast(6, 19) ? 532 : v().atLeast(6, 12) ? 548 : 493,
          report.callersOf("kmem_cache_destroy"));
    }
    return busy;
  }

  /** {@code kmem_cache_release()}: unlink (6.x) and drop the sysfs reference. */
  private void kmemCacheRelease(KmemCache s) {
    slubSysfs.sysfsSlabUnlink(s);
    slubSysfs.sysfsSlabRelease(s);
  }

  /**
   * {@code slab_kmem_cache_release()}: the {@code kmem_cache} object goes back. Takes no lock: on
   * 5.19 it runs under {@code slab_mutex} (inside {@code kmem_cache_destroy}).
   */
  private void slabKmemCacheRelease(KmemCache s) {
    try (Task.Frame f = Task.enter("slab_kmem_cache_release")) {
      s.touch("__kmem_cache_release", 0x60); // walks s->node[]
      s.touch("slab_kmem_cache_release", 0x58); // s->name, s->owner
      if (s.hasFlag(SlabFlags.SLAB_PREALLOCATED)) {
        // the static series frees nothing: kobject_put(s->owner) instead of kmem_cache_free
        if (era.staticCaches() == KernelEra.StaticCaches.PINNED) {
          s.staticOwner().kobj().put();
        }
      } else {
        freeMeta();
      }
    }
    released.incrementAndGet();
  }

  /**
   * {@code rcu_barrier()}: waits until the RCU callbacks queued so far have run, which takes a
   * grace period; here a callback queued on the RCU kthread, due {@link #RCU_GRACE_MILLIS} from
   * now.
   */
  private void rcuBarrier() {
    rcuWq.flushWork(rcuWq.queueDelayed(() -> {}, RCU_GRACE_MILLIS));
  }

  // ------------------------------------------------------------------------ flush, hotplug

  /** {@code flush_all()} of mm/slub.c: see {@link SlubFlush}. */
  public void flushAll(KmemCache s) {
    flush.flushAll(s);
  }

  /** {@code kmem_cache_shrink()}. */
  public void shrink(KmemCache s) {
    flushAll(s);
    s.shrinkNodes();
  }

  /** {@code uname -r}. */
  private String release() {
    return era.release() + "-slabfs";
  }

  private io.slabfs.kernel.debug.KernelVersion v() {
    return io.slabfs.kernel.debug.KernelVersion.parse(era.release());
  }

  /** {@code print_modules()}'s source, set once modules exist (a higher layer). */
  public void setModulesLinkedIn(java.util.function.Supplier<List<String>> modules) {
    report.setModulesLinkedIn(modules);
  }

  /** Stops the work queue threads. */
  public void shutdown() {
    eventsWq.close();
    rcuWq.close();
    flush.close();
  }
}
