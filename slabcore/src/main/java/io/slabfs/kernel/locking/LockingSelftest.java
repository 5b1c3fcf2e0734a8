package io.slabfs.kernel.locking;

import java.util.ArrayList;
import java.util.List;

/**
 * Models: lib/locking-selftest.c (the families that apply to a kernel without interrupts).
 *
 * <p>The kernel's lock validator testsuite, transcribed as data: each testcase is its lock events
 * (a {@link LockScript}) and the outcome the kernel expects (lockdep stays silent, or it reports
 * and turns itself off). Every case runs on a fresh {@link Lockdep}, as {@code reset_locks()} gives
 * each a fresh graph, and the table and summary are printed as {@code locking_selftest()} prints
 * them.
 *
 * <p>Transcribed (6.12's file): the circular families {@code AA}, {@code ABBA}, {@code ABBCCA},
 * {@code ABCABC}, {@code ABBCCDDA}, {@code ABCDBDDA}, {@code ABCDBCDA} ({@code DO_TESTCASE_6R}),
 * {@code double_unlock} and {@code init_held} ({@code DO_TESTCASE_6}), the recursive read-lock rows
 * and the four three-lock permutation families. Left out: the {@code rtmutex} column (no rt_mutex
 * in the model), the irq-context families (no interrupts), {@code ww_mutex}, the queued read lock
 * tests (all in hardirq context), {@code fs_reclaim} (reclaim is not modeled as a pseudo-lock),
 * local_lock and the wait-context tests.
 */
public final class LockingSelftest {
  private static final boolean SUCCESS = true;
  private static final boolean FAILURE = false;

  /** One testcase: where it is printed, its events, what lockdep must do. */
  public record Case(String row, String name, String script, boolean expectSilent) {}

  /** One printed row: its title, a prefix before the cells, and its cases. */
  private record Row(String title, List<String> parts) {}

  private static final String[][] TYPES = {
    // column, lock type, prefix, LOCK, UNLOCK, INIT
    {"spin", "spinlock", "lock_", "spin_lock", "spin_unlock", "spin_lock_init"},
    {"wlock", "rwlock", "rwlock_", "write_lock", "write_unlock", "rwlock_init"},
    {"rlock", "rwlock", "rwlock_", "read_lock", "read_unlock", "rwlock_init"},
    {"mutex", "mutex", "mutex_", "mutex_lock", "mutex_unlock", "mutex_init"},
    {"wsem", "rwsem", "rwsem_", "down_write", "up_write", "init_rwsem"},
    {"rsem", "rwsem", "rwsem_", "down_read", "up_read", "init_rwsem"},
  };

  private final List<Case> cases = new ArrayList<>();
  private final List<Object> layout = new ArrayList<>();

  private LockingSelftest() {}

  /** The declarations every case starts from: the selftest's static locks and X/Y/Z classes. */
  static String declarations() {
    StringBuilder sb = new StringBuilder();
    String[][] kinds = {
      {"lock_", "spinlock"}, {"rwlock_", "rwlock"}, {"mutex_", "mutex"}, {"rwsem_", "rwsem"}
    };
    for (String[] k : kinds) {
      for (String x : List.of("A", "B", "C", "D")) {
        sb.append("lock ").append(k[0]).append(x).append(' ').append(k[1]).append('\n');
      }
      for (String x : List.of("X1", "X2", "Y1", "Y2", "Z1", "Z2")) {
        sb.append("lock ")
            .append(k[0])
            .append(x)
            .append(' ')
            .append(k[1])
            .append(" class=")
            .append(k[0])
            .append(x.charAt(0))
            .append('\n');
      }
    }
    return sb.toString();
  }

  /** Expands "L A, U A, I A" for one lock type into playground events of task T. */
  private static String expand(String template, String[] type) {
    StringBuilder sb = new StringBuilder();
    for (String step : template.split(",")) {
      String[] w = step.strip().split("\\s+");
      String op =
          switch (w[0]) {
            case "L" -> type[3];
            case "U" -> type[4];
            case "I" -> type[5];
            default -> throw new IllegalArgumentException(step);
          };
      sb.append("T ").append(op).append(' ').append(type[2]).append(w[1]).append('\n');
    }
    return sb.toString();
  }

  /** Explicit events: "RL X1, L Y1" with the selftest's own shortcuts (RL, WL, L, ML, RSL…). */
  private static String explicit(String events) {
    StringBuilder sb = new StringBuilder();
    for (String step : events.split(",")) {
      String[] w = step.strip().split("\\s+");
      String[] opLock =
          switch (w[0]) {
            case "L" -> new String[] {"spin_lock", "lock_"};
            case "U" -> new String[] {"spin_unlock", "lock_"};
            case "RL" -> new String[] {"read_lock", "rwlock_"};
            case "RU" -> new String[] {"read_unlock", "rwlock_"};
            case "WL" -> new String[] {"write_lock", "rwlock_"};
            case "WU" -> new String[] {"write_unlock", "rwlock_"};
            case "ML" -> new String[] {"mutex_lock", "mutex_"};
            case "MU" -> new String[] {"mutex_unlock", "mutex_"};
            case "RSL" -> new String[] {"down_read", "rwsem_"};
            case "RSU" -> new String[] {"up_read", "rwsem_"};
            case "WSL" -> new String[] {"down_write", "rwsem_"};
            case "WSU" -> new String[] {"up_write", "rwsem_"};
            default -> throw new IllegalArgumentException(step);
          };
      sb.append("T ").append(opLock[0]).append(' ').append(opLock[1]).append(w[1]).append('\n');
    }
    return sb.toString();
  }

  private static String lu2(String x, String y) {
    return "L " + x + ", L " + y + ", U " + y + ", U " + x;
  }

  /** {@code DO_TESTCASE_6R} / {@code DO_TESTCASE_6}: one row, a cell per lock type. */
  private void six(String title, String name, String template, boolean rlockSilent) {
    List<String> parts = new ArrayList<>();
    for (String[] type : TYPES) {
      boolean silent = type[0].equals("rlock") && rlockSilent;
      add(parts, title, name + "_" + type[0], expand(template, type), silent);
    }
    layout.add(new Row(title, parts));
  }

  private void add(List<String> parts, String row, String name, String events, boolean silent) {
    cases.add(new Case(row, name, declarations() + events, silent));
    parts.add("#" + (cases.size() - 1));
  }

  /** A row of {@code pr_cont(" |")} + a case, possibly twice. */
  private void rr(String title, Object... nameEventsExpected) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < nameEventsExpected.length; i += 3) {
      parts.add("             |");
      add(
          parts,
          title,
          (String) nameEventsExpected[i],
          explicit((String) nameEventsExpected[i + 1]),
          (Boolean) nameEventsExpected[i + 2]);
    }
    layout.add(new Row(title, parts));
  }

  /** {@code GENERATE_PERMUTATIONS_3_EVENTS} with {@code DO_TESTCASE_6x1RR(B)}. */
  private void permutations(
      String title, String name, String e1, String e2, String e3, boolean silent) {
    String[] e = {null, e1, e2, e3};
    for (String perm : List.of("123", "132", "213", "231", "312", "321")) {
      StringBuilder ev = new StringBuilder();
      for (char c : perm.toCharArray()) {
        ev.append(ev.length() == 0 ? "" : ", ").append(e[c - '0']);
      }
      rr(title + "/" + perm, name + "_" + perm, ev.toString(), silent);
    }
  }

  /** The suite, in {@code locking_selftest()}'s order. */
  public static LockingSelftest suite() {
    LockingSelftest s = new LockingSelftest();
    s.six("A-A deadlock", "AA", "L X1, L X2", true);
    s.six("A-B-B-A deadlock", "ABBA", lu2("A", "B") + ", " + lu2("B", "A"), true);
    s.six(
        "A-B-B-C-C-A deadlock",
        "ABBCCA",
        lu2("A", "B") + ", " + lu2("B", "C") + ", " + lu2("C", "A"),
        true);
    s.six(
        "A-B-C-A-B-C deadlock",
        "ABCABC",
        lu2("A", "B") + ", " + lu2("C", "A") + ", " + lu2("B", "C"),
        true);
    s.six(
        "A-B-B-C-C-D-D-A deadlock",
        "ABBCCDDA",
        lu2("A", "B") + ", " + lu2("B", "C") + ", " + lu2("C", "D") + ", " + lu2("D", "A"),
        true);
    s.six(
        "A-B-C-D-B-D-D-A deadlock",
        "ABCDBDDA",
        lu2("A", "B") + ", " + lu2("C", "D") + ", " + lu2("B", "D") + ", " + lu2("D", "A"),
        true);
    s.six(
        "A-B-C-D-B-C-D-A deadlock",
        "ABCDBCDA",
        lu2("A", "B") + ", " + lu2("C", "D") + ", " + lu2("B", "C") + ", " + lu2("D", "A"),
        true);
    s.six("double unlock", "double_unlock", "L A, U A, U A", false);
    s.six("initialize held", "init_held", "L A, I A", false);
    s.layout.add("  --------------------------------------------------------------------------");
    s.rr(
        "recursive read-lock",
        "rlock_AA1",
        "RL X1, RL X1",
        SUCCESS,
        "rsem_AA1",
        "RSL X1, RSL X1",
        FAILURE);
    s.rr(
        "recursive read-lock #2",
        "rlock_AA1B",
        "RL X1, RL X2",
        SUCCESS,
        "rsem_AA1B",
        "RSL X1, RSL X2",
        FAILURE);
    s.rr(
        "mixed read-write-lock",
        "rlock_AA2",
        "RL X1, WL X2",
        FAILURE,
        "rsem_AA2",
        "RSL X1, WSL X2",
        FAILURE);
    s.rr(
        "mixed write-read-lock",
        "rlock_AA3",
        "WL X1, RL X2",
        FAILURE,
        "rsem_AA3",
        "WSL X1, RSL X2",
        FAILURE);
    s.rr(
        "mixed read-lock/lock-write ABBA",
        "rlock_ABBA1",
        "RL X1, L Y1, U Y1, RU X1, L Y1, WL X1, WU X1, U Y1",
        FAILURE,
        "rwsem_ABBA1",
        "RSL X1, ML Y1, MU Y1, RSU X1, ML Y1, WSL X1, WSU X1, MU Y1",
        FAILURE);
    s.rr(
        "mixed read-lock/lock-read ABBA",
        "rlock_ABBA2",
        "RL X1, L Y1, U Y1, RU X1, L Y1, RL X1, RU X1, U Y1",
        SUCCESS,
        "rwsem_ABBA2",
        "RSL X1, ML Y1, MU Y1, RSU X1, ML Y1, RSL X1, RSU X1, MU Y1",
        FAILURE);
    s.rr(
        "mixed write-lock/lock-write ABBA",
        "rlock_ABBA3",
        "WL X1, L Y1, U Y1, WU X1, L Y1, WL X1, WU X1, U Y1",
        FAILURE,
        "rwsem_ABBA3",
        "WSL X1, ML Y1, MU Y1, WSU X1, ML Y1, WSL X1, WSU X1, MU Y1",
        FAILURE);
    s.rr(
        "chain cached mixed R-L/L-W ABBA",
        "rlock_chaincache_ABBA1",
        "RL X1, L Y1, U Y1, RU X1, L Y1, RL X1, RU X1, U Y1, L Y1, WL X1, WU X1, U Y1",
        FAILURE);
    s.permutations(
        "rlock W1R2/W2R3/W3R1",
        "W1R2_W2R3_W3R1",
        "WL X1, RL Y1, RU Y1, WU X1",
        "WL Y1, RL Z1, RU Z1, WU Y1",
        "WL Z1, RL X1, RU X1, WU Z1",
        FAILURE);
    s.permutations(
        "rlock W1W2/R2R3/W3R1",
        "W1W2_R2R3_W3R1",
        "WL X1, WL Y1, WU Y1, WU X1",
        "RL Y1, RL Z1, RU Z1, RU Y1",
        "WL Z1, RL X1, RU X1, WU Z1",
        FAILURE);
    s.permutations(
        "rlock W1W2/R2R3/R3W1",
        "W1W2_R2R3_R3W1",
        "WL X1, RL Y1, RU Y1, WU X1",
        "RL Y1, RL Z1, RU Z1, RU Y1",
        "WL Z1, WL X1, WU X1, WU Z1",
        SUCCESS);
    s.permutations(
        "rlock W1R2/R2R3/W3W1",
        "W1R2_R2R3_W3W1",
        "WL X1, WL Y1, WU Y1, WU X1",
        "RL Y1, RL Z1, RU Z1, RU Y1",
        "RL Z1, WL X1, WU X1, RU Z1",
        SUCCESS);
    s.layout.add("  --------------------------------------------------------------------------");
    return s;
  }

  public List<Case> cases() {
    return List.copyOf(cases);
  }

  /** Whether lockdep did what the kernel expects of {@code c}. */
  public static boolean passes(Case c, String release) {
    try {
      Lockdep lockdep = LockScript.parse(c.script()).run(release);
      return lockdep.enabled() == c.expectSilent();
    } catch (LockScript.ScriptError e) {
      throw new IllegalStateException(c.name() + ": " + e.getMessage(), e);
    }
  }

  /** Runs every case and returns what {@code locking_selftest()} prints, line by line. */
  public List<String> run(String release) {
    List<String> out = new ArrayList<>();
    out.add("------------------------");
    out.add("| Locking API testsuite:");
    out.add("----------------------------------------------------------------------------");
    out.add("                                 | spin |wlock |rlock |mutex | wsem | rsem |rtmutex");
    out.add("  --------------------------------------------------------------------------");
    int failures = 0;
    int successes = 0;
    for (Object o : layout) {
      if (o instanceof String line) {
        out.add(line);
        continue;
      }
      Row row = (Row) o;
      StringBuilder sb = new StringBuilder(String.format("%33s:", row.title()));
      for (String part : row.parts()) {
        if (part.startsWith("#")) {
          Case c = cases.get(Integer.parseInt(part.substring(1)));
          if (passes(c, release)) {
            successes++;
            sb.append("  ok  |");
          } else {
            failures++;
            sb.append("FAILED|");
          }
        } else {
          sb.append(part);
        }
      }
      out.add(sb.toString());
    }
    int total = successes + failures;
    if (failures > 0) {
      out.add("-----------------------------------------------------------------");
      out.add(
          String.format(
              "BUG: %3d unexpected failures (out of %3d) - debugging disabled! |",
              failures, total));
      out.add("-----------------------------------------------------------------");
    } else {
      out.add("-------------------------------------------------------");
      out.add(String.format("Good, all %3d testcases passed! |", successes));
      out.add("---------------------------------");
    }
    return out;
  }
}
