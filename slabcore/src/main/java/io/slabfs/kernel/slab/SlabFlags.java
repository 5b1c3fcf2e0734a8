package io.slabfs.kernel.slab;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Models: include/linux/slab.h.
 *
 * <p>{@code slab_flags_t} (include/linux/slab.h), with the kernel's names.
 */
public final class SlabFlags {
  private SlabFlags() {}

  public static final long SLAB_CONSISTENCY_CHECKS = 1L << 0;
  public static final long SLAB_RED_ZONE = 1L << 1;
  public static final long SLAB_POISON = 1L << 2;
  public static final long SLAB_KMALLOC = 1L << 3;
  public static final long SLAB_HWCACHE_ALIGN = 1L << 4;
  public static final long SLAB_CACHE_DMA = 1L << 5;
  public static final long SLAB_CACHE_DMA32 = 1L << 6;
  public static final long SLAB_STORE_USER = 1L << 7;
  public static final long SLAB_PANIC = 1L << 8;
  public static final long SLAB_TYPESAFE_BY_RCU = 1L << 9;
  public static final long SLAB_TRACE = 1L << 10;
  public static final long SLAB_NOLEAKTRACE = 1L << 11;
  public static final long SLAB_NO_MERGE = 1L << 12;
  public static final long SLAB_FAILSLAB = 1L << 13;
  public static final long SLAB_ACCOUNT = 1L << 14;
  public static final long SLAB_NO_USER_FLAGS = 1L << 15;
  public static final long SLAB_RECLAIM_ACCOUNT = 1L << 16;
  public static final long SLAB_SKIP_KFENCE = 1L << 17;

  /** Seed 000: a static-duration cache in kernel or module data. */
  public static final long SLAB_PREALLOCATED = 1L << 18;

  public static final long SLAB_DEBUG_FLAGS =
      SLAB_RED_ZONE | SLAB_POISON | SLAB_STORE_USER | SLAB_TRACE | SLAB_CONSISTENCY_CHECKS;

  /** 6.x {@code SLAB_NEVER_MERGE}. */
  public static final long SLAB_NEVER_MERGE =
      SLAB_RED_ZONE
          | SLAB_POISON
          | SLAB_STORE_USER
          | SLAB_TRACE
          | SLAB_TYPESAFE_BY_RCU
          | SLAB_NOLEAKTRACE
          | SLAB_FAILSLAB
          | SLAB_NO_MERGE;

  /** 7.x {@code SLAB_NEVER_MERGE}: every debug flag. */
  public static final long SLAB_NEVER_MERGE_7 = SLAB_NEVER_MERGE | SLAB_DEBUG_FLAGS;

  /** {@code SLAB_MERGE_SAME}: the flags a merge target must share, and the unique id encodes. */
  public static final long SLAB_MERGE_SAME =
      SLAB_RECLAIM_ACCOUNT | SLAB_CACHE_DMA | SLAB_CACHE_DMA32 | SLAB_ACCOUNT;

  private static final Map<String, Long> BY_NAME = new LinkedHashMap<>();

  static {
    BY_NAME.put("SLAB_CONSISTENCY_CHECKS", SLAB_CONSISTENCY_CHECKS);
    BY_NAME.put("SLAB_RED_ZONE", SLAB_RED_ZONE);
    BY_NAME.put("SLAB_POISON", SLAB_POISON);
    BY_NAME.put("SLAB_KMALLOC", SLAB_KMALLOC);
    BY_NAME.put("SLAB_HWCACHE_ALIGN", SLAB_HWCACHE_ALIGN);
    BY_NAME.put("SLAB_CACHE_DMA", SLAB_CACHE_DMA);
    BY_NAME.put("SLAB_CACHE_DMA32", SLAB_CACHE_DMA32);
    BY_NAME.put("SLAB_STORE_USER", SLAB_STORE_USER);
    BY_NAME.put("SLAB_PANIC", SLAB_PANIC);
    BY_NAME.put("SLAB_TYPESAFE_BY_RCU", SLAB_TYPESAFE_BY_RCU);
    BY_NAME.put("SLAB_TRACE", SLAB_TRACE);
    BY_NAME.put("SLAB_NOLEAKTRACE", SLAB_NOLEAKTRACE);
    BY_NAME.put("SLAB_NO_MERGE", SLAB_NO_MERGE);
    BY_NAME.put("SLAB_FAILSLAB", SLAB_FAILSLAB);
    BY_NAME.put("SLAB_ACCOUNT", SLAB_ACCOUNT);
    BY_NAME.put("SLAB_NO_USER_FLAGS", SLAB_NO_USER_FLAGS);
    BY_NAME.put("SLAB_RECLAIM_ACCOUNT", SLAB_RECLAIM_ACCOUNT);
    BY_NAME.put("SLAB_SKIP_KFENCE", SLAB_SKIP_KFENCE);
  }

  /** Parses {@code F|F|...} of kernel flag names; {@code EINVAL} for an unknown name. */
  public static long parse(String spec) throws ErrnoException {
    long flags = 0;
    for (String name : spec.split("\\|")) {
      Long bit = BY_NAME.get(name);
      if (bit == null) {
        throw Errno.EINVAL.with("unknown slab flag '" + name + "'");
      }
      if (bit == SLAB_FAILSLAB) {
        // without CONFIG_FAILSLAB (the simulated kernel's config) the flag is defined as 0
        // (__SLAB_FLAG_UNUSED from 6.9): it changes nothing
        continue;
      }
      flags |= bit;
    }
    return flags;
  }

  /** The names of the set flags, joined with '|', for messages. */
  public static String names(long flags) {
    StringBuilder sb = new StringBuilder();
    BY_NAME.forEach(
        (name, bit) -> {
          if ((flags & bit) != 0) {
            sb.append(sb.length() == 0 ? "" : "|").append(name);
          }
        });
    if ((flags & SLAB_PREALLOCATED) != 0) {
      sb.append(sb.length() == 0 ? "" : "|").append("SLAB_PREALLOCATED");
    }
    return sb.toString();
  }
}
