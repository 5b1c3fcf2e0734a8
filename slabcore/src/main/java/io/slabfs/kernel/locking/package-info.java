/**
 * Locks, waits and their checkers: mutexes (kernel/locking/mutex.c), percpu rw-semaphores, wait
 * queues and completions (kernel/sched/), workqueues (kernel/workqueue.c), lockdep
 * (kernel/locking/lockdep.c), the task list it walks, and khungtaskd (kernel/hung_task.c). Every
 * modeled wait goes through {@link io.slabfs.kernel.locking.WaitQueueHead}.
 */
package io.slabfs.kernel.locking;
