package io.slabfs.kernel.explore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Ours: simulator.
 *
 * <p>A scenario file of {@code slabfs explore}: {@code setup COMMAND} lines (sim/ctl commands run
 * in order before the tasks start) and {@code NAME: OPERATION} lines, where an operation is {@code
 * echo VALUE > PATH}, {@code cat PATH} or {@code ctl COMMAND}, paths relative to the mount root. A
 * task runs its operations in the order of its lines. {@code #} starts a comment.
 */
public final class Scenario {
  /** A scenario line that cannot be run, with its line number. */
  public static final class BadScenario extends Exception {
    public BadScenario(String message) {
      super(message);
    }
  }

  /** One operation of a task. */
  public record Op(Kind kind, String path, String value, String text, int line) {
    /** What the operation does. */
    public enum Kind {
      ECHO,
      CAT,
      CTL
    }
  }

  /** A task: its name (the comm of its reports) and its operations. */
  public record TaskSpec(String name, List<Op> ops) {}

  /** A {@code setup} command and its line. */
  public record Setup(String command, int line) {}

  private static final Pattern TASK = Pattern.compile("([A-Za-z][A-Za-z0-9_-]{0,14}):\\s*(.*)");
  private static final Pattern ECHO = Pattern.compile("echo\\s+(.*?)\\s*>\\s*(\\S+)");
  private static final Pattern CAT = Pattern.compile("cat\\s+(\\S+)");

  private final String name;
  private final String text;
  private final List<Setup> setup;
  private final List<TaskSpec> tasks;

  private Scenario(String name, String text, List<Setup> setup, List<TaskSpec> tasks) {
    this.name = name;
    this.text = text;
    this.setup = setup;
    this.tasks = tasks;
  }

  public String name() {
    return name;
  }

  public List<Setup> setup() {
    return setup;
  }

  public List<TaskSpec> tasks() {
    return tasks;
  }

  /** Four hex digits of the scenario's text, so a replay token is not used on another one. */
  public String hash() {
    int h = 0x811c9dc5;
    for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * 0x01000193;
    }
    return String.format("%04x", (h ^ (h >>> 16)) & 0xffff);
  }

  /** Parses a scenario; the first bad line is the error ({@code line N: ...}). */
  public static Scenario parse(String name, String text) throws BadScenario {
    List<Setup> setup = new ArrayList<>();
    Map<String, List<Op>> tasks = new LinkedHashMap<>();
    String[] lines = text.split("\n", -1);
    StringBuilder canonical = new StringBuilder();
    for (int i = 0; i < lines.length; i++) {
      int n = i + 1;
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.strip();
      if (line.isEmpty()) {
        continue;
      }
      canonical.append(line).append('\n');
      if (line.startsWith("setup ") || line.equals("setup")) {
        String cmd = line.substring(5).strip();
        if (cmd.isEmpty()) {
          throw bad(n, "setup needs a sim/ctl command");
        }
        if (!tasks.isEmpty()) {
          throw bad(n, "setup lines come before the tasks");
        }
        setup.add(new Setup(cmd, n));
        continue;
      }
      Matcher m = TASK.matcher(line);
      if (!m.matches()) {
        throw bad(n, "expected 'setup COMMAND' or 'NAME: OPERATION', got '" + line + "'");
      }
      if (m.group(1).equals("setup")) {
        throw bad(n, "'setup' is not a task name");
      }
      tasks.computeIfAbsent(m.group(1), k -> new ArrayList<>()).add(op(m.group(2).strip(), n));
    }
    if (tasks.isEmpty()) {
      throw new BadScenario(name + ": no tasks (lines 'NAME: OPERATION')");
    }
    if (tasks.size() > 8) {
      throw new BadScenario(name + ": " + tasks.size() + " tasks; at most 8");
    }
    List<TaskSpec> specs = new ArrayList<>();
    tasks.forEach((k, v) -> specs.add(new TaskSpec(k, List.copyOf(v))));
    return new Scenario(name, canonical.toString(), List.copyOf(setup), List.copyOf(specs));
  }

  private static Op op(String s, int n) throws BadScenario {
    Matcher e = ECHO.matcher(s);
    if (s.startsWith("echo ")) {
      if (!e.matches()) {
        throw bad(n, "expected 'echo VALUE > PATH', got '" + s + "'");
      }
      return new Op(Op.Kind.ECHO, path(e.group(2), n), unquote(e.group(1)), s, n);
    }
    if (s.startsWith("cat ")) {
      Matcher c = CAT.matcher(s);
      if (!c.matches()) {
        throw bad(n, "expected 'cat PATH', got '" + s + "'");
      }
      return new Op(Op.Kind.CAT, path(c.group(1), n), null, s, n);
    }
    if (s.startsWith("ctl ")) {
      String cmd = s.substring(4).strip();
      if (cmd.isEmpty()) {
        throw bad(n, "ctl needs a sim/ctl command");
      }
      return new Op(Op.Kind.CTL, null, cmd, s, n);
    }
    throw bad(n, "unknown operation '" + s + "' (echo VALUE > PATH, cat PATH, ctl COMMAND)");
  }

  private static String path(String p, int n) throws BadScenario {
    String q = p.startsWith("/") ? p.substring(1) : p;
    if (q.isEmpty() || q.contains("..")) {
      throw bad(n, "bad path '" + p + "' (relative to the mount root, no '..')");
    }
    return q;
  }

  private static String unquote(String v) {
    if (v.length() >= 2
        && ((v.startsWith("\"") && v.endsWith("\"")) || (v.startsWith("'") && v.endsWith("'")))) {
      return v.substring(1, v.length() - 1);
    }
    return v;
  }

  private static BadScenario bad(int line, String why) {
    return new BadScenario("line " + line + ": " + why);
  }
}
