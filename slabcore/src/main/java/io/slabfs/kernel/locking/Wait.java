package io.slabfs.kernel.locking;

import java.util.Collection;
import java.util.function.Supplier;

/**
 * Ours: simulator.
 *
 * <p>What a blocked task is waiting for, as {@link WaitQueueHead#waitEvent} records it: the
 * functions it sleeps in (for its stack trace), the queue it sleeps on (so it can be woken to break
 * a deadlock), and which tasks must act before it can go on (the wait-for graph).
 *
 * @param sleepFrames innermost first, e.g. {@code percpu_rwsem_wait, __percpu_down_read}
 * @param queue the wait queue the task sleeps on
 * @param abortable whether failing this wait leaves the model consistent (a lock not yet taken:
 *     yes; a drain half-way through a removal: no)
 */
@SuppressWarnings("ArrayRecordComponent") // built once per wait and never written
public record Wait(
    String[] sleepFrames,
    WaitQueueHead queue,
    Supplier<Collection<Task>> waitsFor,
    boolean abortable,
    long sinceNanos,
    String what) {}
