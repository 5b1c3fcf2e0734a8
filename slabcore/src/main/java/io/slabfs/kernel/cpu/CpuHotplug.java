package io.slabfs.kernel.cpu;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.PercpuRwSem;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitPoints;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.IntConsumer;

/**
 * Models: kernel/cpu.c.
 *
 * <p>kernel/cpu.c: {@code cpu_hotplug_lock}, {@code cpu_add_remove_lock} and the down/up paths with
 * their {@code *_DEAD} teardown callbacks (e.g. {@code slub:dead}).
 *
 * <p>Concurrency. {@code cpu_hotplug_lock} is a {@link PercpuRwSem}: a pending writer blocks new
 * readers, and read is not recursion safe. Lock order: {@code device_hotplug_lock} → {@code
 * cpu_add_remove_lock} → {@code cpu_hotplug_lock} (write) → the callbacks' locks (e.g. {@code
 * slab_mutex} in {@code slub_cpu_dead}).
 */
public final class CpuHotplug {
  private final Cpus cpus;
  private final Dmesg dmesg;
  private final WaitPoints waitPoints;
  private final PercpuRwSem cpuHotplugLock;
  private final Mutex cpuAddRemoveLock;
  private final Mutex deviceHotplugLock;
  private final List<IntConsumer> deadCallbacks = new CopyOnWriteArrayList<>();
  private final List<PrepareState> prepareStates = new CopyOnWriteArrayList<>();

  /** A startup callback of a {@code CPUHP_*_PREPARE} state; it may fail the bring-up. */
  @FunctionalInterface
  public interface Startup {
    void run(int cpu) throws ErrnoException;
  }

  /** A {@code CPUHP_*_PREPARE} state: both callbacks run on the control CPU, locked. */
  private record PrepareState(String name, Startup startup, IntConsumer teardown) {}

  public CpuHotplug(Cpus cpus, Dmesg dmesg, Lockdep lockdep, WaitPoints waitPoints) {
    this.waitPoints = waitPoints;
    this.cpus = cpus;
    this.dmesg = dmesg;
    this.cpuHotplugLock = new PercpuRwSem(lockdep, "cpu_hotplug_lock");
    this.cpuAddRemoveLock = new Mutex(lockdep, "cpu_add_remove_lock");
    this.deviceHotplugLock = new Mutex(lockdep, "device_hotplug_lock");
  }

  /** The lock itself, for tests and reports. */
  public PercpuRwSem cpuHotplugLock() {
    return cpuHotplugLock;
  }

  /** {@code lock_device_hotplug()}: taken by the {@code online} store around the change. */
  Mutex deviceHotplugLock() {
    return deviceHotplugLock;
  }

  public Cpus cpus() {
    return cpus;
  }

  /** {@code cpus_read_lock()}. */
  public void cpusReadLock() {
    cpuHotplugLock.readLock("cpus_read_lock");
  }

  /** {@code cpus_read_unlock()}. */
  public void cpusReadUnlock() {
    cpuHotplugLock.readUnlock();
  }

  /** {@code cpuhp_setup_state_nocalls(CPUHP_*_DEAD, ...)}: runs on the control CPU, locked. */
  public void registerDeadCallback(IntConsumer callback) {
    deadCallbacks.add(callback);
  }

  /**
   * {@code cpuhp_setup_state(CPUHP_*_PREPARE, name, startup, teardown)}: the startup runs now for
   * every online CPU (as {@code cpuhp_issue_call} does for CPUs at or above the state), then on
   * every bring-up before the CPU is marked online; the teardown on every take-down after it is
   * marked offline, before the {@code *_DEAD} states (which are lower). States registered later are
   * higher ({@code CPUHP_TOPOLOGY_PREPARE} is above {@code CPUHP_SLUB_DEAD}): they start later and
   * are torn down earlier.
   */
  public void setupPrepareState(String name, Startup startup, IntConsumer teardown)
      throws ErrnoException {
    // cpuhp_setup_state() runs the startups under cpus_read_lock()
    cpusReadLock();
    try {
      for (int cpu = 0; cpu < cpus.nrPossible(); cpu++) {
        if (cpus.isOnline(cpu)) {
          startup.run(cpu);
        }
      }
      prepareStates.add(new PrepareState(name, startup, teardown));
    } finally {
      cpusReadUnlock();
    }
  }

  /** {@code cpu_down(cpu, CPUHP_OFFLINE)}; a CPU already offline is a no-op. */
  public void cpuDown(int cpu) throws ErrnoException {
    checkCpu(cpu);
    if (cpu == 0) {
      // x86: cpu0 is not hotpluggable (no cpu0/online), so its device has offline_disabled
      // and device_offline() refuses before cpu_down() is reached
      throw Errno.EPERM.with(
          "cpu0 cannot be taken offline on x86 (device_offline: " + "offline_disabled)");
    }
    try (Task.Frame a = Task.enter("cpu_down")) {
      cpuAddRemoveLock.lock();
      try (Task.Frame b = Task.enter("_cpu_down")) {
        takeDown(cpu);
      } finally {
        cpuAddRemoveLock.unlock();
      }
    }
  }

  private void takeDown(int cpu) throws ErrnoException {
    {
      if (!cpus.isOnline(cpu)) {
        return;
      }
      if (cpus.numOnline() == 1) {
        throw Errno.EBUSY.with("cpu" + cpu + " is the last online CPU");
      }
      waitPoints.pass("cpu_down");
      cpuHotplugLock.writeLock("cpus_write_lock");
      try {
        cpus.setOnline(cpu, false);
        try (Task.Frame f = Task.enter("cpuhp_invoke_callback")) {
          for (int i = prepareStates.size() - 1; i >= 0; i--) {
            prepareStates.get(i).teardown().accept(cpu);
          }
          for (IntConsumer callback : deadCallbacks) {
            callback.accept(cpu);
          }
        }
      } finally {
        cpuHotplugLock.writeUnlock();
      }
      dmesg.printk("smpboot: CPU " + cpu + " is now offline");
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
      cpuHotplugLock.writeLock("cpus_write_lock");
      try (Task.Frame f = Task.enter("_cpu_up")) {
        bringUp(cpu);
      } finally {
        cpuHotplugLock.writeUnlock();
      }
      // arch/x86/kernel/smpboot.c announce_cpu(): the APIC id of the simulated topology is
      // the CPU number
      dmesg.printk(
          "smpboot: Booting Node "
              + cpus.cpuToNode(cpu)
              + " Processor "
              + cpu
              + " APIC 0x"
              + Integer.toHexString(cpu));
    } finally {
      cpuAddRemoveLock.unlock();
    }
  }

  /** {@code cpuhp_up_callbacks()}: a failing state rolls back the ones before it. */
  private void bringUp(int cpu) throws ErrnoException {
    int done = 0;
    try (Task.Frame f = Task.enter("cpuhp_invoke_callback")) {
      for (PrepareState state : prepareStates) {
        state.startup().run(cpu);
        done++;
      }
    } catch (ErrnoException e) {
      for (int i = done - 1; i >= 0; i--) {
        prepareStates.get(i).teardown().accept(cpu);
      }
      throw e;
    }
    cpus.setOnline(cpu, true);
  }

  private void checkCpu(int cpu) throws ErrnoException {
    if (cpu < 0 || cpu >= cpus.nrPossible()) {
      throw Errno.EINVAL.with("cpu" + cpu + " is not present");
    }
  }
}
