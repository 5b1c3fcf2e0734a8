package io.slabfs.kernel.slab;

/**
 * Models: mm/slub.c.
 *
 * <p>The layout of a cache's objects and slabs, computed as mm/slub.c does it ({@code
 * calculate_alignment}, {@code calculate_sizes}, {@code calculate_order}, {@code set_min_partial},
 * {@code set_cpu_partial}); kernel-model.md section 8.
 *
 * @param objectSize {@code s->object_size}
 * @param size {@code s->size}: the object with its metadata, aligned
 * @param align {@code s->align}
 * @param inuse {@code s->inuse}
 * @param offset {@code s->offset}: where the free pointer is
 * @param order {@code oo_order(s->oo)}
 * @param objects {@code oo_objects(s->oo)}
 */
public record Geometry(
    int objectSize, int size, int align, int inuse, int offset, int order, int objects) {

  public static final int PAGE_SIZE = 4096;
  public static final int CACHE_LINE_SIZE = 64;

  /** {@code ARCH_SLAB_MINALIGN} / {@code sizeof(void *)} on x86_64. */
  public static final int POINTER = 8;

  /** {@code sizeof(struct track)} with stack depot on x86_64. */
  public static final int TRACK_SIZE = 32;

  static final int SLUB_MIN_ORDER = 0;

  /** {@code PAGE_ALLOC_COSTLY_ORDER}. */
  static final int SLUB_MAX_ORDER = 3;

  static final int MAX_PAGE_ORDER = 10;
  static final int MAX_OBJS_PER_PAGE = 32767;

  /**
   * Computes the layout, or returns {@code null} when no order can hold the object ({@code
   * calculate_sizes} returning 0).
   *
   * @param nrCpus {@code num_present_cpus()}, which sets {@code min_objects}
   */
  public static Geometry calculate(
      int objectSize, int align, long flags, boolean hasCtor, int freeptrOffset, int nrCpus) {
    int a = calculateAlignment(flags, align, objectSize);
    // calculate_sizes()
    int size = alignUp(objectSize, POINTER);
    if ((flags & SlabFlags.SLAB_RED_ZONE) != 0 && size == objectSize) {
      size += POINTER;
    }
    int inuse = size;
    boolean kmalloc = (flags & SlabFlags.SLAB_KMALLOC) != 0;
    boolean rcu = (flags & SlabFlags.SLAB_TYPESAFE_BY_RCU) != 0;
    int offset;
    if ((rcu && freeptrOffset < 0)
        || (flags & SlabFlags.SLAB_POISON) != 0
        || (hasCtor && freeptrOffset < 0)
        || ((flags & SlabFlags.SLAB_RED_ZONE) != 0
            && (objectSize < POINTER || (kmalloc && (flags & SlabFlags.SLAB_STORE_USER) != 0)))) {
      offset = size;
      size += POINTER;
    } else if (freeptrOffset >= 0 && (rcu || hasCtor)) {
      offset = freeptrOffset;
    } else {
      offset = alignDown(objectSize / 2, POINTER);
    }
    if ((flags & SlabFlags.SLAB_STORE_USER) != 0) {
      size += 2 * TRACK_SIZE;
      if (kmalloc) {
        size += POINTER;
      }
    }
    if ((flags & SlabFlags.SLAB_RED_ZONE) != 0) {
      size += POINTER;
      size += alignUp(POINTER, a);
    }
    size = alignUp(size, a);
    int order = calculateOrder(size, nrCpus);
    if (order < 0) {
      return null;
    }
    return new Geometry(objectSize, size, a, inuse, offset, order, orderObjects(order, size));
  }

  /** {@code calculate_alignment()}. */
  public static int calculateAlignment(long flags, int align, int size) {
    if ((flags & SlabFlags.SLAB_HWCACHE_ALIGN) != 0) {
      int ralign = CACHE_LINE_SIZE;
      while (size <= ralign / 2) {
        ralign /= 2;
      }
      align = Math.max(align, ralign);
    }
    align = Math.max(align, POINTER);
    return alignUp(align, POINTER);
  }

  /** {@code calculate_order()} with the default {@code slub_min_objects}. */
  static int calculateOrder(int size, int nrCpus) {
    int minObjects = 4 * (fls(Math.max(nrCpus, 1)) + 1);
    int maxObjects = Math.max(orderObjects(SLUB_MAX_ORDER, size), 1);
    minObjects = Math.min(minObjects, maxObjects);
    int minOrder = Math.max(SLUB_MIN_ORDER, getOrder((long) minObjects * size));
    if (orderObjects(minOrder, size) > MAX_OBJS_PER_PAGE) {
      return getOrder((long) size * MAX_OBJS_PER_PAGE) - 1;
    }
    for (int fraction = 16; fraction > 1; fraction /= 2) {
      int order = calcSlabOrder(size, minOrder, SLUB_MAX_ORDER, fraction);
      if (order <= SLUB_MAX_ORDER) {
        return order;
      }
    }
    int order = getOrder(size);
    return order <= MAX_PAGE_ORDER ? order : -1;
  }

  private static int calcSlabOrder(int size, int minOrder, int maxOrder, int fractLeftover) {
    int order;
    for (order = minOrder; order <= maxOrder; order++) {
      long slabSize = (long) PAGE_SIZE << order;
      long rem = slabSize % size;
      if (rem <= slabSize / fractLeftover) {
        break;
      }
    }
    return order;
  }

  /** {@code order_objects()}. */
  static int orderObjects(int order, int size) {
    return (int) (((long) PAGE_SIZE << order) / size);
  }

  /** {@code get_order()}: the smallest order whose pages hold {@code size} bytes. */
  static int getOrder(long size) {
    int order = 0;
    while (((long) PAGE_SIZE << order) < size) {
      order++;
    }
    return order;
  }

  /** {@code fls()}: 1-based index of the highest set bit, 0 for 0. */
  static int fls(int x) {
    return 32 - Integer.numberOfLeadingZeros(x);
  }

  /** {@code min_partial}: {@code clamp(ilog2(size) / 2, MIN_PARTIAL, MAX_PARTIAL)}. */
  public long minPartial() {
    int ilog2 = 31 - Integer.numberOfLeadingZeros(size);
    return Math.max(5, Math.min(10, ilog2 / 2));
  }

  /** {@code set_cpu_partial()}: the default number of per-CPU partial objects. */
  public int defaultCpuPartial(long flags) {
    if ((flags & SlabFlags.SLAB_DEBUG_FLAGS) != 0) {
      return 0;
    }
    if (size >= PAGE_SIZE) {
      return 6;
    } else if (size >= 1024) {
      return 24;
    } else if (size >= 256) {
      return 52;
    }
    return 120;
  }

  /** 7.x {@code calculate_sheaf_capacity()} before rounding to a kmalloc bucket. */
  public int defaultSheafCapacity(long flags) {
    if ((flags & SlabFlags.SLAB_DEBUG_FLAGS) != 0) {
      return 0;
    }
    if (size >= PAGE_SIZE) {
      return 4;
    } else if (size >= 1024) {
      return 12;
    } else if (size >= 256) {
      return 26;
    }
    return 60;
  }

  static int alignUp(int x, int a) {
    return (x + a - 1) / a * a;
  }

  static int alignDown(int x, int a) {
    return x / a * a;
  }
}
