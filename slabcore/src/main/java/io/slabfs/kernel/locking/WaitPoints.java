package io.slabfs.kernel.locking;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Ours: simulator.
 *
 * <p>Named points in kernel paths where a task can be made to wait, so an interleaving that is a
 * narrow race in the kernel can be set up on purpose (the idea of the kernel's proposed {@code
 * kernfs_debug_should_wait()} hooks). A point does nothing until it is armed ({@code pause}); then
 * every task that reaches it sleeps, visibly blocked, until it is resumed.
 *
 * <p>Concurrency: all state is guarded by this object's monitor, the lock of the wait queue that
 * parked tasks and awaiters sleep on.
 */
public final class WaitPoints {
  /** Every point the kernel code passes, in path order. */
  public static final Set<String> NAMES =
      Set.of(
          "cpu_partial_store",
          "shrink_store",
          "validate_store",
          "kmem_cache_destroy",
          "cpu_down",
          "module_init",
          "module_exit",
          "try_module_get",
          "param_attr_store");

  private final WaitQueueHead wait;
  private final Map<String, int[]> armed = new LinkedHashMap<>();

  public WaitPoints(Lockdep lockdep) {
    this.wait = new WaitQueueHead(lockdep, this);
  }

  /** Called by kernel code: sleeps here while the point is armed. */
  public void pass(String name) {
    Scheduler s = wait.scheduler();
    if (s != null) {
      s.point("wait point", name);
    }
    synchronized (this) {
      int[] parked = armed.get(name);
      if (parked == null) {
        return;
      }
      parked[0]++;
      wait.wakeUpAll();
      try {
        wait.waitEvent(
            () -> armed.get(name) != parked,
            WaitQueueHead.Sleep.on(
                "wait point " + name + " (sim/ctl resume " + name + ")",
                true,
                "slabfs_wait_point")); // the caller's frame (e.g. shrink_store) is below it
      } finally {
        parked[0]--;
      }
    }
  }

  /** {@code sim/ctl pause NAME}. */
  public synchronized void arm(String name) {
    armed.putIfAbsent(name, new int[1]);
  }

  /** {@code sim/ctl resume NAME}: wakes every task parked there and disarms it. */
  public synchronized void resume(String name) {
    armed.remove(name);
    wait.wakeUpAll();
  }

  /** Waits until at least one task is parked at {@code name}; false on timeout. */
  public synchronized boolean awaitParked(String name, long timeoutMillis) {
    return wait.waitEventInterruptibleTimeout(
        () -> {
          int[] parked = armed.get(name);
          return parked != null && parked[0] > 0;
        },
        timeoutMillis);
  }
}
