package io.slabfs.kernel.slab;

import io.slabfs.kernel.debug.Kasan;
import io.slabfs.kernel.kobject.KObject;

/**
 * Ours: simulator.
 *
 * <p>Where a static-duration {@code struct kmem_cache} lives (seed 000): a module's data, and the
 * module's kobject ({@code THIS_MODULE_KOBJ}), which the static-cache series pins until the cache's
 * final release.
 */
public interface StaticOwner {
  /** The module's name, shown after the ctor symbol and in KASAN reports. */
  String moduleName();

  /** {@code &THIS_MODULE->mkobj.kobj}. */
  KObject<?> kobj();

  /** The module's memory, freed at the end of {@code free_module()}. */
  Kasan.Region memory();
}
