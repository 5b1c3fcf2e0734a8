package io.slabfs.kernel.explore;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.HeldLock;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.Wait;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Ours: simulator.
 *
 * <p>One schedule of a scenario: a fresh kernel, the setup commands, then the tasks, one step at a
 * time, each step chosen by a {@link Chooser}, until no task can run. What happened is kept for the
 * findings: the steps, each task's results, the kernel log written after the setup, and, if tasks
 * remain that none can wake, the deadlock with its wait-for cycle.
 *
 * <p>Why one class of about 450 lines: it is one schedule's state (the kernel, the tasks' slots,
 * the steps and results), written by the drive loop and the interpreter of the scenario's
 * operations and read by the findings through about 60 lines of accessors; split, each part would
 * hand the same fields across.
 */
final class Run {
  /** Steps after which a schedule is cut: a task that spins without end. */
  static final int MAX_STEPS = 5000;

  /** A task that neither stops nor ends in this long is stuck outside the scheduler: a bug. */
  static final long STUCK_MILLIS = 30_000;

  /** Picks the task of each step. */
  interface Chooser {
    /**
     * Chooses the task of {@code step}.
     *
     * @param previous the task of the step before, or null
     * @return the task to run (one of {@code runnable}), or null to cut the schedule here
     */
    Baton.Slot choose(Run run, int step, List<Baton.Slot> runnable, Baton.Slot previous);
  }

  /** How a schedule ended. */
  enum End {
    /** Every task ran to its end. */
    DONE,
    /** Tasks remain and none can run. */
    DEADLOCK,
    /** The chooser stopped it (a state explored before). */
    CUT,
    /** {@link #MAX_STEPS} steps. */
    TOO_LONG,
    /** A task blocked outside the scheduler's control. */
    STUCK
  }

  /** One step: which task ran, from which point, and whether it went to sleep in it. */
  record Step(
      int slot,
      String label,
      boolean resumed,
      boolean blocked,
      boolean preempted,
      boolean deviates) {}

  /** The default choice: the task that ran last if it can go on, else the first that can run. */
  static Baton.Slot byDefault(List<Baton.Slot> runnable, Baton.Slot previous) {
    return runnable.contains(previous) ? previous : runnable.get(0);
  }

  private final Scenario scenario;
  private final BootOptions options;
  private Kernel kernel;
  private Baton baton;
  private final List<Step> steps = new ArrayList<>();
  private final List<Integer> choices = new ArrayList<>();
  private final Map<String, List<String>> results = new LinkedHashMap<>();
  private final List<Baton.Slot> scenarioSlots = new ArrayList<>();
  private final List<String> names = new ArrayList<>();
  private List<String> log = List.of();
  private List<String> hungReport = List.of();
  private List<String> cycle = List.of();
  private End end;
  private int preemptions;

  Run(Scenario scenario, BootOptions options) {
    this.scenario = scenario;
    this.options = options;
  }

  /** A kernel booted and set up, its setup's kworkers under its baton, ready for the tasks. */
  static final class Prepared {
    final Kernel kernel;
    final Baton baton;
    long mark;

    private Prepared(Kernel kernel, Baton baton) {
      this.kernel = kernel;
      this.baton = baton;
    }

    /** Ends a kernel that no schedule will use. */
    void discard() {
      baton.abort(STUCK_MILLIS);
      kernel.lockdep().taskList().setScheduler(null);
      kernel.close();
    }
  }

  /**
   * Boots a kernel and runs the setup commands under a baton of its own (any thread may do it: the
   * explorer prepares the next schedule's kernel while the current one runs).
   */
  static Prepared prepare(Scenario scenario, BootOptions options) throws Scenario.BadScenario {
    Kernel k;
    try {
      k = Kernel.boot(options);
    } catch (ErrnoException | IOException e) {
      throw new Scenario.BadScenario("boot failed: " + e.getMessage());
    }
    Prepared p = new Prepared(k, new Baton());
    k.lockdep().taskList().setScheduler(p.baton);
    Run setup = new Run(scenario, options);
    setup.kernel = k;
    setup.baton = p.baton;
    try {
      setup.setup();
    } catch (Scenario.BadScenario | RuntimeException e) {
      p.discard();
      throw e;
    }
    p.mark = k.dmesg().sequence();
    return p;
  }

  /** Runs the schedule on a fresh kernel. */
  Run execute(Chooser chooser) throws Scenario.BadScenario {
    return execute(prepare(scenario, options), chooser);
  }

  /** Runs the schedule on {@code p}, which it uses up. */
  Run execute(Prepared p, Chooser chooser) {
    kernel = p.kernel;
    baton = p.baton;
    try {
      long mark = p.mark;
      int pid = 1001;
      for (Scenario.TaskSpec spec : scenario.tasks()) {
        List<String> out = new ArrayList<>();
        results.put(spec.name(), out);
        Baton.Slot slot =
            baton.spawn(
                new Task(pid++, spec.name()),
                false,
                spec.ops().get(0).text(),
                () -> runOps(spec, out));
        scenarioSlots.add(slot);
      }
      for (Baton.Slot s : scenarioSlots) {
        s.thread.start();
      }
      end = drive(chooser, true);
      log = tail(kernel.dmesg().messages(), kernel.dmesg().sequence() - mark);
      if (end == End.DEADLOCK) {
        cycle = waitForCycle();
        long before = kernel.dmesg().sequence();
        kernel.hungTask().check();
        hungReport = byPid(tail(kernel.dmesg().messages(), kernel.dmesg().sequence() - before));
      }
      for (Baton.Slot s : baton.slots()) {
        names.add(s.name());
      }
    } finally {
      p.discard();
    }
    return this;
  }

  private static final java.util.regex.Pattern HUNG =
      java.util.regex.Pattern.compile("^INFO: task [^ ]*:([0-9]+) blocked for more than");

  /**
   * khungtaskd's reports in pid order, as the kernel's walk of the task list gives them (the
   * model's task list is a hash set); what follows the reports stays last.
   */
  static List<String> byPid(List<String> lines) {
    java.util.TreeMap<Integer, List<String>> blocks = new java.util.TreeMap<>();
    List<String> rest = new ArrayList<>();
    List<String> current = rest;
    for (String l : lines) {
      java.util.regex.Matcher m = HUNG.matcher(l);
      if (m.find()) {
        current = new ArrayList<>();
        blocks.put(Integer.parseInt(m.group(1)), current);
      } else if (!l.startsWith(" ")
          && !l.startsWith("INFO: task ")
          && !l.startsWith("task:")
          && !l.startsWith("Call Trace:")
          && !l.startsWith("\"echo 0")) {
        current = rest;
      }
      current.add(l);
    }
    List<String> out = new ArrayList<>();
    blocks.values().forEach(out::addAll);
    out.addAll(rest);
    return out;
  }

  private static List<String> tail(List<String> all, long n) {
    int k = (int) Math.min(all.size(), Math.max(0, n));
    return new ArrayList<>(all.subList(all.size() - k, all.size()));
  }

  /** The setup commands, as a task of their own that nothing interrupts. */
  private void setup() throws Scenario.BadScenario {
    if (scenario.setup().isEmpty()) {
      return;
    }
    String[] error = new String[1];
    Baton.Slot slot =
        baton.spawn(
            new Task(1000, "setup"),
            false,
            "setup",
            () -> {
              for (Scenario.Setup s : scenario.setup()) {
                try {
                  kernel.ctl(s.command());
                } catch (ErrnoException e) {
                  error[0] =
                      "line "
                          + s.line()
                          + ": setup "
                          + s.command()
                          + ": "
                          + e.errno().name()
                          + " ("
                          + e.why()
                          + ")";
                  return;
                }
              }
            });
    slot.thread.start();
    End e = drive((run, step, runnable, previous) -> byDefault(runnable, previous), false);
    if (error[0] != null) {
      throw new Scenario.BadScenario(error[0]);
    }
    if (e != End.DONE || slot.state != Baton.State.DONE) {
      throw new Scenario.BadScenario("the setup commands do not complete (" + e + ")");
    }
  }

  private End drive(Chooser chooser, boolean record) {
    Baton.Slot previous = null;
    int step = 0;
    while (true) {
      List<Baton.Slot> runnable = new ArrayList<>();
      for (Baton.Slot s : new ArrayList<>(baton.slots())) {
        if (baton.runnable(s)) {
          runnable.add(s);
        }
      }
      if (runnable.isEmpty()) {
        for (Baton.Slot s : baton.slots()) {
          if (s.state == Baton.State.SLEEPING && !s.idle) {
            return End.DEADLOCK;
          }
        }
        return End.DONE;
      }
      if (step >= MAX_STEPS) {
        return End.TOO_LONG;
      }
      Baton.Slot next = chooser.choose(this, step, runnable, previous);
      if (next == null) {
        return End.CUT;
      }
      boolean resumed = next.state == Baton.State.SLEEPING;
      boolean preempted = previous != null && next != previous && runnable.contains(previous);
      boolean deviates = next != byDefault(runnable, previous);
      String label = next.label;
      baton.grant(next);
      if (!baton.awaitStop(STUCK_MILLIS)) {
        return End.STUCK;
      }
      if (record) {
        if (preempted) {
          preemptions++;
        }
        choices.add(next.index);
        steps.add(
            new Step(
                next.index,
                label,
                resumed,
                next.state == Baton.State.SLEEPING && !next.idle,
                preempted,
                deviates));
      }
      previous = next;
      step++;
    }
  }

  /** A task's operations, each after a scheduling point of its own (the first is its start). */
  private void runOps(Scenario.TaskSpec spec, List<String> out) {
    List<Scenario.Op> ops = spec.ops();
    for (int i = 0; i < ops.size(); i++) {
      Scenario.Op op = ops.get(i);
      if (i > 0) {
        baton.point(op.text(), null);
      }
      String r = runOp(op);
      synchronized (out) {
        out.add(r);
      }
    }
  }

  private String runOp(Scenario.Op op) {
    Vfs vfs = kernel.vfs();
    try {
      switch (op.kind()) {
        case ECHO -> {
          long fh = vfs.open("/" + op.path(), Vfs.O_WRONLY);
          try {
            byte[] b = (op.value() + "\n").getBytes(StandardCharsets.UTF_8);
            vfs.write(fh, b, b.length);
          } finally {
            vfs.release(fh);
          }
          return "ok";
        }
        case CAT -> {
          long fh = vfs.open("/" + op.path(), Vfs.O_RDONLY);
          int total = 0;
          try {
            for (byte[] b = vfs.read(fh, 0, 4096);
                b.length > 0 && total < (1 << 20);
                b = vfs.read(fh, total, 4096)) {
              total += b.length;
            }
          } finally {
            vfs.release(fh);
          }
          return "ok";
        }
        case CTL -> {
          kernel.ctl(op.value());
          return "ok";
        }
        default -> throw new IllegalStateException(op.kind().toString());
      }
    } catch (ErrnoException e) {
      return e.errno().name();
    } catch (Baton.Abort a) {
      throw a;
    } catch (RuntimeException e) {
      kernel.bug(op.text(), e);
      return "BUG";
    }
  }

  /**
   * The wait-for cycle among the sleeping tasks, as {@code W/1001 (waits for ...)} entries, the
   * first one again at the end; empty if the waits form no cycle.
   */
  private List<String> waitForCycle() {
    Map<Task, Wait> waits = new HashMap<>();
    for (Baton.Slot s : baton.slots()) {
      Wait w = s.task.blocked();
      if (s.state == Baton.State.SLEEPING && !s.idle && w != null) {
        waits.put(s.task, w);
      }
    }
    for (Task start :
        waits.keySet().stream().sorted((a, b) -> Integer.compare(a.pid(), b.pid())).toList()) {
      List<Task> path = new ArrayList<>();
      Task t = start;
      while (t != null && !path.contains(t)) {
        path.add(t);
        Wait w = waits.get(t);
        Task next = null;
        if (w != null) {
          for (Task o : w.waitsFor().get()) {
            if (waits.containsKey(o)) {
              next = o;
              break;
            }
          }
        }
        t = next;
      }
      if (t != null) {
        List<Task> c = path.subList(path.indexOf(t), path.size());
        List<String> out = new ArrayList<>();
        for (Task x : c) {
          out.add(x + " waits in " + waits.get(x).what());
        }
        return out;
      }
    }
    return List.of();
  }

  /**
   * The state the tasks are in, for state hashing: each task's progress (steps, where it stopped,
   * whether it sleeps, the locks it holds), the task that ran last, and what the kernel shows (log
   * records, lockdep's dependencies, active references, nodes, open files, KASAN reports). Two
   * orders of the same steps that reach the same state need not both be continued.
   */
  String stateKey(Baton.Slot previous) {
    StringBuilder sb = new StringBuilder(256);
    sb.append(previous == null ? -1 : previous.index).append('|');
    for (Baton.Slot s : baton.slots()) {
      sb.append(s.index)
          .append(':')
          .append(s.state.name())
          .append(s.woken ? 'w' : '-')
          .append(s.steps)
          .append(':')
          .append(s.label)
          .append(':');
      for (HeldLock h : s.task.held()) {
        sb.append(h.map().lockClass().displayName()).append('/').append(h.read()).append(',');
      }
      sb.append('|');
    }
    sb.append(kernel.dmesg().sequence())
        .append(',')
        .append(kernel.lockdep().dependencyCount())
        .append(',')
        .append(kernel.kernfs().activeRefCount())
        .append(',')
        .append(kernel.kernfs().nodeCount())
        .append(',')
        .append(kernel.kernfs().openFileCount())
        .append(',')
        .append(kernel.kasan().reportCount());
    return sb.toString();
  }

  Scenario scenario() {
    return scenario;
  }

  BootOptions options() {
    return options;
  }

  End end() {
    return end;
  }

  List<Step> steps() {
    return steps;
  }

  /** The task of each step, by slot index. */
  List<Integer> choices() {
    return choices;
  }

  int preemptions() {
    return preemptions;
  }

  /** Task names by slot index (scenario tasks and the kworkers started). */
  List<String> names() {
    return names;
  }

  /** Slot indices of the scenario's tasks, in scenario order. */
  List<Integer> scenarioIndices() {
    return scenarioSlots.stream().map(s -> s.index).toList();
  }

  /** Each scenario task's operation results ({@code ok}, an errno name), in order. */
  Map<String, List<String>> results() {
    return results;
  }

  /** The kernel log written after the setup, without the hung-task report. */
  List<String> log() {
    return log;
  }

  /** What khungtaskd printed about the deadlock: its reports and the held locks. */
  List<String> hungReport() {
    return hungReport;
  }

  /** The deadlock's wait-for cycle, one entry per task. */
  List<String> cycle() {
    return cycle;
  }
}
