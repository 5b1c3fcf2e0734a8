package io.slabfs.kernel.explore;

import java.util.ArrayList;
import java.util.List;

/**
 * Ours: simulator.
 *
 * <p>Something a schedule showed: a deadlock, a lockdep report, a KASAN report, a WARN or a BUG.
 * Findings of one kind and one text are the same finding ({@link #key}), however many schedules
 * show it; the first schedule is the one reported and replayed.
 */
record Finding(Kind kind, String key, String title, List<String> report, boolean deadlocked) {

  /** What kind of report. */
  enum Kind {
    DEADLOCK("deadlock"),
    LOCKDEP("lockdep"),
    KASAN("KASAN"),
    WARN("WARN"),
    BUG("BUG");

    final String shown;

    Kind(String shown) {
      this.shown = shown;
    }
  }

  private static final java.util.regex.Pattern CLASS =
      java.util.regex.Pattern.compile("^-> #[0-9]+ \\((.*)\\)\\{");

  /** The findings of one schedule, in the order the kernel printed them, the deadlock last. */
  static List<Finding> of(Run run) {
    List<Finding> out = new ArrayList<>();
    boolean deadlocked = run.end() == Run.End.DEADLOCK;
    List<String> log = run.log();
    for (int i = 0; i < log.size(); i++) {
      String line = log.get(i);
      if (line.startsWith("WARNING: possible ") && i > 0 && isRule(log.get(i - 1), '=')) {
        int end = until(log, i, l -> l.equals(" </TASK>"));
        List<String> text = new ArrayList<>(log.subList(i - 1, end + 1));
        // one cycle is one finding, whichever acquisition closed it first
        java.util.TreeSet<String> classes = new java.util.TreeSet<>();
        for (String l : text) {
          java.util.regex.Matcher m = CLASS.matcher(l);
          if (m.find()) {
            classes.add(m.group(1));
          }
        }
        out.add(
            new Finding(
                Kind.LOCKDEP,
                "lockdep|" + line + "|" + classes,
                "lockdep: " + line.substring("WARNING: ".length()),
                text,
                deadlocked));
        i = end;
      } else if (line.startsWith("BUG: KASAN: ")) {
        int from = i > 0 && isRule(log.get(i - 1), '=') ? i - 1 : i;
        int end = until(log, i, l -> l.startsWith("Disabling lock debugging"));
        out.add(
            new Finding(
                Kind.KASAN,
                "kasan|" + normalize(line),
                line,
                new ArrayList<>(log.subList(from, end + 1)),
                deadlocked));
        i = end;
      } else if (line.equals("------------[ cut here ]------------") && i + 1 < log.size()) {
        int end = until(log, i, l -> l.startsWith("---[ end trace"));
        String message = log.get(i + 1);
        out.add(
            new Finding(
                Kind.WARN,
                "warn|" + normalize(message),
                "WARN: " + message,
                new ArrayList<>(log.subList(i, end + 1)),
                deadlocked));
        i = end;
      } else if (line.startsWith("BUG: ")) {
        int end = until(log, i, l -> l.equals(" </TASK>"));
        out.add(
            new Finding(
                Kind.BUG,
                "bug|" + normalize(line),
                line,
                new ArrayList<>(log.subList(i, end + 1)),
                deadlocked));
        i = end;
      }
    }
    if (deadlocked) {
      List<String> cycle = run.cycle();
      String title;
      List<String> names = new ArrayList<>();
      for (String c : cycle) {
        names.add(c.substring(0, c.indexOf('/')));
      }
      if (names.size() > 1) {
        title = "deadlock: " + join(names) + " wait for each other";
      } else if (names.size() == 1) {
        title = "deadlock: " + names.get(0) + " waits for itself";
      } else {
        title = "deadlock: tasks remain and none can run";
      }
      List<String> sorted = new ArrayList<>();
      for (String c : cycle) {
        sorted.add(c.replaceAll("/[0-9]+", ""));
      }
      sorted.sort(null);
      List<String> text = new ArrayList<>(run.hungReport());
      if (!cycle.isEmpty()) {
        text.add(
            "slabfs: wait-for cycle: "
                + String.join(" -> ", cycle)
                + " -> "
                + cycle.get(0).substring(0, cycle.get(0).indexOf(' ')));
      } else {
        text.add("slabfs: no wait-for cycle: a wake-up that never comes");
      }
      out.add(new Finding(Kind.DEADLOCK, "deadlock|" + sorted, title, text, true));
    }
    return out;
  }

  private static String join(List<String> names) {
    if (names.size() == 2) {
      return names.get(0) + " and " + names.get(1);
    }
    return String.join(", ", names.subList(0, names.size() - 1))
        + " and "
        + names.get(names.size() - 1);
  }

  private static boolean isRule(String line, char c) {
    return line.length() >= 10 && line.chars().allMatch(ch -> ch == c);
  }

  private static int until(List<String> log, int from, java.util.function.Predicate<String> p) {
    for (int j = from; j < log.size(); j++) {
      if (p.test(log.get(j))) {
        return j;
      }
    }
    return log.size() - 1;
  }

  /** A line without what changes from boot to boot: addresses, offsets, pids. */
  static String normalize(String line) {
    return line.replaceAll("\\b(ffff)?[0-9a-f]{12,16}\\b", "ADDR")
        .replaceAll("\\+0x[0-9a-f]+/0x[0-9a-f]+", "")
        .replaceAll("/[0-9]+\\b", "");
  }
}
