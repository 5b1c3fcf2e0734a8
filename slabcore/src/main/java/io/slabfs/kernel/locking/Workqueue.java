package io.slabfs.kernel.locking;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workqueue ({@code system_wq}, {@code slub_flushwq}) with one worker: work items run on a
 * kernel thread whose task is named like the kernel's ({@code kworker/0:1}), and a task that
 * waits for one ({@code flush_work}) is blocked on that worker, visibly to the hung-task
 * detector.
 */
public final class Workqueue implements AutoCloseable {
  private static final AtomicInteger KWORKER_PIDS = new AtomicInteger(200);

  private final String name;
  private final Lockdep lockdep;
  private final Task worker;
  private final ExecutorService executor;

  public Workqueue(Lockdep lockdep, String name, String workerName) {
    this.name = name;
    this.lockdep = lockdep;
    this.worker = new Task(KWORKER_PIDS.incrementAndGet(), workerName);
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(() -> Task.runAs(worker, () -> {
                r.run();
                return null;
              }), workerName);
              t.setDaemon(true);
              return t;
            });
  }

  public String name() {
    return name;
  }

  /** {@code queue_work()}: returns a handle for {@link #flushWork}. */
  public Future<?> queue(Runnable work) {
    return executor.submit(() -> {
      try (Task.Frame f = Task.enter("process_one_work")) {
        work.run();
      }
    });
  }

  /** {@code flush_work()}: waits, uninterruptibly, until the item has run. */
  public void flushWork(Future<?> work) {
    if (work.isDone()) {
      return;
    }
    lockdep.block(new Wait(new String[] {"wait_for_completion", "__flush_work", "flush_work"},
        new Object(), () -> List.of(worker), false, System.nanoTime(),
        "work on " + worker.comm()));
    try {
      while (true) {
        try {
          work.get();
          return;
        } catch (InterruptedException e) {
          // D state: only the work's completion ends the wait
        } catch (ExecutionException e) {
          throw new IllegalStateException("work item failed on " + worker, e.getCause());
        }
      }
    } finally {
      lockdep.unblock();
    }
  }

  /** {@code flush_workqueue()}: waits for everything queued so far. */
  public void flush() {
    flushWork(queue(() -> {}));
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
