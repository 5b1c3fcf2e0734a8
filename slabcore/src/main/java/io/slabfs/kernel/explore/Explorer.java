package io.slabfs.kernel.explore;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.LiveReplay;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs explore} and {@code slabfs replay}: runs a scenario's tasks under the
 * deterministic scheduler, schedule after schedule, each on a freshly booted kernel, and reports
 * every distinct finding once, with its schedule and a token that replays it.
 *
 * <p>Strategies: {@code dfs} (default) explores depth-first over the choice of task at each step,
 * at most {@code preemptions} times taking the processor from a task that could go on (a switch
 * when a task blocks or ends is free), and cuts a schedule where it reaches a state already
 * explored with no more preemptions used ({@link Run#stateKey}); when the search ends by itself it
 * was exhaustive within the bound. {@code random} picks a runnable task uniformly at each step;
 * {@code pct} is probabilistic concurrency testing (random priorities, {@code preemptions} random
 * priority change points), for scenarios too large to exhaust. The strategies' choosers are {@link
 * Dfs} and {@link Pct}.
 *
 * <p>Why one class of a little over 400 lines: the search and its report share the visited states,
 * the findings and the counters the summary prints.
 */
public final class Explorer {
  /** How schedules are chosen. */
  public enum Strategy {
    DFS,
    RANDOM,
    PCT
  }

  /** The exploration's options. */
  public record Options(
      Strategy strategy, int preemptions, long maxSchedules, long seed, boolean stateHashing) {
    /** dfs, 2 preemptions, at most a million schedules, seed 1, state hashing on. */
    public static Options defaults() {
      return new Options(Strategy.DFS, 2, 1_000_000, 1, true);
    }
  }

  /** What an exploration found and how long it took. */
  public record Summary(
      long schedules,
      long complete,
      long cut,
      long states,
      double seconds,
      boolean exhaustive,
      List<String> findings,
      List<String> tokens) {
    public double schedulesPerSecond() {
      return seconds > 0 ? schedules / seconds : 0;
    }
  }

  private Explorer() {}

  /** The boot of every schedule: fixed seed, no khungtaskd of its own, deadlocks left hanging. */
  public static BootOptions boot(KernelEra era, int cpus, BootSet set) {
    return BootOptions.defaults()
        .withEra(era)
        .withCpus(cpus, 1)
        .withBootSet(set)
        .withSeed(1)
        .withHungTask(0, BootOptions.DeadlockMode.HANG, false);
  }

  /** Explores {@code scenario}, printing the findings and a summary line to {@code out}. */
  public static Summary explore(Scenario scenario, BootOptions boot, Options o, PrintStream out)
      throws Scenario.BadScenario {
    long start = System.nanoTime();
    Map<String, Finding> seen = new LinkedHashMap<>();
    Map<String, long[]> outcomes = new LinkedHashMap<>();
    Map<String, String> outcomeTokens = new HashMap<>();
    List<String> tokens = new ArrayList<>();
    long schedules = 0;
    long complete = 0;
    long cut = 0;
    boolean exhaustive = false;
    Dfs dfs = new Dfs(o.preemptions(), o.stateHashing());
    Random random = new Random(o.seed());
    int longest = 0;
    // the next schedule's kernel boots (and runs the setup) while this one runs
    ExecutorService preparer =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread t = new Thread(r, "explore-boot");
              t.setDaemon(true);
              return t;
            });
    Future<Run.Prepared> next = preparer.submit(() -> Run.prepare(scenario, boot));
    try {
      while (schedules < o.maxSchedules()) {
        Run.Chooser chooser =
            switch (o.strategy()) {
              case DFS -> dfs;
              case RANDOM -> {
                Random r = new Random(random.nextLong());
                yield (run, step, runnable, previous) -> runnable.get(r.nextInt(runnable.size()));
              }
              case PCT ->
                  new Pct(
                      new Random(random.nextLong()), o.preemptions() + 1, Math.max(longest, 20));
            };
        Run run;
        try {
          Run.Prepared p = next.get();
          next =
              schedules + 1 < o.maxSchedules()
                  ? preparer.submit(() -> Run.prepare(scenario, boot))
                  : null;
          run = new Run(scenario, boot).execute(p, chooser);
        } catch (Dfs.NotDeterministic e) {
          out.println("slabfs: explore: " + e.getMessage() + "; stopping");
          break;
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof Scenario.BadScenario b) {
            throw b;
          }
          throw new IllegalStateException(e.getCause());
        }
        schedules++;
        longest = Math.max(longest, run.steps().size());
        if (run.end() == Run.End.CUT) {
          cut++;
        } else {
          complete++;
        }
        if (run.end() == Run.End.STUCK || run.end() == Run.End.TOO_LONG) {
          out.println(
              "slabfs: explore: schedule "
                  + schedules
                  + " "
                  + (run.end() == Run.End.STUCK
                      ? "left a task stuck outside the scheduler"
                      : "ran " + Run.MAX_STEPS + " steps without an end")
                  + "; cut there");
        }
        if (run.end() != Run.End.CUT) {
          String outcome = outcome(run);
          if (outcomes.computeIfAbsent(outcome, k -> new long[1])[0]++ == 0) {
            outcomeTokens.put(
                outcome, Token.of(boot.era(), boot.cpus(), scenario.hash(), run).toString());
          }
        }
        for (Finding f : Finding.of(run)) {
          if (seen.putIfAbsent(f.key(), f) == null) {
            Token t = Token.of(boot.era(), boot.cpus(), scenario.hash(), run);
            tokens.add(t.toString());
            print(out, seen.size(), schedules, f, run, t);
          }
        }
        if (o.strategy() == Strategy.DFS && !dfs.backtrack()) {
          exhaustive = true;
          break;
        }
      }
    } finally {
      if (next != null) {
        try {
          next.get().discard();
        } catch (InterruptedException | ExecutionException e) {
          // nothing was left to end
        }
      }
      preparer.shutdown();
    }
    out.println("== outcomes (each task's results; a schedule cut early has none)");
    for (Map.Entry<String, long[]> e : outcomes.entrySet()) {
      out.println(
          String.format(
              Locale.ROOT,
              "%7d x  %s   replay: %s",
              e.getValue()[0],
              e.getKey(),
              outcomeTokens.get(e.getKey())));
    }
    double secs = (System.nanoTime() - start) / 1e9;
    Summary s =
        new Summary(
            schedules,
            complete,
            cut,
            dfs.visited.size(),
            secs,
            exhaustive,
            seen.values().stream().map(Finding::title).toList(),
            tokens);
    out.println(summaryLine(scenario, boot, o, s));
    return s;
  }

  /** Each task's results, e.g. {@code W: ok | D: ok | H: EDEADLK}; "blocked" if unfinished. */
  static String outcome(Run run) {
    List<String> parts = new ArrayList<>();
    int i = 0;
    for (Map.Entry<String, List<String>> e : run.results().entrySet()) {
      List<String> r = new ArrayList<>(e.getValue());
      if (r.size() < run.scenario().tasks().get(i).ops().size()) {
        r.add("blocked");
      }
      parts.add(e.getKey() + ": " + String.join(", ", r));
      i++;
    }
    return String.join(" | ", parts);
  }

  static String summaryLine(Scenario scenario, BootOptions boot, Options o, Summary s) {
    String how =
        switch (o.strategy()) {
          case DFS ->
              s.exhaustive()
                  ? "exhaustive within "
                      + o.preemptions()
                      + " preemption"
                      + (o.preemptions() == 1 ? "" : "s")
                  : "not exhaustive: stopped at --schedules " + o.maxSchedules();
          case RANDOM -> "random, seed " + o.seed() + ": not exhaustive";
          case PCT ->
              "pct depth " + (o.preemptions() + 1) + ", seed " + o.seed() + ": not exhaustive";
        };
    String found =
        s.findings().isEmpty()
            ? "nothing found"
            : s.findings().size() + " finding" + (s.findings().size() == 1 ? "" : "s");
    return String.format(
        Locale.ROOT,
        "slabfs explore: %s on %s: %s; %d schedules (%d run to the end, %d cut at a state "
            + "explored before), %d distinct states, %.2f s, %.0f schedules/s; %s",
        scenario.name(),
        boot.era().id(),
        found,
        s.schedules(),
        s.complete(),
        s.cut(),
        s.states(),
        s.seconds(),
        s.schedulesPerSecond(),
        how);
  }

  /**
   * What a replay in the model showed, for {@code slabfs replay --mount}: the summary, the token's
   * era and CPU count, the schedule step by step, and how it ended.
   *
   * @param steps the schedule, as the live mount is to follow it
   * @param deadlocked whether the schedule ended with tasks that none could wake
   * @param results each scenario task's operation results ({@code ok}, an errno name, {@code
   *     blocked} for an operation that never ended)
   */
  public record Replayed(
      Summary summary,
      KernelEra era,
      int cpus,
      List<LiveReplay.Step> steps,
      boolean deadlocked,
      Map<String, List<String>> results) {}

  /**
   * Runs the schedule of {@code token} once and prints what it shows. The token's era and CPU count
   * are the boot's; a token made for another scenario is refused.
   */
  public static Summary replay(Scenario scenario, String token, BootSet set, PrintStream out)
      throws Scenario.BadScenario {
    return replayed(scenario, token, set, out).summary();
  }

  /** {@link #replay}, and the schedule it ran. */
  public static Replayed replayed(Scenario scenario, String token, BootSet set, PrintStream out)
      throws Scenario.BadScenario {
    Token t;
    try {
      t = Token.parse(token);
    } catch (IllegalArgumentException e) {
      throw new Scenario.BadScenario("bad token '" + token + "': " + e.getMessage());
    }
    if (!t.scenarioHash().equals(scenario.hash())) {
      throw new Scenario.BadScenario(
          "the token was made for another scenario (scenario "
              + t.scenarioHash()
              + ", this is "
              + scenario.hash()
              + ")");
    }
    BootOptions boot = boot(t.era(), t.cpus(), set);
    long start = System.nanoTime();
    Run run;
    try {
      run =
          new Run(scenario, boot)
              .execute(
                  (r, step, runnable, previous) -> {
                    Integer want = t.choices().get(step);
                    if (want == null) {
                      return Run.byDefault(runnable, previous);
                    }
                    for (Baton.Slot s : runnable) {
                      if (s.index == want) {
                        return s;
                      }
                    }
                    throw new Dfs.NotDeterministic(
                        "step " + step + " of the token: task " + want + " cannot run there");
                  });
    } catch (Dfs.NotDeterministic e) {
      throw new Scenario.BadScenario("the token does not fit this scenario: " + e.getMessage());
    }
    if (run.end() != Run.End.DONE && run.end() != Run.End.DEADLOCK) {
      throw new Scenario.BadScenario(
          "the token does not fit this scenario: its schedule ends " + run.end());
    }
    List<String> titles = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Finding f : Finding.of(run)) {
      if (keys.add(f.key())) {
        titles.add(f.title());
        print(out, titles.size(), 1, f, run, t);
      }
    }
    if (titles.isEmpty()) {
      out.println("== no finding on this schedule");
      table(run).forEach(out::println);
    }
    double secs = (System.nanoTime() - start) / 1e9;
    out.println(
        String.format(
            Locale.ROOT,
            "slabfs replay: %s on %s: %s; %d steps, %d preemptions, " + "%.2f s",
            scenario.name(),
            t.era().id(),
            titles.isEmpty()
                ? "nothing found"
                : titles.size() + " finding" + (titles.size() == 1 ? "" : "s"),
            run.steps().size(),
            run.preemptions(),
            secs));
    List<LiveReplay.Step> steps = new ArrayList<>();
    for (Run.Step s : run.steps()) {
      steps.add(
          new LiveReplay.Step(run.names().get(s.slot()), s.label(), s.resumed(), s.blocked()));
    }
    Map<String, List<String>> results = new LinkedHashMap<>();
    for (Scenario.TaskSpec spec : scenario.tasks()) {
      List<String> r = new ArrayList<>(run.results().get(spec.name()));
      while (r.size() < spec.ops().size()) {
        r.add("blocked");
      }
      results.put(spec.name(), r);
    }
    return new Replayed(
        new Summary(1, 1, 0, 0, secs, false, titles, List.of(t.toString())),
        t.era(),
        t.cpus(),
        steps,
        run.end() == Run.End.DEADLOCK,
        results);
  }

  private static void print(PrintStream out, int n, long schedule, Finding f, Run run, Token t) {
    out.println(
        "== finding "
            + n
            + ": "
            + f.title()
            + "   (schedule "
            + schedule
            + ", "
            + run.steps().size()
            + " steps, "
            + run.preemptions()
            + " preemption"
            + (run.preemptions() == 1 ? "" : "s")
            + ")");
    if (f.kind() == Finding.Kind.LOCKDEP) {
      out.println(
          f.deadlocked()
              ? "slabfs: this schedule also deadlocked"
              : "slabfs: found on a schedule that did not deadlock: lockdep reports the possible "
                  + "deadlock from the order the locks were taken in, before it ever happens");
    }
    table(run).forEach(out::println);
    out.println("---- the kernel's report (sim/dmesg) ----");
    f.report().forEach(out::println);
    out.println("----");
    out.println("replay: " + t);
    out.println();
  }

  /** The schedule as a table: one column per task, one row per step, the blocking steps marked. */
  static List<String> table(Run run) {
    List<Integer> cols = new ArrayList<>(run.scenarioIndices());
    for (Run.Step s : run.steps()) {
      if (!cols.contains(s.slot())) {
        cols.add(s.slot());
      }
    }
    Map<Integer, Integer> colOf = new HashMap<>();
    int[] width = new int[cols.size()];
    for (int c = 0; c < cols.size(); c++) {
      colOf.put(cols.get(c), c);
      width[c] = run.names().get(cols.get(c)).length();
    }
    List<String[]> rows = new ArrayList<>();
    for (Run.Step s : run.steps()) {
      String[] row = new String[cols.size()];
      int c = colOf.get(s.slot());
      String cell = (s.resumed() ? "(woken) " : "") + s.label();
      if (cell.length() > 46) {
        cell = cell.substring(0, 43) + "...";
      }
      if (s.blocked()) {
        cell += "  <-- blocks";
      }
      row[c] = cell;
      width[c] = Math.max(width[c], cell.length());
      rows.add(row);
    }
    String[] last = new String[cols.size()];
    List<String> scenarioNames = new ArrayList<>(run.results().keySet());
    for (int c = 0; c < cols.size(); c++) {
      String name = run.names().get(cols.get(c));
      List<String> r = scenarioNames.contains(name) ? run.results().get(name) : null;
      int total =
          r == null ? 0 : run.scenario().tasks().get(scenarioNames.indexOf(name)).ops().size();
      if (r == null) {
        last[c] = "";
      } else {
        String shown = String.join(", ", r);
        last[c] = r.size() < total ? (shown.isEmpty() ? "" : shown + ", ") + "blocked" : shown;
      }
      width[c] = Math.max(width[c], last[c].length());
    }
    List<String> out = new ArrayList<>();
    StringBuilder head = new StringBuilder(" step  ");
    for (int c = 0; c < cols.size(); c++) {
      head.append(pad(run.names().get(cols.get(c)), width[c] + 2));
    }
    out.add(head.toString().stripTrailing());
    for (int i = 0; i < rows.size(); i++) {
      Run.Step s = run.steps().get(i);
      StringBuilder sb =
          new StringBuilder(
              String.format(Locale.ROOT, "%4d%s  ", i + 1, s.preempted() ? "*" : " "));
      for (int c = 0; c < cols.size(); c++) {
        sb.append(pad(rows.get(i)[c] == null ? "" : rows.get(i)[c], width[c] + 2));
      }
      out.add(sb.toString().stripTrailing());
    }
    StringBuilder end = new StringBuilder(" end  ");
    for (int c = 0; c < cols.size(); c++) {
      end.append(pad(last[c], width[c] + 2));
    }
    out.add(end.toString().stripTrailing());
    out.add("(* a preemption: the task before could have gone on)");
    return out;
  }

  private static String pad(String s, int w) {
    return s.length() >= w ? s : s + " ".repeat(w - s.length());
  }
}
