package io.slabfs.kernel.locking;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A workqueue ({@code system_wq}, {@code slub_flushwq}): work items run on a kernel worker
 * thread whose task is named like the kernel's ({@code kworker/u4:1}).
 */
public final class Workqueue implements AutoCloseable {
  private final String name;
  private final ExecutorService executor;

  public Workqueue(String name, String workerName) {
    this.name = name;
    AtomicInteger n = new AtomicInteger();
    this.executor =
        Executors.newSingleThreadExecutor(
            r -> {
              Task task = new Task(0, workerName);
              Thread t =
                  new Thread(
                      () -> Task.runAs(task, () -> {
                        r.run();
                        return null;
                      }),
                      workerName + "#" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  public String name() {
    return name;
  }

  /** {@code queue_work()}: returns a handle for {@link #flushWork}. */
  public Future<?> queue(Runnable work) {
    return executor.submit(work);
  }

  /** {@code flush_work()}: waits, uninterruptibly, until the item has run. */
  public static void flushWork(Future<?> work) {
    boolean interrupted = false;
    while (true) {
      try {
        work.get();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IllegalStateException("work item failed", e.getCause());
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
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
