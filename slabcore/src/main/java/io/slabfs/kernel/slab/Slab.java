package io.slabfs.kernel.slab;

/**
 * One slab ({@code struct slab}): {@code objects} object slots on one node, {@code inuse} of
 * them allocated, and where the slab sits now. Guarded by its cache's allocator lock.
 */
final class Slab {
  /** Where a slab is: SLUB's frozen/unfrozen states and lists. */
  enum Where {
    /** A CPU's active slab ({@code c->slab}, frozen). */
    CPU,
    /** On a CPU's partial list ({@code c->partial}). */
    CPU_PARTIAL,
    /** On its node's partial list ({@code n->partial}). */
    NODE_PARTIAL,
    /** No free object and on no list (SLUB does not track full slabs without debugging). */
    FULL,
    /** Given back to the page allocator. */
    FREED
  }

  final int node;
  final int objects;
  int inuse;
  Where where;
  int cpu = -1;
  /** Index in the cache's slab list, for O(1) removal. */
  int index = -1;

  Slab(int node, int objects) {
    this.node = node;
    this.objects = objects;
  }

  int free() {
    return objects - inuse;
  }
}
