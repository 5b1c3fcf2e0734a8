package io.slabfs.kernel.locking;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Models: include/linux/sched.h.
 *
 * <p>A task ({@code struct task_struct}, reduced to what lockdep and the hung-task detector need):
 * the process that made a system call, or a kernel thread. It carries its held locks, its call
 * frames (the model's function names, for stack traces), and what it is blocked on.
 *
 * <p>The current task is per Java thread ({@link #current()}); the FUSE edge sets it from the
 * calling process for the duration of each request ({@link #runAs}). A thread that never ran as a
 * task is a kernel thread of its own.
 *
 * <p>Concurrency: held locks and frames are changed only by the task's own thread, under the task's
 * monitor, so reports from other threads ({@code sim/held_locks}, khungtaskd) read a consistent
 * copy.
 */
public final class Task {
  private static final AtomicInteger KTHREAD_PIDS = new AtomicInteger(100000);
  private static final ThreadLocal<Task> CURRENT =
      ThreadLocal.withInitial(
          () -> new Task(KTHREAD_PIDS.incrementAndGet(), kthreadName()).markKthread());

  private final int pid;
  private final Supplier<String> commSource;
  private volatile String comm;
  private volatile Thread thread;
  private final List<HeldLock> held = new ArrayList<>();
  private final ArrayDeque<String> frames = new ArrayDeque<>();
  private volatile Wait blocked;
  private volatile String victim;
  private volatile java.util.function.BooleanSupplier signals;

  /** {@code real_parent}'s pid and the thread group id, looked up when a report needs them. */
  private volatile java.util.function.IntSupplier ppidSource;

  private volatile java.util.function.IntSupplier tgidSource;

  public Task(int pid, String comm) {
    this.pid = pid;
    this.comm = comm;
    this.commSource = null;
  }

  /** A task whose command name is looked up only when a report needs it. */
  public Task(int pid, Supplier<String> comm) {
    this.pid = pid;
    this.commSource = comm;
  }

  private static String kthreadName() {
    String n = Thread.currentThread().getName();
    return n.length() > 15 ? n.substring(0, 15) : n;
  }

  /** The task the calling thread is running as ({@code current}). */
  public static Task current() {
    Task t = CURRENT.get();
    if (t.thread == null) {
      t.thread = Thread.currentThread();
    }
    return t;
  }

  /** Runs {@code body} with {@code task} as {@code current}, restoring the previous task after. */
  public static <T, E extends Exception> T runAs(Task task, ThrowingSupplier<T, E> body) throws E {
    Task previous = CURRENT.get();
    CURRENT.set(task);
    task.thread = Thread.currentThread();
    try {
      return body.get();
    } finally {
      CURRENT.set(previous);
    }
  }

  public int pid() {
    return pid;
  }

  /**
   * Sets where {@link #ppid()} and {@link #tgid()} come from (the FUSE edge reads the calling
   * thread's {@code /proc/PID/status}).
   */
  public Task withParent(java.util.function.IntSupplier tgid, java.util.function.IntSupplier ppid) {
    this.tgidSource = tgid;
    this.ppidSource = ppid;
    return this;
  }

  /** The task's fsuid ({@code current_cred()->fsuid}); kernel threads and model tasks are root. */
  private volatile int uid;

  /** Sets the credentials the task runs with (the FUSE edge takes them from the request). */
  public Task withUid(int uid) {
    this.uid = uid;
    return this;
  }

  /** {@code current_fsuid()}. */
  public int uid() {
    return uid;
  }

  /**
   * {@code capable(cap)} for the capabilities the model checks ({@code CAP_SYS_ADMIN}, {@code
   * CAP_SYSLOG}): root has all of them, every other uid none, as without file capabilities.
   */
  public boolean capable() {
    return uid == 0;
  }

  /** Whether this is a kernel thread (its parent is kthreadd). */
  public boolean isKthread() {
    return kthread || comm().startsWith("kworker/") || comm().startsWith("rcu_");
  }

  private volatile boolean kthread;

  private Task markKthread() {
    kthread = true;
    return this;
  }

  /**
   * {@code task_pid_nr(p->real_parent)}: as set by {@link #withParent}; else kthreadd (2) for a
   * kernel thread, and for a task the model made without a parent, the pid of init (1), which
   * adopts orphans.
   */
  public int ppid() {
    java.util.function.IntSupplier s = ppidSource;
    return s != null ? s.getAsInt() : isKthread() ? 2 : 1;
  }

  /** {@code task_tgid_nr()}: the process's pid; a model task is its own thread group. */
  public int tgid() {
    java.util.function.IntSupplier s = tgidSource;
    return s != null ? s.getAsInt() : pid;
  }

  /** The command name, at most 15 characters as in {@code TASK_COMM_LEN}. */
  public String comm() {
    String c = comm;
    if (c == null) {
      c = commSource.get();
      comm = c;
    }
    return c;
  }

  /** The Java thread the task last ran on. */
  public Thread thread() {
    return thread;
  }

  /** Enters a model function, for stack traces; close the frame on the way out. */
  public Frame frame(String function) {
    synchronized (this) {
      frames.push(function);
    }
    return this::popFrame;
  }

  /** Enters a function of the current task. */
  public static Frame enter(String function) {
    return current().frame(function);
  }

  private void popFrame() {
    synchronized (this) {
      frames.pop();
    }
  }

  /** The call frames, innermost first. */
  public synchronized List<String> frames() {
    return new ArrayList<>(frames);
  }

  /** The innermost frame, for {@code at:}; the task's name when it has none. */
  public synchronized String caller() {
    String top = frames.peek();
    return top == null ? "do_syscall_64" : top;
  }

  synchronized void pushHeld(HeldLock h) {
    held.add(h);
  }

  /** Removes the most recent hold of {@code map}; false if it was not held. */
  synchronized boolean popHeld(LockMap map) {
    for (int i = held.size() - 1; i >= 0; i--) {
      if (held.get(i).map() == map) {
        held.remove(i);
        return true;
      }
    }
    return false;
  }

  /** A copy of the held locks, oldest first. */
  public synchronized List<HeldLock> held() {
    return new ArrayList<>(held);
  }

  synchronized boolean holdsClass(LockClass c) {
    for (HeldLock h : held) {
      if (h.map().lockClass() == c) {
        return true;
      }
    }
    return false;
  }

  synchronized HeldLock heldOf(LockClass c) {
    for (Iterator<HeldLock> it = held.iterator(); it.hasNext(); ) {
      HeldLock h = it.next();
      if (h.map().lockClass() == c) {
        return h;
      }
    }
    return null;
  }

  /**
   * {@code fatal_signal_pending(current)}: whether the process behind this task has been killed
   * (for a FUSE request: the kernel sent {@code FUSE_INTERRUPT} for it). A long operation checks it
   * between steps and stops at a consistent point with {@code EINTR}.
   */
  public boolean fatalSignalPending() {
    java.util.function.BooleanSupplier s = signals;
    return s != null && s.getAsBoolean();
  }

  /** Where {@link #fatalSignalPending} learns of signals: set by whoever made the task. */
  public void setSignalSource(java.util.function.BooleanSupplier source) {
    signals = source;
  }

  /** What the task is blocked on now, or {@code null}. */
  public Wait blocked() {
    return blocked;
  }

  void setBlocked(Wait w) {
    blocked = w;
  }

  /** Marks this task as the one whose wait is broken; its wait throws {@link DeadlockBroken}. */
  void markVictim(String why) {
    victim = why;
  }

  void clearVictim() {
    victim = null;
  }

  /** Throws if the detector chose this task to break a deadlock. */
  void checkVictim() {
    String why = victim;
    if (why != null) {
      victim = null;
      throw new DeadlockBroken(why);
    }
  }

  @Override
  public String toString() {
    return comm() + "/" + pid;
  }

  /** A frame of {@link #frame}: closing it leaves the function. */
  @FunctionalInterface
  public interface Frame extends AutoCloseable {
    @Override
    void close();
  }

  /** A supplier that may throw. */
  @FunctionalInterface
  public interface ThrowingSupplier<T, E extends Exception> {
    T get() throws E;
  }
}
