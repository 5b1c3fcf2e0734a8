package io.slabfs.kernel.slab;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.List;
import java.util.function.Consumer;

/**
 * Models: the sysfs section of mm/slub.c: {@code slab_kset}, {@code slab_ktype} (whose {@code
 * kmem_cache_release()} calls mm/slab_common.c's {@code slab_kmem_cache_release()}), {@code
 * create_unique_id()}, {@code sysfs_slab_add()}, {@code sysfs_slab_alias()}, {@code
 * sysfs_slab_unlink()} and {@code sysfs_slab_release()}.
 *
 * <p>Concurrency: called with {@code slab_mutex} held, except unlink and release, which the era may
 * call after dropping it (see {@link SlabCommon}); {@link #slabCaches} is {@link SlabCommon}'s
 * list, read under {@code slab_mutex}.
 */
final class SlubSysfs {
  private final Sysfs sysfs;
  private final Dmesg dmesg;
  private final SlabCommon common;

  /** {@code slab_caches}, owned by {@link SlabCommon}. */
  private final List<KmemCache> slabCaches;

  private final KSet slabKset;
  private final KType<KmemCache> slabKtype;

  SlubSysfs(
      SlabCommon common,
      Sysfs sysfs,
      KObject<?> kernelKobj,
      List<KmemCache> slabCaches,
      List<Attribute<KmemCache>> attrs,
      Consumer<KmemCache> release)
      throws ErrnoException {
    this.common = common;
    this.sysfs = sysfs;
    this.dmesg = sysfs.dmesg();
    this.slabCaches = slabCaches;
    this.slabKtype =
        new KType<>() {
          @Override
          public void release(KObject<KmemCache> kobj) {
            release.accept(kobj.container());
          }

          @Override
          public List<Attribute<KmemCache>> defaultAttrs() {
            return attrs;
          }

          @Override
          public String sysfsOps() {
            return "slab_attr";
          }
        };
    this.slabKset = KSet.createAndAdd(sysfs, "slab", kernelKobj);
  }

  KSet slabKset() {
    return slabKset;
  }

  /** {@code slab_ktype}. */
  KType<KmemCache> ktype() {
    return slabKtype;
  }

  /** {@code create_unique_id()}: flag letters, then the slab size. */
  static String createUniqueId(KmemCache s) {
    StringBuilder id = new StringBuilder(":");
    if (s.hasFlag(SlabFlags.SLAB_CACHE_DMA)) {
      id.append('d');
    }
    if (s.hasFlag(SlabFlags.SLAB_CACHE_DMA32)) {
      id.append('D');
    }
    if (s.hasFlag(SlabFlags.SLAB_RECLAIM_ACCOUNT)) {
      id.append('a');
    }
    if (s.hasFlag(SlabFlags.SLAB_CONSISTENCY_CHECKS)) {
      id.append('F');
    }
    if (s.hasFlag(SlabFlags.SLAB_ACCOUNT)) {
      id.append('A');
    }
    if (id.length() > 1) {
      id.append('-');
    }
    return id.append(String.format("%07d", s.size())).toString();
  }

  /** {@code sysfs_slab_add()}: a named directory, or a unique-id directory plus a name link. */
  void sysfsSlabAdd(KmemCache s) throws ErrnoException {
    boolean unmergeable = common.slabUnmergeable(s);
    String name;
    if (unmergeable) {
      sysfsRemoveLink(s.name(), s.name());
      name = s.name();
    } else {
      name = createUniqueId(s);
    }
    try (Task.Frame f = Task.enter("kobject_init_and_add")) {
      s.kobj().initAndAdd(sysfs, null, slabKset, name);
    }
    if (!unmergeable) {
      try {
        sysfsSlabAlias(s, s.name()); // its return value is ignored in sysfs_slab_add()
      } catch (ErrnoException e) {
        // the cache lives on in its unique-id directory, without the name link
      }
    }
  }

  /** {@code sysfs_slab_alias()}: replace any stale link of that name, then link to {@code s}. */
  void sysfsSlabAlias(KmemCache s, String name) throws ErrnoException {
    try (Task.Frame f = Task.enter("sysfs_slab_alias")) {
      sysfsRemoveLink(name, name);
      if (!s.kobj().stateInSysfs()) {
        throw Errno.ENOENT.with(s.name() + " has no sysfs directory");
      }
      sysfs.createLink(slabKset.kobj().sd(), s.kobj().sd(), name);
    }
  }

  /**
   * {@code sysfs_remove_link(&slab_kset->kobj, name)} as sysfs_slab_add() and sysfs_slab_alias()
   * call it: {@code kernfs_remove_by_name()} removes the entry of that name whatever it is, so a
   * cache named like another cache's directory (its name, or its unique id) takes that directory
   * away. The kernel says nothing; a {@code slabfs:} line says which cache lost its directory (it
   * lives on, its kobject pointing at the removed node, as in the kernel).
   */
  private void sysfsRemoveLink(String name, String by) {
    var kn = sysfs.kernfs().child(slabKset.kobj().sd(), name).orElse(null);
    if (kn instanceof io.slabfs.kernel.kernfs.KernfsDir) {
      for (KmemCache c : slabCaches) {
        if (c.kobj().stateInSysfs() && c.kobj().sd() == kn) {
          dmesg.printk(
              "slabfs: creating "
                  + by
                  + " removed /kernel/slab/"
                  + name
                  + ", the "
                  + "directory of cache "
                  + c.name()
                  + " (sysfs_remove_link() removes any entry of "
                  + "that name); "
                  + c.name()
                  + " lives on without it");
        }
      }
    }
    try (Task.Frame f = Task.enter("sysfs_remove_link")) {
      sysfs.removeLink(slabKset.kobj().sd(), name);
    }
  }

  /** {@code sysfs_slab_unlink()}: {@code kobject_del}, which drains the directory. */
  void sysfsSlabUnlink(KmemCache s) {
    if (s.kobj().stateInSysfs()) {
      try (Task.Frame f = Task.enter("sysfs_slab_unlink")) {
        s.kobj().del();
      }
    }
  }

  /** {@code sysfs_slab_release()}: the final release waits for the last kobject reference. */
  void sysfsSlabRelease(KmemCache s) {
    s.kobj().put();
  }
}
