package io.slabfs.kernel.locking;

import java.util.Objects;

/**
 * A task ({@code struct task_struct}, reduced to what reports print): the process that made a
 * system call, or a kernel thread such as {@code swapper/0} or {@code kworker/0:1}.
 *
 * <p>The current task is per Java thread ({@link #current()}); the FUSE edge sets it from the
 * calling process for the duration of each request ({@link #runAs}).
 */
public final class Task {
  private static final Task SWAPPER = new Task(0, "swapper/0");
  private static final ThreadLocal<Task> CURRENT = ThreadLocal.withInitial(() -> SWAPPER);

  private final int pid;
  private final String comm;

  public Task(int pid, String comm) {
    this.pid = pid;
    this.comm = Objects.requireNonNull(comm);
  }

  /** The task the calling thread is running as ({@code current}). */
  public static Task current() {
    return CURRENT.get();
  }

  /** The boot task. */
  public static Task swapper() {
    return SWAPPER;
  }

  /** Runs {@code body} with {@code task} as {@code current}, restoring the previous task after. */
  public static <T, E extends Exception> T runAs(Task task, ThrowingSupplier<T, E> body) throws E {
    Task previous = CURRENT.get();
    CURRENT.set(task);
    try {
      return body.get();
    } finally {
      CURRENT.set(previous);
    }
  }

  public int pid() {
    return pid;
  }

  /** The command name, at most 15 characters as in {@code TASK_COMM_LEN}. */
  public String comm() {
    return comm;
  }

  @Override
  public String toString() {
    return comm + "/" + pid;
  }

  /** A supplier that may throw. */
  @FunctionalInterface
  public interface ThrowingSupplier<T, E extends Exception> {
    T get() throws E;
  }
}
