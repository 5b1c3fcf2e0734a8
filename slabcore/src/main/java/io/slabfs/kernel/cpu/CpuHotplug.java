package io.slabfs.kernel.cpu;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Mutex;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntConsumer;

/**
 * kernel/cpu.c: {@code cpu_hotplug_lock}, {@code cpu_add_remove_lock} and the down/up paths
 * with their {@code *_DEAD} teardown callbacks (e.g. {@code slub:dead}).
 *
 * <p>Concurrency. {@code cpu_hotplug_lock} is a percpu rw-semaphore with writer preference: a
 * fair {@link ReentrantReadWriteLock} gives that (a queued writer blocks new readers). Lock
 * order: {@code cpu_add_remove_lock} → {@code cpu_hotplug_lock} (write) → callbacks' locks.
 */
public final class CpuHotplug {
  private final Cpus cpus;
  private final Dmesg dmesg;
  private final ReentrantReadWriteLock cpuHotplugLock = new ReentrantReadWriteLock(true);
  private final Mutex cpuAddRemoveLock = new Mutex("cpu_add_remove_lock");
  private final List<IntConsumer> deadCallbacks = new CopyOnWriteArrayList<>();

  public CpuHotplug(Cpus cpus, Dmesg dmesg) {
    this.cpus = cpus;
    this.dmesg = dmesg;
  }

  public Cpus cpus() {
    return cpus;
  }

  /** {@code cpus_read_lock()}. */
  public void cpusReadLock() {
    cpuHotplugLock.readLock().lock();
  }

  /** {@code cpus_read_unlock()}. */
  public void cpusReadUnlock() {
    cpuHotplugLock.readLock().unlock();
  }

  /** {@code cpuhp_setup_state_nocalls(CPUHP_*_DEAD, ...)}: runs on the control CPU, locked. */
  public void registerDeadCallback(IntConsumer callback) {
    deadCallbacks.add(callback);
  }

  /** {@code cpu_down(cpu, CPUHP_OFFLINE)}; a CPU already offline is a no-op. */
  public void cpuDown(int cpu) throws ErrnoException {
    checkCpu(cpu);
    cpuAddRemoveLock.lock();
    try {
      if (!cpus.isOnline(cpu)) {
        return;
      }
      if (cpus.numOnline() == 1) {
        throw Errno.EBUSY.with("cpu" + cpu + " is the last online CPU");
      }
      cpuHotplugLock.writeLock().lock();
      try {
        cpus.setOnline(cpu, false);
        for (IntConsumer callback : deadCallbacks) {
          callback.accept(cpu);
        }
      } finally {
        cpuHotplugLock.writeLock().unlock();
      }
      dmesg.printk("smpboot: CPU " + cpu + " is now offline");
    } finally {
      cpuAddRemoveLock.unlock();
    }
  }

  /** {@code cpu_up(cpu, CPUHP_ONLINE)}; a CPU already online is a no-op. */
  public void cpuUp(int cpu) throws ErrnoException {
    checkCpu(cpu);
    cpuAddRemoveLock.lock();
    try {
      if (cpus.isOnline(cpu)) {
        return;
      }
      cpuHotplugLock.writeLock().lock();
      try {
        cpus.setOnline(cpu, true);
      } finally {
        cpuHotplugLock.writeLock().unlock();
      }
      dmesg.printk("smpboot: Booting Node " + cpus.cpuToNode(cpu) + " Processor " + cpu);
    } finally {
      cpuAddRemoveLock.unlock();
    }
  }

  private void checkCpu(int cpu) throws ErrnoException {
    if (cpu < 0 || cpu >= cpus.nrPossible()) {
      throw Errno.EINVAL.with("cpu" + cpu + " is not present");
    }
  }
}
