package io.slabfs.kernel.slab;

import io.slabfs.kernel.cpu.CpuHotplug;
import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.Workqueue;
import java.util.List;

/**
 * Models: the flush and CPU-hotplug part of mm/slub.c: {@code slub_flushwq} and {@code flush_lock},
 * {@code flush_all()}, {@code flush_all_cpus_locked()} with its {@code flush_cpu_slab()} work
 * items, the flush of {@code __kmem_cache_shutdown()}, and {@code slub_cpu_dead()}.
 *
 * <p>Lock order, as in the kernel: {@code cpu_hotplug_lock} → {@code slab_mutex} → {@code
 * flush_lock}. {@link #slabCaches} is {@link SlabCommon}'s list, read under {@code slab_mutex}.
 */
final class SlubFlush {
  private final CpuHotplug hotplug;
  private final Cpus cpus;
  private final Mutex slabMutex;
  private final Mutex flushLock;

  /** {@code slab_caches}, owned by {@link SlabCommon}. */
  private final List<KmemCache> slabCaches;

  /** {@code slub_flushwq}: one worker per CPU, as {@code queue_work_on(cpu, ...)} gives. */
  private final Workqueue[] flushWq;

  SlubFlush(
      Lockdep lockdep,
      CpuHotplug hotplug,
      Mutex slabMutex,
      Mutex flushLock,
      List<KmemCache> slabCaches) {
    this.hotplug = hotplug;
    this.cpus = hotplug.cpus();
    this.slabMutex = slabMutex;
    this.flushLock = flushLock;
    this.slabCaches = slabCaches;
    this.flushWq = new Workqueue[cpus.nrPossible()];
    for (int cpu = 0; cpu < flushWq.length; cpu++) {
      flushWq[cpu] = new Workqueue(lockdep, "slub_flushwq", "kworker/" + cpu + ":1");
    }
  }

  /**
   * {@code flush_all()}: under {@code cpus_read_lock} and {@code flush_lock}, flush each online CPU
   * that has a CPU slab or partial slabs.
   */
  void flushAll(KmemCache s) {
    try (Task.Frame f = Task.enter("flush_all")) {
      hotplug.cpusReadLock();
      try {
        flushAllCpusLocked(s);
      } finally {
        hotplug.cpusReadUnlock();
      }
    }
  }

  /**
   * {@code flush_all_cpus_locked()}, called with {@code cpus_read_lock} held: under {@code
   * flush_lock}, a flush_cpu_slab work item on each CPU that has something to flush, then
   * flush_work() on each.
   */
  private void flushAllCpusLocked(KmemCache s) {
    flushLock.lock();
    try {
      var online = cpus.onlineMask();
      java.util.List<Workqueue.Work> works = new java.util.ArrayList<>();
      java.util.List<Integer> queuedOn = new java.util.ArrayList<>();
      for (int cpu = online.nextSetBit(0); cpu >= 0; cpu = online.nextSetBit(cpu + 1)) {
        if (s.hasCpuSlab(cpu)) {
          int c = cpu;
          works.add(
              flushWq[cpu].queue(
                  () -> {
                    try (Task.Frame f = Task.enter("flush_cpu_slab")) {
                      s.flushCpu(c);
                    }
                  }));
          queuedOn.add(cpu);
        }
      }
      for (int i = 0; i < works.size(); i++) {
        flushWq[queuedOn.get(i)].flushWork(works.get(i));
      }
    } finally {
      flushLock.unlock();
    }
  }

  /**
   * The flush of {@code __kmem_cache_shutdown()}: under {@code flush_lock}, every possible CPU, in
   * place.
   */
  void flushForShutdown(KmemCache s) {
    flushLock.lock();
    try {
      for (int cpu = 0; cpu < cpus.nrPossible(); cpu++) {
        s.flushCpu(cpu);
      }
    } finally {
      flushLock.unlock();
    }
  }

  /** {@code slub_cpu_dead()}: under {@code slab_mutex}, flush that CPU in every cache. */
  void slubCpuDead(int cpu) {
    try (Task.Frame f = Task.enter("slub_cpu_dead")) {
      slabMutex.lock();
      try {
        for (KmemCache s : slabCaches) {
          s.flushCpu(cpu);
        }
      } finally {
        slabMutex.unlock();
      }
    }
  }

  /** Stops the flush workers. */
  void close() {
    for (Workqueue wq : flushWq) {
      wq.close();
    }
  }
}
