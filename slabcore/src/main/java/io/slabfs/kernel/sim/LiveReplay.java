package io.slabfs.kernel.sim;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsNode;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.PercpuRwSem;
import io.slabfs.kernel.locking.Scheduler;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.TaskList;
import io.slabfs.kernel.locking.WaitQueueHead;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs replay --mount}: the {@link Scheduler} that steers real processes on a live
 * mount through one schedule that the model computed ({@code sim/ctl replay_steps}, {@code
 * replay_begin}). It is the live counterpart of the explorer's baton: at every scheduling point
 * (the same points, skipped the same way: {@link #redundant}) a task stops, and a controller thread
 * hands the processor to the task of the next step, exactly as the model's schedule says, checking
 * at each step that the task is where the model had it (same point, asleep or not, blocking or
 * not). Where the mount does something else the replay is abandoned, never guessed at.
 *
 * <p>What it steers: the processes that registered as a scenario task ({@code replay_task NAME OP}:
 * its pid is the task from then on, and the command is the task's stop before the operation OP),
 * and the kernel threads a steered task starts while the replay runs ({@link #newKthread}: a
 * workqueue's first worker, as in the model). A kworker that existed before the replay runs on its
 * own, so a schedule that has a step of it is followed only if the mount started it during the
 * replay; otherwise the replay stops at that step and says why. Points on {@code sim/} files (the
 * task's own {@code sim/ctl.d/N} writes) are not scheduling points: the model calls those commands
 * directly. Every other thread of the mount runs as it always does.
 *
 * <p>It steps aside (uninstalls itself, every stopped task goes on as an unsteered one) when the
 * schedule is done, when the mount diverges from it, when no step happens for {@code timeout}, when
 * a steered process gets a fatal signal, on {@code replay_end} and on unmount. Progress lines go to
 * dmesg as {@code slabfs: replay: ...}.
 *
 * <p>Concurrency. Lock order: a wait queue's lock, then this monitor (sleepers and wakers hold the
 * queue's lock when they call in), then nothing. The controller takes a queue's lock only when it
 * does not hold this monitor. Tasks stopped anywhere wait with a short timeout ({@link
 * #POLL_MILLIS}), so that abandoning the replay needs no lock but this monitor, and a killed
 * process is noticed.
 *
 * <p>Why one class of about 690 lines: the controller, the steered tasks' slots and the checks of
 * each step against the model's schedule share one monitor and one state machine; split, each part
 * would hand the same slots across.
 */
public final class LiveReplay implements Scheduler {
  /** One step of the schedule: which task runs, from which point, and whether it ends asleep. */
  public record Step(String task, String label, boolean resumed, boolean blocks) {
    /** The step as one {@code replay_steps} word: {@code NAME:FLAGS:LABEL}, URL-encoded. */
    public String word() {
      return enc(task) + ":" + (resumed ? "w" : "") + (blocks ? "b" : "") + "-:" + enc(label);
    }

    static Step parse(String word) throws ErrnoException {
      String[] p = word.split(":", -1);
      if (p.length != 3 || !p[1].matches("w?b?-")) {
        throw Errno.EINVAL.with("bad step '" + SimCtl.printable(word) + "' (NAME:FLAGS:LABEL)");
      }
      try {
        return new Step(dec(p[0]), dec(p[2]), p[1].contains("w"), p[1].contains("b"));
      } catch (IllegalArgumentException e) {
        throw Errno.EINVAL.with("bad step '" + SimCtl.printable(word) + "': " + e.getMessage());
      }
    }

    private static String enc(String s) {
      return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    private static String dec(String s) {
      return java.net.URLDecoder.decode(s, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /** How often a stopped task looks whether the replay is over or its process was killed. */
  static final long POLL_MILLIS = 100;

  private enum State {
    /** Not seen yet: its process has not registered, its kworker not started. */
    ABSENT,
    AT_POINT,
    SLEEPING,
    RUNNING,
    DONE
  }

  private static final class Slot {
    final String name;
    int pid = -1;
    Thread kthread;
    State state = State.ABSENT;
    String label = "";
    WaitQueueHead queue;
    Object lock;
    BooleanSupplier condition;
    boolean idle;
    boolean woken;
    boolean go;

    Slot(String name) {
      this.name = name;
    }
  }

  private final TaskList tasks;
  private final Dmesg dmesg;
  private final List<Step> steps;
  private final long timeoutMillis;
  private final Map<String, Slot> byName = new LinkedHashMap<>();
  private final Map<Integer, Slot> byPid = new ConcurrentHashMap<>();
  private final Map<Thread, Slot> byThread = new ConcurrentHashMap<>();

  /** The slot that holds the processor, or null while the controller decides. */
  private Slot running;

  private int step;
  private volatile boolean over;
  private String outcome;

  /** Woken when the replay ends, for {@code replay_wait}. */
  private final WaitQueueHead ended;

  LiveReplay(TaskList tasks, Dmesg dmesg, List<Step> steps, long timeoutMillis, WaitQueueHead end) {
    this.tasks = tasks;
    this.dmesg = dmesg;
    this.steps = List.copyOf(steps);
    this.timeoutMillis = timeoutMillis;
    this.ended = end;
    for (Step s : steps) {
      byName.computeIfAbsent(s.task(), Slot::new);
    }
  }

  /** Installs it on the kernel and starts the controller. */
  void start() {
    tasks.setScheduler(this);
    dmesg.printk(
        "slabfs: replay: a schedule of "
            + steps.size()
            + " steps for tasks "
            + String.join(", ", byName.keySet())
            + " is installed; each task's process registers with 'replay_task NAME'");
    Thread t = new Thread(this::control, "slabfs-replay");
    t.setDaemon(true);
    t.start();
  }

  /** Whether the replay is over (done or abandoned). */
  boolean over() {
    return over;
  }

  /** How it ended: null while it runs, "done" or the reason it was abandoned. */
  synchronized String outcome() {
    return outcome;
  }

  // ---- the scenario's processes --------------------------------------------------------------

  /**
   * {@code replay_task NAME OP}: the calling process is task NAME (registered on its first call)
   * and stops before its operation OP until its step comes. Returns once it may go on; {@code
   * ECANCELED} if the replay is over (the caller goes on unsteered).
   */
  void task(String name, String op) throws ErrnoException {
    Task me = Task.current();
    Slot s;
    synchronized (this) {
      s = byName.get(name);
      if (s == null || s.kthread != null) {
        throw Errno.EINVAL.with("the schedule has no task " + name);
      }
      if (over) {
        throw Errno.ECANCELED.with("the replay is over: " + outcome);
      }
      if (s.pid == -1) {
        if (byPid.containsKey(me.pid())) {
          throw Errno.EBUSY.with("pid " + me.pid() + " is task " + byPid.get(me.pid()).name);
        }
        s.pid = me.pid();
        byPid.put(s.pid, s);
      } else if (s.pid != me.pid()) {
        throw Errno.EBUSY.with("task " + name + " is pid " + s.pid);
      } else if (s.state != State.RUNNING) {
        divergeLater(name + " stops before '" + op + "' out of turn");
        throw Errno.ECANCELED.with("out of turn");
      }
      s.label = op;
      stop(s, State.AT_POINT);
    }
    if (!awaitGrant(s)) {
      throw Errno.ECANCELED.with("the replay is over: " + outcome());
    }
  }

  /** {@code replay_exit NAME}: task NAME's process has done its last operation. */
  void exit(String name) throws ErrnoException {
    synchronized (this) {
      Slot s = byName.get(name);
      if (s == null || s.pid != Task.current().pid()) {
        throw Errno.EINVAL.with("the calling process is not task " + name);
      }
      if (over) {
        return;
      }
      if (s.state != State.RUNNING) {
        divergeLater(name + " ends out of turn");
        return;
      }
      stop(s, State.DONE);
    }
  }

  // ---- Scheduler -----------------------------------------------------------------------------

  /** The slot of the calling thread, if it is a steered one and the replay runs. */
  private Slot mine() {
    if (over) {
      return null;
    }
    Slot s = byThread.get(Thread.currentThread());
    if (s != null) {
      return s;
    }
    Task t = Task.current();
    s = byPid.get(t.pid());
    if (s == null || s.kthread != null || t.isKthread()) {
      return null;
    }
    return s;
  }

  /** Points on the simulator's own files: the model runs those commands without them. */
  private static boolean simFile(Object object) {
    return object instanceof KernfsNode kn && kn.path().startsWith("sim/");
  }

  @Override
  public void point(String op, Object object) {
    if (over || redundant(op, object) || simFile(object)) {
      return;
    }
    Slot s = mine();
    if (s == null) {
      return;
    }
    synchronized (this) {
      if (over || s.state == State.DONE) {
        return;
      }
      if (s.state != State.RUNNING) {
        divergeLater(s.name + " reached " + label(op, object) + " out of turn");
        return;
      }
      s.label = label(op, object);
      stop(s, State.AT_POINT);
    }
    awaitGrant(s);
  }

  private void stop(Slot s, State state) {
    s.state = state;
    s.go = false;
    if (running == s) {
      running = null;
    }
    notifyAll();
  }

  /** Waits for the grant; false if the replay ended first. Called without this monitor. */
  private boolean awaitGrant(Slot s) {
    Task me = Task.current();
    synchronized (this) {
      while (!s.go) {
        if (over) {
          return false;
        }
        if (me.fatalSignalPending()) {
          divergeLater(s.name + " (pid " + s.pid + ") was killed");
          return false;
        }
        try {
          wait(POLL_MILLIS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return false;
        }
      }
      return true;
    }
  }

  @Override
  public boolean sleep(WaitQueueHead queue, Object lock, BooleanSupplier condition, boolean idle) {
    Slot s = over ? byThread.get(Thread.currentThread()) : mine();
    if (s == null) {
      return false;
    }
    boolean plain;
    synchronized (this) {
      plain = over;
      if (!plain) {
        s.queue = queue;
        s.lock = lock;
        s.condition = condition;
        s.idle = idle;
        s.woken = false;
        stop(s, State.SLEEPING);
      }
    }
    if (plain) {
      if (!idle) {
        return false; // waitEvent goes on with a plain wait
      }
      // a kworker started under the replay keeps calling this scheduler while idle: a plain wait
      waitOn(lock, 0);
      return true;
    }
    Task me = Task.current();
    // we hold lock: wait() drops it while we sleep; the controller notifies it to grant
    while (!goOf(s)) {
      if (over) {
        break;
      }
      if (!s.idle && me.fatalSignalPending()) {
        divergeLater(s.name + " (pid " + s.pid + ") was killed");
        break;
      }
      waitOn(lock, POLL_MILLIS);
    }
    synchronized (this) {
      s.queue = null;
      s.lock = null;
      s.condition = null;
    }
    return true;
  }

  private synchronized boolean goOf(Slot s) {
    return s.go;
  }

  @SuppressWarnings("WaitNotInLoop") // every caller re-checks its condition in a loop
  private static void waitOn(Object lock, long millis) {
    try {
      lock.wait(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void wakeUp(WaitQueueHead queue) {
    synchronized (this) {
      if (over) {
        return;
      }
      for (Slot s : byName.values()) {
        if (s.state == State.SLEEPING
            && s.queue == queue
            && !s.woken
            && s.condition.getAsBoolean()) {
          s.woken = true;
        }
      }
    }
  }

  @Override
  public Thread newKthread(Task task, Runnable body) {
    Slot s;
    synchronized (this) {
      s = over || mine() == null ? null : byName.get(task.comm());
      if (s != null && s.state != State.ABSENT) {
        s = null;
      }
      if (s != null) {
        s.label = "worker_thread";
        s.state = State.AT_POINT;
      }
    }
    if (s == null) {
      return new Thread(body, task.comm());
    }
    Slot slot = s;
    Thread t =
        new Thread(
            () -> {
              if (awaitGrant(slot) || over) {
                body.run();
              }
              synchronized (this) {
                if (slot.state == State.RUNNING) {
                  stop(slot, State.DONE);
                }
              }
            },
            task.comm());
    synchronized (this) {
      s.kthread = t;
      byThread.put(t, s);
      notifyAll();
    }
    return t;
  }

  @Override
  public boolean manages(Thread thread) {
    return thread == Thread.currentThread() && mine() != null;
  }

  // ---- the controller ------------------------------------------------------------------------

  private void control() {
    String why = null;
    try {
      for (step = 0; step < steps.size() && why == null && !over; step++) {
        why = runStep(steps.get(step));
      }
    } catch (RuntimeException e) {
      why = "the controller failed: " + e;
    }
    finish(why);
  }

  /** Runs one step; returns why the mount did not follow it, or null. */
  private String runStep(Step st) {
    Slot s = byName.get(st.task());
    String at = "step " + (step + 1) + " of " + steps.size() + " (" + st.task() + ": " + shown(st);
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    synchronized (this) {
      while (!over && outcome == null && (s.state == State.ABSENT || s.state == State.RUNNING)) {
        if (!waitUntil(deadline)) {
          return at
              + "): "
              + (s.state == State.ABSENT
                  ? st.task().startsWith("kworker/")
                      ? st.task()
                          + " was not started by the replay (it ran before: replay on a"
                          + " fresh mount)"
                      : "task " + st.task() + " did not register"
                  : st.task() + " did not stop")
              + " in "
              + timeoutMillis / 1000
              + " s";
        }
      }
      if (over || outcome != null) {
        return outcome;
      }
      if (s.state == State.DONE) {
        return at + "): " + st.task() + " has already ended";
      }
      boolean sleeping = s.state == State.SLEEPING;
      if (sleeping != st.resumed()) {
        return at
            + "): "
            + st.task()
            + (sleeping ? " sleeps in " : " is stopped at ")
            + s.label
            + (st.resumed() ? ", not asleep" : ", not at that point");
      }
      if (!normal(s.label).equals(normal(st.label()))) {
        return at + "): " + st.task() + " is at " + s.label + " instead";
      }
    }
    if (s.state == State.SLEEPING && !awaitRunnable(s, deadline)) {
      String o = outcome();
      if (over || o != null) {
        return o;
      }
      return at + "): " + st.task() + " was not woken in " + timeoutMillis / 1000 + " s";
    }
    grant(s);
    synchronized (this) {
      while (!over && outcome == null && running == s) {
        if (!waitUntil(deadline)) {
          return at
              + "): "
              + st.task()
              + " did not reach its next point in "
              + timeoutMillis / 1000
              + " s (blocked outside the schedule)";
        }
      }
      if (over || outcome != null) {
        return outcome;
      }
      boolean blocked = s.state == State.SLEEPING && !s.idle;
      if (blocked != st.blocks()) {
        return at
            + "): "
            + st.task()
            + (blocked ? " blocked in it, the model's did not" : " did not block in it");
      }
    }
    return null;
  }

  private static String shown(Step st) {
    return (st.resumed() ? "(woken) " : "") + st.label();
  }

  private static String normal(String label) {
    return label.strip().replaceAll("\\s+", " ");
  }

  /** Waits on this monitor until notified or the deadline; false once it has passed. */
  @SuppressWarnings("WaitNotInLoop") // every caller re-checks its condition in a loop
  private boolean waitUntil(long deadline) {
    long left = (deadline - System.nanoTime()) / 1_000_000L;
    if (left <= 0) {
      return false;
    }
    try {
      wait(Math.min(left, POLL_MILLIS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    return true;
  }

  /** A sleeper can go on once woken with its condition true (checked under its queue's lock). */
  private boolean awaitRunnable(Slot s, long deadline) {
    while (System.nanoTime() < deadline) {
      Object lock;
      synchronized (this) {
        if (over || outcome != null || s.state != State.SLEEPING) {
          return false;
        }
        lock = s.woken ? s.lock : null;
      }
      if (lock != null) {
        boolean ok;
        synchronized (lock) {
          ok = s.condition.getAsBoolean();
        }
        if (ok) {
          return true;
        }
        synchronized (this) {
          s.woken = false;
        }
      }
      synchronized (this) {
        waitUntil(deadline);
      }
    }
    return false;
  }

  private void grant(Slot s) {
    Object sleepLock;
    synchronized (this) {
      sleepLock = s.state == State.SLEEPING ? s.lock : null;
      running = s;
      s.state = State.RUNNING;
      s.go = true;
      notifyAll();
    }
    if (sleepLock != null) {
      synchronized (sleepLock) {
        sleepLock.notifyAll();
      }
    }
  }

  /** A stopped task noticed the mount left the schedule: the controller ends the replay. */
  private synchronized void divergeLater(String why) {
    if (!over && outcome == null) {
      outcome = why;
    }
    notifyAll();
  }

  /** Ends the replay (why: null when the schedule was followed to its end) and steps aside. */
  private void finish(String why) {
    List<Object> locks = new ArrayList<>();
    String done;
    synchronized (this) {
      if (over) {
        return;
      }
      if (why == null && outcome != null) {
        why = outcome;
      }
      over = true;
      outcome = why == null ? "done" : why;
      done = outcome;
      for (Slot s : byName.values()) {
        if (s.state == State.SLEEPING && s.lock != null) {
          locks.add(s.lock);
        }
      }
      notifyAll();
    }
    uninstall();
    for (Object l : locks) {
      synchronized (l) {
        l.notifyAll();
      }
    }
    dmesg.printk(
        done.equals("done")
            ? "slabfs: replay: the schedule was followed to its end ("
                + steps.size()
                + " steps); the scheduler steps aside"
            : "slabfs: replay: abandoned at " + done + "; the scheduler steps aside");
    ended.wakeUpAll();
  }

  private void uninstall() {
    if (tasks.scheduler() == this) {
      tasks.setScheduler(null);
    }
  }

  /** {@code replay_end}, unmount: ends the replay now, whatever step it is at. */
  void abandon(String why) {
    synchronized (this) {
      if (over) {
        return;
      }
      divergeLater(why);
    }
    finish(why);
  }

  // ---- shared with the explorer's baton ------------------------------------------------------

  /**
   * Wait points that come right before a scheduling point of their own (a lock the path takes next)
   * or inside a lock: stopping there gives no order that stopping at that point does not. The
   * others ({@code try_module_get}, {@code module_init}, {@code module_exit}) sit in windows no
   * lock covers and stay scheduling points.
   */
  public static final Set<String> WAIT_POINTS_BEFORE_A_POINT =
      Set.of(
          "cpu_partial_store",
          "shrink_store",
          "validate_store",
          "kmem_cache_destroy",
          "cpu_down",
          "param_attr_store");

  /**
   * Whether a point gives no order of its own: a wait point of {@link #WAIT_POINTS_BEFORE_A_POINT},
   * or an open file's {@code &of->mutex}, which only the task that opened the file takes (a
   * scenario's tasks never share an open file).
   */
  public static boolean redundant(String op, Object object) {
    if (object instanceof Mutex m) {
      return m.name().equals("&of->mutex");
    }
    return op.equals("wait point") && WAIT_POINTS_BEFORE_A_POINT.contains(object);
  }

  /** How a step is shown in the schedule table: {@code mutex_lock(slab_mutex)}. */
  public static String label(String op, Object object) {
    if (object == null) {
      return op;
    }
    String what;
    if (object instanceof Mutex m) {
      what = m.name();
    } else if (object instanceof PercpuRwSem r) {
      what = r.name();
    } else if (object instanceof KernfsNode kn) {
      // the attribute and its directory, e.g. seedx/cpu_partial
      what =
          kn.parent() == null || kn.parent().name().isEmpty()
              ? kn.name()
              : kn.parent().name() + "/" + kn.name();
    } else {
      what = object.toString();
    }
    return op + "(" + what + ")";
  }
}
