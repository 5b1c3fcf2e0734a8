/**
 * The slab allocator: the cache list and {@code kmem_cache_create}/{@code destroy}
 * (mm/slab_common.c), and SLUB (mm/slub.c): cache geometry, per-CPU state, flushing and {@code
 * /sys/kernel/slab}.
 */
package io.slabfs.kernel.slab;
