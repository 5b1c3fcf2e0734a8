package io.slabfs.fs.cli;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.explore.Explorer;
import io.slabfs.kernel.explore.Scenario;
import io.slabfs.kernel.sim.LiveReplay;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Ours: simulator.
 *
 * <p>{@code slabfs replay SCENARIO TOKEN --mount MNT}: the schedule the model ran for the token,
 * followed by real processes on a live mount. The launcher runs the scenario's setup through {@code
 * sim/ctl}, hands the schedule to the mount ({@code replay_steps}, {@code replay_begin}: {@link
 * LiveReplay} steers the processes), starts one bash per task (which names itself after the task,
 * registers with {@code replay_task NAME OP} on its own {@code sim/ctl.d/N} before each operation
 * and runs the operation with builtins, so that its pid stays the task's), waits for the schedule's
 * end ({@code replay_wait}) and shows what the mount shows: the processes' states, {@code
 * sim/held_locks}, the kernel log written meanwhile, each task's results beside the model's.
 *
 * <p>Exit status: 0 the schedule was followed and shows nothing, 1 it was followed and shows the
 * model's findings on the mount, 2 a bad token or a mount of another era, 3 the mount did not
 * follow the schedule or a finding did not show (the reason on a {@code slabfs:} line).
 *
 * <p>Why one class of about 440 lines: one command's run from the model's schedule to the live
 * mount's processes and the report beside the model's, in the order it happens.
 */
final class MountReplay {
  /** Longest {@code sim/ctl} write of steps. */
  private static final int CHUNK = 3000;

  /** Each task's shell: positional args MNT NAME CHANNEL ERRPREFIX, then KIND TEXT PATH VALUE. */
  private static final String TASK_SCRIPT =
      String.join(
          "\n",
          "set -u",
          "m=$1 name=$2 ch=$1/sim/ctl.d/$3 err=$4",
          "shift 4",
          "printf '%s' \"$name\" >/proc/self/comm",
          "n=0",
          "while (($#)); do",
          "  kind=$1 text=$2 path=$3 value=$4",
          "  shift 4",
          "  n=$((n + 1))",
          "  printf '%s' \"replay_task $name $text\" 2>/dev/null >\"$ch\" || true",
          "  rc=0",
          "  case $kind in",
          "    ECHO) printf '%s\\n' \"$value\" 2>\"$err.$n\" >\"$m/$path\" || rc=$? ;;",
          "    CAT) read -r -d '' _ 2>\"$err.$n\" <\"$m/$path\" || rc=$? ;;",
          "    CTL) printf '%s' \"$value\" 2>\"$err.$n\" >\"$ch\" || rc=$? ;;",
          "  esac",
          "  echo \"result $n $rc\"",
          "done",
          "printf '%s' \"replay_exit $name\" 2>/dev/null >\"$ch\" || true",
          "");

  private final Path mnt;
  private final Scenario scenario;
  private final Explorer.Replayed model;
  private final PrintStream out;
  private final long stepTimeout;

  MountReplay(
      Path mnt, Scenario scenario, Explorer.Replayed model, PrintStream out, long stepTimeout) {
    this.mnt = mnt;
    this.scenario = scenario;
    this.model = model;
    this.out = out;
    this.stepTimeout = stepTimeout;
  }

  /** A failure that ends the replay with its exit status. */
  static final class Failed extends Exception {
    final int status;

    Failed(int status, String message) {
      super(message);
      this.status = status;
    }
  }

  private void say(String s) {
    out.println("slabfs: " + s);
    out.flush();
  }

  private Map<String, String> variant() throws Failed {
    Map<String, String> v = new LinkedHashMap<>();
    try {
      for (String l : Files.readAllLines(mnt.resolve("sim/variant"))) {
        int sp = l.indexOf(' ');
        if (sp > 0) {
          v.put(l.substring(0, sp), l.substring(sp + 1));
        }
      }
    } catch (IOException e) {
      throw new Failed(2, mnt + " is not a slabfs mount (no sim/variant: " + e.getMessage() + ")");
    }
    return v;
  }

  /** One write(2) of {@code command} to {@code sim/ctl}. */
  private void ctl(String command) throws IOException {
    Files.write(mnt.resolve("sim/ctl"), command.getBytes(StandardCharsets.UTF_8));
  }

  private List<String> dmesg() throws IOException {
    return Files.readAllLines(mnt.resolve("sim/dmesg"), StandardCharsets.UTF_8);
  }

  int run() throws Failed, IOException, InterruptedException {
    Map<String, String> v = variant();
    if (!model.era().id().equals(v.get("kernel"))) {
      throw new Failed(
          2,
          mnt
              + " runs --kernel "
              + v.get("kernel")
              + ", the token is for "
              + model.era().id()
              + " (mount one with --kernel "
              + model.era().id()
              + ")");
    }
    if (!Integer.toString(model.cpus()).equals(v.get("cpus"))) {
      throw new Failed(
          2, mnt + " has " + v.get("cpus") + " CPUs, the token " + model.cpus() + " (--cpus)");
    }
    if (scenario.tasks().size() > 8) {
      throw new Failed(2, "at most 8 tasks on a mount (one sim/ctl.d channel each)");
    }
    int mark = dmesg().size();
    say(
        "replay on "
            + mnt
            + " (--kernel "
            + v.get("kernel")
            + ", --deadlock "
            + v.get("deadlock")
            + "): "
            + model.steps().size()
            + " steps, tasks "
            + String.join(", ", model.results().keySet()));
    for (Scenario.Setup s : scenario.setup()) {
      try {
        ctl(s.command());
      } catch (IOException e) {
        throw new Failed(3, "setup " + s.command() + " failed on the mount: " + e.getMessage());
      }
    }
    install();
    Thread ender =
        new Thread(
            () -> {
              try {
                ctl("replay_end");
              } catch (IOException e) {
                // the mount is gone: nothing to end
              }
            });
    Runtime.getRuntime().addShutdownHook(ender);
    Path tmp = Files.createTempDirectory("slabfs-replay");
    Map<String, Process> procs = new LinkedHashMap<>();
    Map<String, List<String>> live = new LinkedHashMap<>();
    try {
      int ch = 0;
      for (Scenario.TaskSpec t : scenario.tasks()) {
        procs.put(t.name(), spawn(t, ch++, tmp));
      }
      for (Map.Entry<String, Process> e : procs.entrySet()) {
        say("task " + e.getKey() + " is pid " + e.getValue().pid());
      }
      String why = awaitSchedule();
      if (why != null) {
        say("the mount did not follow the schedule: " + why);
        finishProcesses(procs, 30);
        printLog(mark);
        return 3;
      }
      say("the mount followed all " + model.steps().size() + " steps of the model's schedule");
      int status = model.summary().findings().isEmpty() ? 0 : 1;
      if (model.deadlocked()) {
        status = Math.max(status, showDeadlock(procs, v));
      } else {
        finishProcesses(procs, 60);
      }
      for (Map.Entry<String, Process> e : procs.entrySet()) {
        live.put(e.getKey(), results(e.getKey(), e.getValue(), tmp));
      }
      for (String name : model.results().keySet()) {
        say(
            name
                + ": model "
                + String.join(", ", model.results().get(name))
                + "; mount "
                + String.join(", ", live.get(name)));
      }
      List<String> log = printLog(mark);
      for (String title : model.summary().findings()) {
        boolean seen = title.startsWith("deadlock: ") ? model.deadlocked() : shows(log, title);
        say((seen ? "on the mount too: " : "NOT on the mount: ") + title);
        if (!seen) {
          status = 3;
        }
      }
      out.println(
          String.format(
              Locale.ROOT,
              "slabfs replay: %s on %s at %s: the schedule was followed (%d steps); %s",
              scenario.name(),
              model.era().id(),
              mnt,
              model.steps().size(),
              model.summary().findings().isEmpty()
                  ? "nothing found"
                  : String.join("; ", model.summary().findings())));
      return status;
    } finally {
      try {
        Runtime.getRuntime().removeShutdownHook(ender);
      } catch (IllegalStateException e) {
        // shutting down: the hook runs
      }
      try (var files = Files.list(tmp)) {
        for (Path p : files.toList()) {
          Files.deleteIfExists(p);
        }
      }
      Files.deleteIfExists(tmp);
    }
  }

  /** Hands the schedule to the mount and installs it. */
  private void install() throws Failed {
    try {
      StringBuilder sb = new StringBuilder("replay_steps");
      for (LiveReplay.Step s : model.steps()) {
        String w = s.word();
        if (sb.length() + 1 + w.length() > CHUNK) {
          ctl(sb.toString());
          sb = new StringBuilder("replay_steps");
        }
        sb.append(' ').append(w);
      }
      ctl(sb.toString());
      ctl("replay_begin timeout=" + stepTimeout);
    } catch (IOException e) {
      throw new Failed(3, "the mount refused the schedule: " + e.getMessage());
    }
  }

  private Process spawn(Scenario.TaskSpec t, int channel, Path tmp) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("bash");
    cmd.add("-c");
    cmd.add(TASK_SCRIPT);
    cmd.add("replay-" + t.name());
    cmd.add(mnt.toString());
    cmd.add(t.name());
    cmd.add(Integer.toString(channel));
    cmd.add(tmp.resolve(t.name()).toString());
    for (Scenario.Op op : t.ops()) {
      cmd.add(op.kind().name());
      cmd.add(op.text());
      cmd.add(op.path() == null ? "" : op.path());
      cmd.add(op.value() == null ? "" : op.value());
    }
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectErrorStream(true);
    pb.redirectOutput(tmp.resolve(t.name() + ".out").toFile());
    return pb.start();
  }

  /** Waits for the end of the schedule on the mount: null if followed, else why not. */
  private String awaitSchedule() throws IOException {
    long total = Math.min(3600, stepTimeout * (model.steps().size() + 1));
    try {
      ctl("replay_wait timeout=" + total);
      return null;
    } catch (IOException e) {
      String marker = "slabfs: replay: abandoned at ";
      String why = e.getMessage();
      for (String l : dmesg()) {
        int i = l.indexOf(marker);
        if (i >= 0) {
          why = l.substring(i + marker.length()).replace("; the scheduler steps aside", "");
        }
      }
      return why;
    }
  }

  /**
   * The schedule ended in the model's deadlock: the tasks must be blocked on the mount now. Shows
   * them as ps would, and sim/held_locks; with --deadlock break, waits for the breaker.
   */
  private int showDeadlock(Map<String, Process> procs, Map<String, String> v)
      throws IOException, InterruptedException {
    long blocked = model.results().values().stream().filter(r -> r.contains("blocked")).count();
    try {
      ctl("await_blocked " + blocked + " timeout=30");
    } catch (IOException e) {
      say("fewer than " + blocked + " tasks are blocked on the mount: " + e.getMessage());
      return 3;
    }
    say(
        "the processes now, as ps shows them (their write(2) waits in FUSE's"
            + " request_wait_answer; inside the simulated kernel they are in state D, as"
            + " sim/held_locks and khungtaskd show)");
    for (Map.Entry<String, Process> e : procs.entrySet()) {
      long pid = e.getValue().pid();
      out.println(
          String.format(
              Locale.ROOT,
              "  %-8s pid %-7d state %s  wchan %s",
              e.getKey(),
              pid,
              procState(pid),
              readOr(Path.of("/proc", Long.toString(pid), "wchan"), "?")));
    }
    out.println("---- sim/held_locks ----");
    Files.readAllLines(mnt.resolve("sim/held_locks")).forEach(out::println);
    out.println("----");
    if ("break".equals(v.get("deadlock"))) {
      long secs = Long.parseLong(v.getOrDefault("hung_task_timeout", "10"));
      say(
          "--deadlock break: khungtaskd reports the tasks after "
              + secs
              + " s and breaks the deadlock by failing one system call (EDEADLK)");
      finishProcesses(procs, 2 * secs + 60);
    } else {
      say(
          "--deadlock hang: the processes stay blocked; `slabfs umount "
              + mnt
              + "` ends their system calls");
    }
    return 1;
  }

  private static String procState(long pid) {
    String stat = readOr(Path.of("/proc", Long.toString(pid), "stat"), "");
    int close = stat.lastIndexOf(')');
    if (close < 0 || close + 2 >= stat.length()) {
      return "gone";
    }
    return stat.substring(close + 2, close + 3);
  }

  private static String readOr(Path p, String fallback) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return fallback;
    }
  }

  private void finishProcesses(Map<String, Process> procs, long seconds)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    for (Map.Entry<String, Process> e : procs.entrySet()) {
      long left = Math.max(1, deadline - System.nanoTime());
      if (!e.getValue().waitFor(left, TimeUnit.NANOSECONDS)) {
        say(
            e.getKey()
                + " (pid "
                + e.getValue().pid()
                + ") is still in its system call after "
                + seconds
                + " s; left as it is");
      }
    }
  }

  /** A task's results on the mount: ok, an errno name, or blocked (not ended). */
  private List<String> results(String name, Process p, Path tmp) throws IOException {
    List<String> r = new ArrayList<>();
    Path o = tmp.resolve(name + ".out");
    List<String> lines =
        Files.exists(o) ? Files.readAllLines(o, StandardCharsets.UTF_8) : List.of();
    for (String l : lines) {
      String[] w = l.split(" ");
      if (w.length == 3 && w[0].equals("result")) {
        String err = readOr(tmp.resolve(name + "." + w[1]), "");
        r.add(w[2].equals("0") ? "ok" : errnoName(err));
      } else if (!l.isBlank()) {
        out.println("  " + name + ": " + l);
      }
    }
    int ops =
        scenario.tasks().stream()
            .filter(t -> t.name().equals(name))
            .findFirst()
            .map(t -> t.ops().size())
            .orElse(0);
    while (r.size() < ops) {
      r.add(p.isAlive() ? "blocked" : "not run");
    }
    return r;
  }

  /** The errno of bash's message ({@code ...: Resource deadlock avoided}). */
  static String errnoName(String message) {
    for (Errno e : Errno.values()) {
      if (message.endsWith(": " + e.description())) {
        return e.name();
      }
    }
    return message.isEmpty() ? "failed" : message;
  }

  /** Prints the kernel log written since {@code mark} lines and returns it. */
  private List<String> printLog(int mark) throws IOException {
    List<String> all = dmesg();
    List<String> log = all.subList(Math.min(mark, all.size()), all.size());
    out.println("---- sim/dmesg (since the replay began) ----");
    log.forEach(out::println);
    out.println("----");
    return log;
  }

  /** Whether the log shows the report of a finding's title. */
  static boolean shows(List<String> log, String title) {
    String want =
        title.startsWith("lockdep: ")
            ? "WARNING: " + title.substring("lockdep: ".length())
            : title.startsWith("WARN: ") ? title.substring("WARN: ".length()) : title;
    String key = want.replaceAll("\\+0x[0-9a-f]+/0x[0-9a-f]+", "");
    for (String l : log) {
      if (l.replaceAll("\\+0x[0-9a-f]+/0x[0-9a-f]+", "").contains(key)) {
        return true;
      }
    }
    return false;
  }
}
