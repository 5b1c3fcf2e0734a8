/**
 * {@code slabfs explore} and {@code slabfs replay} (ours: simulator): a scenario's tasks run under
 * a deterministic scheduler that owns every modeled lock, wait and kworker ({@link
 * io.slabfs.kernel.locking.Scheduler}), schedule after schedule on a fresh kernel, to find each
 * deadlock, lockdep report, KASAN report, WARN and BUG that some order of their steps produces.
 * Sits above {@code sim}: it boots kernels.
 */
package io.slabfs.kernel.explore;
