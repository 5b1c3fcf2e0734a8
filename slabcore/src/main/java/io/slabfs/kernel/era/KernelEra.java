package io.slabfs.kernel.era;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Which kernel's behaviour is simulated (product.md section 5, kernel-model.md section 0). Ours:
 * simulator. An era is data: one named switch per behaviour that differs between kernels, each its
 * own enum whose constants say what that kernel does, read at the one place that differs. {@code
 * sim/variant} is generated from {@link #switches()}, so it always shows every switch.
 */
public enum KernelEra {
  V5_19(
      "v5.19",
      "5.19.0",
      DestroyDrain.UNDER_CPU_HOTPLUG_LOCK_AND_SLAB_MUTEX,
      RcuCacheDestroy.UNLINK_LOCKED_RELEASE_IN_WORK,
      CpuPartialStore.SET_AND_FLUSH_ALL,
      CpuSlabs.PER_CPU_SLABS,
      ConsistencyChecksMerge.MERGEABLE,
      LeakedCache.STAYS_LISTED,
      SheafCapacityFile.NO,
      SysfsAddFailure.FAILS_CREATE,
      StaticCaches.REFUSED),
  V6_1(
      "v6.1",
      "6.1.0",
      DestroyDrain.AFTER_UNLOCK,
      RcuCacheDestroy.UNLINK_AND_RELEASE_IN_WORK,
      CpuPartialStore.SET_AND_FLUSH_ALL,
      CpuSlabs.PER_CPU_SLABS,
      ConsistencyChecksMerge.MERGEABLE,
      LeakedCache.STAYS_LISTED,
      SheafCapacityFile.NO,
      SysfsAddFailure.FAILS_CREATE,
      StaticCaches.REFUSED),
  V6_18(
      "v6.18",
      "6.18.0",
      DestroyDrain.AFTER_UNLOCK,
      RcuCacheDestroy.SYNC_BARRIER,
      CpuPartialStore.SET_AND_FLUSH_ALL,
      CpuSlabs.PER_CPU_SLABS,
      ConsistencyChecksMerge.MERGEABLE,
      LeakedCache.UNLISTED_AND_UNLINKED,
      SheafCapacityFile.YES,
      SysfsAddFailure.CACHE_WITHOUT_SYSFS,
      StaticCaches.REFUSED),
  V7(
      "v7",
      "7.0.0",
      DestroyDrain.AFTER_UNLOCK,
      RcuCacheDestroy.SYNC_BARRIER,
      CpuPartialStore.ZERO_ONLY_NO_LOCK,
      CpuSlabs.GONE,
      ConsistencyChecksMerge.NEVER_MERGE,
      LeakedCache.UNLISTED_AND_UNLINKED,
      SheafCapacityFile.YES,
      SysfsAddFailure.CACHE_WITHOUT_SYSFS,
      StaticCaches.REFUSED),
  V7_STATIC_CACHE(
      "v7+static-cache",
      "7.0.0",
      DestroyDrain.AFTER_UNLOCK,
      RcuCacheDestroy.SYNC_BARRIER,
      CpuPartialStore.ZERO_ONLY_NO_LOCK,
      CpuSlabs.GONE,
      ConsistencyChecksMerge.NEVER_MERGE,
      LeakedCache.UNLISTED_AND_UNLINKED,
      SheafCapacityFile.YES,
      SysfsAddFailure.CACHE_WITHOUT_SYSFS,
      StaticCaches.PINNED),
  V7_STATIC_CACHE_UNPINNED(
      "v7+static-cache-unpinned",
      "7.0.0",
      DestroyDrain.AFTER_UNLOCK,
      RcuCacheDestroy.SYNC_BARRIER,
      CpuPartialStore.ZERO_ONLY_NO_LOCK,
      CpuSlabs.GONE,
      ConsistencyChecksMerge.NEVER_MERGE,
      LeakedCache.UNLISTED_AND_UNLINKED,
      SheafCapacityFile.YES,
      SysfsAddFailure.CACHE_WITHOUT_SYSFS,
      StaticCaches.UNPINNED);

  /** Where {@code kmem_cache_destroy} drains the cache's sysfs files (seed 001). */
  public enum DestroyDrain {
    /** Up to 5.19: under cpu_hotplug_lock and slab_mutex, the deadlock of seed 001. */
    UNDER_CPU_HOTPLUG_LOCK_AND_SLAB_MUTEX,
    /** 6.0 on: after both are dropped. */
    AFTER_UNLOCK
  }

  /** Where an RCU cache's sysfs directory is unlinked and released on destroy. */
  public enum RcuCacheDestroy {
    /** 5.15-5.19: unlinked under the locks, released later from the destroy work item. */
    UNLINK_LOCKED_RELEASE_IN_WORK,
    /** 6.0-6.11: unlinked and released from the work item, after rcu_barrier(). */
    UNLINK_AND_RELEASE_IN_WORK,
    /** 6.12 on: a synchronous rcu_barrier() inside kmem_cache_destroy(). */
    SYNC_BARRIER
  }

  /** What a write to {@code cpu_partial} does. */
  public enum CpuPartialStore {
    /** Up to 6.18: sets the value and calls flush_all(). */
    SET_AND_FLUSH_ALL,
    /** 7.x: shows 0 and accepts only 0, without a lock. */
    ZERO_ONLY_NO_LOCK
  }

  /** Whether SLUB keeps per-CPU slabs and per-CPU partial lists. */
  public enum CpuSlabs {
    PER_CPU_SLABS,
    /** 7.x: sheaves replaced them; sheaves get a default capacity. */
    GONE
  }

  /** Whether {@code SLAB_CONSISTENCY_CHECKS} keeps a cache from merging. */
  public enum ConsistencyChecksMerge {
    MERGEABLE,
    /** 7.x: it is in {@code SLAB_NEVER_MERGE}. */
    NEVER_MERGE
  }

  /** What {@code kmem_cache_destroy} of a cache with live objects leaves behind. */
  public enum LeakedCache {
    /** Up to 6.11: the cache stays listed and in sysfs. */
    STAYS_LISTED,
    UNLISTED_AND_UNLINKED
  }

  /** Whether the {@code sheaf_capacity} attribute exists (6.18 on). */
  public enum SheafCapacityFile {
    NO,
    YES
  }

  /** What a cache whose sysfs entry cannot be added becomes. */
  public enum SysfsAddFailure {
    /** Before 6.13: the create fails, no cache. */
    FAILS_CREATE,
    /** 6.13 on: the cache exists without a sysfs directory. */
    CACHE_WITHOUT_SYSFS
  }

  /** What happens to a static-duration kmem_cache in a module (seed 000). */
  public enum StaticCaches {
    REFUSED,
    PINNED,
    UNPINNED
  }

  private final String id;
  private final String release;
  private final DestroyDrain destroyDrain;
  private final RcuCacheDestroy rcuCacheDestroy;
  private final CpuPartialStore cpuPartialStore;
  private final CpuSlabs cpuSlabs;
  private final ConsistencyChecksMerge consistencyChecksMerge;
  private final LeakedCache leakedCache;
  private final SheafCapacityFile sheafCapacityFile;
  private final SysfsAddFailure sysfsAddFailure;
  private final StaticCaches staticCaches;

  KernelEra(
      String id,
      String release,
      DestroyDrain destroyDrain,
      RcuCacheDestroy rcuCacheDestroy,
      CpuPartialStore cpuPartialStore,
      CpuSlabs cpuSlabs,
      ConsistencyChecksMerge consistencyChecksMerge,
      LeakedCache leakedCache,
      SheafCapacityFile sheafCapacityFile,
      SysfsAddFailure sysfsAddFailure,
      StaticCaches staticCaches) {
    this.id = id;
    this.release = release;
    this.destroyDrain = destroyDrain;
    this.rcuCacheDestroy = rcuCacheDestroy;
    this.cpuPartialStore = cpuPartialStore;
    this.cpuSlabs = cpuSlabs;
    this.consistencyChecksMerge = consistencyChecksMerge;
    this.leakedCache = leakedCache;
    this.sheafCapacityFile = sheafCapacityFile;
    this.sysfsAddFailure = sysfsAddFailure;
    this.staticCaches = staticCaches;
  }

  /** The name used on the command line and in {@code sim/variant}, e.g. {@code v6.18}. */
  public String id() {
    return id;
  }

  /** {@code uname -r} of the simulated kernel. */
  public String release() {
    return release;
  }

  /** Every behaviour switch in force, in {@code sim/variant}'s order. */
  public List<Enum<?>> switches() {
    return List.of(
        destroyDrain,
        rcuCacheDestroy,
        cpuPartialStore,
        cpuSlabs,
        consistencyChecksMerge,
        leakedCache,
        sheafCapacityFile,
        sysfsAddFailure,
        staticCaches);
  }

  /** A switch's {@code sim/variant} key: its enum's name in snake case ({@code destroy_drain}). */
  public static String key(Enum<?> value) {
    return value
        .getDeclaringClass()
        .getSimpleName()
        .replaceAll("([a-z])([A-Z])", "$1_$2")
        .toLowerCase(Locale.ROOT);
  }

  /** A switch's {@code sim/variant} value: its constant in lower case ({@code after_unlock}). */
  public static String value(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** Seed 001: the sysfs drain runs under cpu_hotplug_lock and slab_mutex. */
  public boolean destroyDrainsUnderLocks() {
    return destroyDrain == DestroyDrain.UNDER_CPU_HOTPLUG_LOCK_AND_SLAB_MUTEX;
  }

  public RcuCacheDestroy rcuDestroy() {
    return rcuCacheDestroy;
  }

  /** The cpu_partial store sets the value and calls flush_all(). */
  public boolean cpuPartialStoreFlushes() {
    return cpuPartialStore == CpuPartialStore.SET_AND_FLUSH_ALL;
  }

  /** A cache destroyed with live objects stays listed and in sysfs. */
  public boolean leakedCacheStaysListed() {
    return leakedCache == LeakedCache.STAYS_LISTED;
  }

  /** The {@code sheaf_capacity} attribute exists. */
  public boolean sheaves() {
    return sheafCapacityFile == SheafCapacityFile.YES;
  }

  /** Per-CPU slabs are gone; sheaves get a default capacity. */
  public boolean cpuSlabsGone() {
    return cpuSlabs == CpuSlabs.GONE;
  }

  /** {@code SLAB_CONSISTENCY_CHECKS} is in {@code SLAB_NEVER_MERGE}. */
  public boolean debugFlagsNeverMerge() {
    return consistencyChecksMerge == ConsistencyChecksMerge.NEVER_MERGE;
  }

  /** A cache whose sysfs entry cannot be added is not created at all. */
  public boolean sysfsFailureFailsCreate() {
    return sysfsAddFailure == SysfsAddFailure.FAILS_CREATE;
  }

  public StaticCaches staticCaches() {
    return staticCaches;
  }

  /** The era named {@code id} on the command line. */
  public static Optional<KernelEra> byId(String id) {
    return Arrays.stream(values()).filter(e -> e.id.equals(id)).findFirst();
  }

  /** All ids, for usage messages. */
  public static String ids() {
    return Arrays.stream(values()).map(KernelEra::id).collect(Collectors.joining(", "));
  }
}
