package io.slabfs.kernel.slab;

/**
 * {@code n} slabs ({@code struct slab}) in the same state: on the same node, of the same order and
 * capacity, with the same number of objects in use, in the same place. Ours: the kernel has one
 * {@code struct slab} per slab; the model keeps slabs that nothing can tell apart as one run, so
 * its memory grows with the number of distinct states, not with slabs or objects.
 *
 * <p>A run's slabs are consecutive in the cache's creation order ({@link #prev}/{@link #next}) and,
 * when the run is on a list, consecutive there too ({@link #lprev}/{@link #lnext}): in the same
 * order, or, for slabs that were pushed to the list's head one after the other ({@link #rev}), in
 * the opposite one. Guarded by its cache's allocator lock.
 */
final class Slab {
  /** Where a slab is: SLUB's frozen/unfrozen states and lists. */
  enum Where {
    /** A CPU's active slab ({@code c->slab}, frozen); such a run is always one slab. */
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

  /** {@code slab->objects}: objects per slab (fewer for a min-order fallback slab). */
  final int objects;

  final int order;

  /** How many slabs this run stands for. */
  long n;

  /** {@code slab->inuse} of each slab of the run. */
  int inuse;

  Where where;
  int cpu = -1;

  /** Neighbours in creation order. */
  Slab prev;

  Slab next;

  /** The list the run is on (CPU or node partial), and its neighbours there. */
  SlabList list;

  Slab lprev;
  Slab lnext;

  /** On its list, the run's slabs are in the reverse of their creation order. */
  boolean rev;

  Slab(int node, int objects, int order, long n) {
    this.node = node;
    this.objects = objects;
    this.order = order;
    this.n = n;
  }

  int free() {
    return objects - inuse;
  }

  /** Whether {@code o} is in a state nothing can tell apart from this run's. */
  boolean sameState(Slab o) {
    return o.node == node
        && o.objects == objects
        && o.order == order
        && o.inuse == inuse
        && o.where == where
        && o.cpu == cpu
        && o.list == list
        && where != Where.CPU;
  }

  /** A doubly linked list of runs ({@code c->partial} or {@code n->partial}). */
  static final class SlabList {
    Slab head;
    Slab tail;

    /** Slabs on the list ({@code n->nr_partial}, or the CPU partial list's length). */
    long slabs;

    boolean isEmpty() {
      return head == null;
    }

    void addFirst(Slab s) {
      s.list = this;
      s.lprev = null;
      s.lnext = head;
      if (head != null) {
        head.lprev = s;
      } else {
        tail = s;
      }
      head = s;
      slabs += s.n;
    }

    void addLast(Slab s) {
      s.list = this;
      s.lnext = null;
      s.lprev = tail;
      if (tail != null) {
        tail.lnext = s;
      } else {
        head = s;
      }
      tail = s;
      slabs += s.n;
    }

    /** Puts {@code s} just after {@code at}, which is on this list. */
    void addAfter(Slab at, Slab s) {
      s.list = this;
      s.lprev = at;
      s.lnext = at.lnext;
      if (at.lnext != null) {
        at.lnext.lprev = s;
      } else {
        tail = s;
      }
      at.lnext = s;
      slabs += s.n;
    }

    /** Puts {@code s} just before {@code at}, which is on this list. */
    void addBefore(Slab at, Slab s) {
      s.list = this;
      s.lnext = at;
      s.lprev = at.lprev;
      if (at.lprev != null) {
        at.lprev.lnext = s;
      } else {
        head = s;
      }
      at.lprev = s;
      slabs += s.n;
    }

    void remove(Slab s) {
      if (s.lprev != null) {
        s.lprev.lnext = s.lnext;
      } else {
        head = s.lnext;
      }
      if (s.lnext != null) {
        s.lnext.lprev = s.lprev;
      } else {
        tail = s.lprev;
      }
      s.lprev = null;
      s.lnext = null;
      s.list = null;
      slabs -= s.n;
    }

    /** The number of runs, for the model's own bookkeeping. */
    int runs() {
      int r = 0;
      for (Slab s = head; s != null; s = s.lnext) {
        r++;
      }
      return r;
    }
  }
}
