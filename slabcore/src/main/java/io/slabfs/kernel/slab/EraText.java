package io.slabfs.kernel.slab;

import java.util.List;

/**
 * How the kernel of a release words its out-of-memory reports (mm/page_alloc.c {@code warn_alloc},
 * mm/show_mem.c, lib/dump_stack.c, mm/slub.c {@code slab_out_of_memory} and {@code
 * calculate_sizes}), each switch named after what it changes and set from the release it appeared
 * in. Every era of slabfs lies well on one side of each boundary.
 *
 * @param secPagetables {@code show_free_areas()} prints {@code sec_pagetables:} (6.0)
 * @param uidInDumpStack {@code dump_stack_print_info()} prints {@code UID:} (6.10)
 * @param noprofFrames the allocation entry points carry {@code _noprof} (alloc tagging, 6.10)
 * @param slubOomNamesCpu {@code SLUB: Unable to allocate memory on CPU %u (of node %d) on node %d}
 *     instead of {@code on node %d}, and {@code slab_debug=O} instead of {@code slub_debug=O}
 *     (6.12)
 * @param slabPagesAlwaysCompound {@code s->allocflags = __GFP_COMP} for every order, not only for
 *     order > 0 (6.12)
 */
record EraText(
    boolean secPagetables,
    boolean uidInDumpStack,
    boolean noprofFrames,
    boolean slubOomNamesCpu,
    boolean slabPagesAlwaysCompound) {

  static EraText of(String release) {
    String[] p = release.split("\\.");
    int v = Integer.parseInt(p[0]) * 100 + Integer.parseInt(p[1]);
    return new EraText(v >= 600, v >= 610, v >= 610, v >= 612, v >= 612);
  }

  /** The frames below {@code dump_stack_lvl} when a slab's page allocation fails. */
  List<String> allocFailureFrames() {
    return noprofFrames
        ? List.of(
            "dump_stack_lvl",
            "warn_alloc",
            "__alloc_pages_slowpath",
            "__alloc_pages_noprof",
            "alloc_pages_mpol_noprof",
            "allocate_slab",
            "___slab_alloc",
            "__slab_alloc",
            "kmem_cache_alloc_noprof")
        : List.of(
            "dump_stack_lvl",
            "warn_alloc",
            "__alloc_pages_slowpath",
            "__alloc_pages",
            "allocate_slab",
            "___slab_alloc",
            "__slab_alloc",
            "kmem_cache_alloc");
  }
}
