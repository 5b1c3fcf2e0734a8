package io.slabfs.kernel.era;

import java.util.Arrays;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Ours: simulator.
 *
 * <p>Which kernel's behaviour is simulated (product.md section 5, kernel-model.md section 0). An
 * era is data: the few switches below, read at the few places where kernels differ.
 */
public enum KernelEra {
  V5_19("v5.19", "5.19.0", true, RcuDestroy.UNLINK_LOCKED_RELEASE_IN_WORK, true, true, false,
      StaticCaches.REFUSED),
  V6_1("v6.1", "6.1.0", false, RcuDestroy.UNLINK_AND_RELEASE_IN_WORK, true, true, false,
      StaticCaches.REFUSED),
  V6_18("v6.18", "6.18.0", false, RcuDestroy.SYNC_BARRIER, true, false, true,
      StaticCaches.REFUSED),
  V7("v7", "7.0.0", false, RcuDestroy.SYNC_BARRIER, false, false, true, StaticCaches.REFUSED),
  V7_STATIC_CACHE("v7+static-cache", "7.0.0", false, RcuDestroy.SYNC_BARRIER, false, false,
      true, StaticCaches.PINNED),
  V7_STATIC_CACHE_UNPINNED("v7+static-cache-unpinned", "7.0.0", false, RcuDestroy.SYNC_BARRIER,
      false, false, true, StaticCaches.UNPINNED);

  /** Where an RCU cache's sysfs directory is unlinked and released on destroy. */
  public enum RcuDestroy {
    /** 5.15-5.19: unlinked under the locks, released later from the destroy work item. */
    UNLINK_LOCKED_RELEASE_IN_WORK,
    /** 6.0-6.11: unlinked and released from the work item, after rcu_barrier(). */
    UNLINK_AND_RELEASE_IN_WORK,
    /** 6.12 on: a synchronous rcu_barrier() inside kmem_cache_destroy(). */
    SYNC_BARRIER
  }

  /** What happens to a static-duration kmem_cache in a module (seed 000). */
  public enum StaticCaches {
    REFUSED,
    PINNED,
    UNPINNED
  }

  private final String id;
  private final String release;
  private final boolean destroyDrainsUnderLocks;
  private final RcuDestroy rcuDestroy;
  private final boolean cpuPartialStoreFlushes;
  private final boolean leakedCacheStaysListed;
  private final boolean sheaves;
  private final StaticCaches staticCaches;

  KernelEra(
      String id,
      String release,
      boolean destroyDrainsUnderLocks,
      RcuDestroy rcuDestroy,
      boolean cpuPartialStoreFlushes,
      boolean leakedCacheStaysListed,
      boolean sheaves,
      StaticCaches staticCaches) {
    this.id = id;
    this.release = release;
    this.destroyDrainsUnderLocks = destroyDrainsUnderLocks;
    this.rcuDestroy = rcuDestroy;
    this.cpuPartialStoreFlushes = cpuPartialStoreFlushes;
    this.leakedCacheStaysListed = leakedCacheStaysListed;
    this.sheaves = sheaves;
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

  /** Pre-fix (seed 001): the sysfs drain runs under cpu_hotplug_lock and slab_mutex. */
  public boolean destroyDrainsUnderLocks() {
    return destroyDrainsUnderLocks;
  }

  public RcuDestroy rcuDestroy() {
    return rcuDestroy;
  }

  /**
   * Up to 6.18 the cpu_partial store sets the value and calls flush_all(); 7.x shows 0 and
   * accepts only 0, without a lock. 7.x also has no per-CPU slabs to show.
   */
  public boolean cpuPartialStoreFlushes() {
    return cpuPartialStoreFlushes;
  }

  /** Up to 6.11 a cache destroyed with live objects stays listed and in sysfs. */
  public boolean leakedCacheStaysListed() {
    return leakedCacheStaysListed;
  }

  /** 6.18 on: the {@code sheaf_capacity} attribute exists. */
  public boolean sheaves() {
    return sheaves;
  }

  /** 7.x: per-CPU slabs are gone; sheaves get a default capacity. */
  public boolean cpuSlabsGone() {
    return !cpuPartialStoreFlushes;
  }

  /** 7.x: {@code SLAB_CONSISTENCY_CHECKS} is in {@code SLAB_NEVER_MERGE}. */
  public boolean debugFlagsNeverMerge() {
    return !cpuPartialStoreFlushes;
  }

  /** Before 6.13 a cache whose sysfs entry cannot be added is not created at all. */
  public boolean sysfsFailureFailsCreate() {
    return this == V5_19 || this == V6_1;
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
