package io.slabfs.kernel.slab;

import static io.slabfs.kernel.slab.KmemCache.SO_ALL;
import static io.slabfs.kernel.slab.KmemCache.SO_CPU;
import static io.slabfs.kernel.slab.KmemCache.SO_OBJECTS;
import static io.slabfs.kernel.slab.KmemCache.SO_PARTIAL;
import static io.slabfs.kernel.slab.KmemCache.SO_TOTAL;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Kstrtox;
import java.util.ArrayList;
import java.util.List;

/**
 * Models: mm/slub.c.
 *
 * <p>{@code slab_attrs[]} of mm/slub.c: every file of a {@code /sys/kernel/slab} cache directory in
 * the kernel's order, with the kernel's modes ({@code SLAB_ATTR_RO} = 0400, {@code SLAB_ATTR} =
 * 0600), output formats and store handlers, for a kernel configured as the reference machine
 * ({@code SLUB_DEBUG}, {@code ZONE_DMA}, {@code NUMA}, {@code HARDENED_USERCOPY}; no {@code
 * SLUB_STATS}, {@code FAILSLAB} or {@code KFENCE}).
 */
final class SlabAttrs {
  private final SlabCommon slab;
  private final KernelEra era;

  SlabAttrs(SlabCommon slab) {
    this.slab = slab;
    this.era = slab.era();
  }

  List<Attribute<KmemCache>> attrs() {
    List<Attribute<KmemCache>> a = new ArrayList<>();
    a.add(ro("slab_size", s -> u(s.size())));
    a.add(ro("object_size", s -> u(s.objectSize())));
    a.add(ro("objs_per_slab", s -> u(s.objsPerSlab())));
    a.add(ro("order", s -> u(s.order())));
    if (era.sheaves()) {
      a.add(ro("sheaf_capacity", s -> u(s.sheafCapacity())));
    }
    a.add(rw("min_partial", s -> u(s.minPartial()), this::minPartialStore));
    a.add(rw("cpu_partial", this::cpuPartialShow, this::cpuPartialStore));
    a.add(ro("objects_partial", s -> s.showSlabObjects(SO_PARTIAL | SO_OBJECTS)));
    a.add(ro("partial", s -> s.showSlabObjects(SO_PARTIAL)));
    a.add(ro("cpu_slabs", s -> era.cpuSlabsGone() ? "0\n" : s.showSlabObjects(SO_CPU)));
    a.add(ro("ctor", SlabAttrs::ctorShow));
    a.add(ro("aliases", s -> d(s.refcount() < 0 ? 0 : s.refcount() - 1)));
    a.add(ro("align", s -> u(s.align())));
    a.add(ro("hwcache_align", flag(SlabFlags.SLAB_HWCACHE_ALIGN)));
    a.add(ro("reclaim_account", flag(SlabFlags.SLAB_RECLAIM_ACCOUNT)));
    a.add(ro("destroy_by_rcu", flag(SlabFlags.SLAB_TYPESAFE_BY_RCU)));
    a.add(rw("shrink", s -> "", this::shrinkStore));
    a.add(ro("slabs_cpu_partial", s -> era.cpuSlabsGone() ? "0(0)\n" : s.showSlabsCpuPartial()));
    // CONFIG_SLUB_DEBUG
    a.add(ro("total_objects", s -> s.showSlabObjects(SO_ALL | SO_TOTAL)));
    a.add(ro("objects", s -> s.showSlabObjects(SO_ALL | SO_OBJECTS)));
    a.add(ro("slabs", s -> s.showSlabObjects(SO_ALL)));
    a.add(ro("sanity_checks", flag(SlabFlags.SLAB_CONSISTENCY_CHECKS)));
    a.add(ro("trace", flag(SlabFlags.SLAB_TRACE)));
    a.add(ro("red_zone", flag(SlabFlags.SLAB_RED_ZONE)));
    a.add(ro("poison", flag(SlabFlags.SLAB_POISON)));
    a.add(ro("store_user", flag(SlabFlags.SLAB_STORE_USER)));
    a.add(rw("validate", s -> "", this::validateStore));
    // CONFIG_ZONE_DMA
    a.add(ro("cache_dma", flag(SlabFlags.SLAB_CACHE_DMA)));
    // CONFIG_NUMA
    a.add(
        rw(
            "remote_node_defrag_ratio",
            s -> u(s.remoteNodeDefragRatio() / 10),
            this::remoteNodeDefragRatioStore));
    // CONFIG_HARDENED_USERCOPY
    a.add(ro("usersize", s -> u(s.usersize())));
    return List.copyOf(a);
  }

  private static Attribute<KmemCache> ro(String name, Attribute.Show<KmemCache> show) {
    return Attribute.ro(name, 0400, show);
  }

  private static Attribute<KmemCache> rw(
      String name, Attribute.Show<KmemCache> show, Attribute.Store<KmemCache> store) {
    return Attribute.rw(name, 0600, show, store);
  }

  private static String u(long v) {
    return Long.toUnsignedString(v) + "\n";
  }

  private static String d(int v) {
    return v + "\n";
  }

  private static Attribute.Show<KmemCache> flag(long bit) {
    return s -> s.hasFlag(bit) ? "1\n" : "0\n";
  }

  /** {@code ctor_show}: nothing at all without a ctor, else {@code %pS}. */
  private static String ctorShow(KmemCache s) {
    if (s.ctor() == null) {
      return "";
    }
    // %pS needs the function's size, which a symbol name alone does not carry: a ctor given
    // as "sym+0x0/0x30" keeps its size, a bare "sym" gets a plausible one.
    String sym =
        s.ctor().contains("+")
            ? s.ctor()
            : s.ctor() + "+0x0/0x" + Integer.toHexString(0x10 * (1 + s.ctor().length() % 8));
    return s.ctorModule() == null ? sym + "\n" : sym + " [" + s.ctorModule() + "]\n";
  }

  private String cpuPartialShow(KmemCache s) {
    return era.cpuSlabsGone() ? "0\n" : u(s.cpuPartial() & 0xFFFF_FFFFL);
  }

  /**
   * {@code cpu_partial_store}: up to 6.18 any u32 (nonzero only with cpu partial), then {@code
   * flush_all}; 7.x accepts only 0 and does nothing.
   */
  private int cpuPartialStore(KmemCache s, byte[] buf, int len) throws ErrnoException {
    long objects = Kstrtox.kstrtouint(buf, 10);
    if (era.cpuSlabsGone()) {
      if (objects != 0) {
        throw Errno.EINVAL.with("cpu_partial: only 0 is accepted");
      }
      return len;
    }
    if (objects != 0 && !s.hasCpuPartial()) {
      throw Errno.EINVAL.with("cpu_partial: " + s.name() + " has no per-CPU partial lists");
    }
    s.setCpuPartial(objects);
    slab.waitPoints().pass("cpu_partial_store");
    slab.flushAll(s);
    return len;
  }

  /** {@code min_partial_store}: any unsigned long. */
  private int minPartialStore(KmemCache s, byte[] buf, int len) throws ErrnoException {
    s.setMinPartial(Kstrtox.kstrtoul(buf, 10));
    return len;
  }

  /** {@code remote_node_defrag_ratio_store}: 0 to 100, stored times ten. */
  private int remoteNodeDefragRatioStore(KmemCache s, byte[] buf, int len) throws ErrnoException {
    long ratio = Kstrtox.kstrtouint(buf, 10);
    if (ratio > 100) {
      throw Errno.ERANGE.with("remote_node_defrag_ratio must be at most 100");
    }
    s.setRemoteNodeDefragRatio((int) ratio * 10);
    return len;
  }

  /** {@code shrink_store}: only {@code buf[0] == '1'} counts. */
  private int shrinkStore(KmemCache s, byte[] buf, int len) throws ErrnoException {
    if (buf[0] != '1') {
      throw Errno.EINVAL.with("shrink: write 1");
    }
    slab.waitPoints().pass("shrink_store");
    slab.shrink(s);
    return len;
  }

  /** {@code validate_store}: {@code '1'} on a debug cache only. */
  private int validateStore(KmemCache s, byte[] buf, int len) throws ErrnoException {
    if (buf[0] != '1' || !s.isDebug()) {
      throw Errno.EINVAL.with(
          s.isDebug() ? "validate: write 1" : "validate: " + s.name() + " has no debug flags");
    }
    slab.waitPoints().pass("validate_store");
    slab.flushAll(s);
    for (String problem : s.validate()) {
      slab.dmesg().printk("BUG " + s.name() + " (" + slab.dmesg().taint() + "): " + problem);
    }
    return len;
  }
}
