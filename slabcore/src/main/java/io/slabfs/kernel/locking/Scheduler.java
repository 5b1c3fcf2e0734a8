package io.slabfs.kernel.locking;

import java.util.function.BooleanSupplier;

/**
 * Ours: simulator.
 *
 * <p>A scheduler that takes over the model's interleavings ({@code slabfs explore}): it runs one
 * task at a time and decides, at every scheduling point, which task goes on. A normal boot has none
 * ({@link TaskList#scheduler()} is {@code null}), and every hook costs one volatile read.
 *
 * <p>The hooks are few: a {@link #point} before every lock acquisition, active-reference get,
 * drain, completion wait and wait point; {@link #sleep} where {@link WaitQueueHead} would sleep;
 * {@link #wakeUp} where it wakes; {@link #newKthread} where a workqueue starts its worker. Each
 * returns at once for a thread the scheduler does not manage, which then behaves as it always does.
 */
public interface Scheduler {
  /**
   * A scheduling point: the current task is about to do {@code op} on {@code object} (a {@link
   * Mutex}, {@link PercpuRwSem}, kernfs node, a description). The caller holds no monitor. Returns
   * when the scheduler lets the task go on.
   */
  void point(String op, Object object);

  /**
   * {@link WaitQueueHead#waitEvent} found {@code condition} false: the current task sleeps on
   * {@code queue} until a {@link #wakeUp} of it finds the condition true and the scheduler picks
   * it. Called holding the queue's lock, which the scheduler drops (with {@code lock.wait()}) while
   * the task sleeps. Returns false, having done nothing, for a thread it does not manage.
   *
   * @param idle an idle sleep ({@code TASK_IDLE}, a worker waiting for work): not a deadlock
   */
  boolean sleep(WaitQueueHead queue, Object lock, BooleanSupplier condition, boolean idle);

  /** {@link WaitQueueHead#wakeUpAll}, called holding the queue's lock. */
  void wakeUp(WaitQueueHead queue);

  /** A thread for a kernel thread ({@code kthread_run}) that runs {@code body} as {@code task}. */
  Thread newKthread(Task task, Runnable body);

  /** Whether the current thread is one of the scheduler's tasks. */
  boolean manages(Thread thread);
}
