package io.slabfs.kernel.slab;

/**
 * Models: mm/slab.h.
 *
 * <p>The layout of a {@code struct kmem_cache} on x86_64 as far as KASAN reports about a static
 * cache in freed module memory show it ({@code VAR+0xa0/0x100}).
 */
final class KmemCacheLayout {
  /** Where the simulated module's data places a static {@code struct kmem_cache}. */
  static final int STATIC_OFFSET = 0x40;

  /** {@code sizeof(struct kmem_cache)}, as KASAN prints it after the variable's name. */
  static final int SIZE = 0x100;

  /** {@code offsetof(struct kmem_cache, kobj)}. */
  static final int KOBJ = 0x68;

  private KmemCacheLayout() {}
}
