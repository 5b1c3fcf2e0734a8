package io.slabfs.kernel.golden;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A golden report: real kernel output quoted from a public source, and its comparison with slabfs's
 * dmesg, line by line, after masking what differs between any two runs of a kernel.
 *
 * <p>File format (under {@code golden/reports/}): header lines starting {@code #} (source, kernel,
 * what was done to the quote), then the report as the kernel printed it, with its printk timestamps
 * or log-level prefixes (stripped here). A line {@code ...} stands for lines the quoting author
 * left out: any number of lines may stand there.
 *
 * <p>Masked, on both sides, and nothing else:
 *
 * <ul>
 *   <li>timestamps and {@code <N>} log levels;
 *   <li>{@code %pS} symbols ({@code name+0xOFF/0xSIZE [mod]}, or a bare {@code 0x...} where
 *       kallsyms knows none) become {@code <sym>}; consecutive frame lines of a call trace become
 *       one {@code <frames>} line, and unreliable ({@code ? }) frames are dropped: the call paths
 *       are the two kernels' own;
 *   <li>hexadecimal words and numbers (addresses, offsets, register values, pids, sizes, shadow
 *       bytes) and the caret's column under the shadow row;
 *   <li>the names that the two runs chose differently, given per test ({@code names}): task names,
 *       cache names, release strings;
 *   <li>the taint string ({@code Not tainted} / {@code Tainted: ...}, and 6.12's verbose {@code
 *       Tainted: [B]=BAD_PAGE...} line) and the preemption model that 6.15 on prints after the
 *       version: both compared exactly by unit tests;
 *   <li>machine identity: {@code Hardware name:}, {@code Modules linked in:}, {@code PKRU:} and
 *       {@code Code:} lines are dropped from both sides.
 * </ul>
 */
public final class Golden {
  private final String resource;
  private final List<String> header = new ArrayList<>();
  private final List<String> lines = new ArrayList<>();

  private Golden(String resource) {
    this.resource = resource;
  }

  /** Loads {@code golden/reports/<name>}. */
  public static Golden load(String name) throws IOException {
    Golden g = new Golden("golden/reports/" + name);
    try (InputStream in = Golden.class.getClassLoader().getResourceAsStream(g.resource)) {
      if (in == null) {
        throw new IOException("no resource " + g.resource);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      for (String l : text.split("\n", -1)) {
        if (l.startsWith("#")) {
          g.header.add(l);
        } else {
          g.lines.add(l);
        }
      }
    }
    while (!g.lines.isEmpty() && g.lines.get(g.lines.size() - 1).isBlank()) {
      g.lines.remove(g.lines.size() - 1);
    }
    while (!g.lines.isEmpty() && g.lines.get(0).isBlank()) {
      g.lines.remove(0);
    }
    return g;
  }

  /** The {@code # source:} header line: every golden names where its text comes from. */
  public String source() {
    return header.stream().filter(h -> h.startsWith("# source:")).findFirst().orElse(null);
  }

  public List<String> rawLines() {
    return lines;
  }

  private static final Pattern TIMESTAMP =
      Pattern.compile(
          "^(<\\d>)?(\\[\\s*\\d+\\.\\d+\\] ?|\\[\\w{3} \\w{3} [ \\d]\\d [\\d:]{8} \\d{4}\\] ?)?");
  private static final Pattern SYMBOL =
      Pattern.compile("(?<![\\w.])[A-Za-z_][\\w.]*\\+0x[0-9a-f]+/0x[0-9a-f]+( \\[[\\w]+\\])?");
  private static final Pattern BARE_ADDR_LINE = Pattern.compile("^ 0x[0-9a-f]{8,16}$");
  private static final Pattern FRAME = Pattern.compile("^ <sym>$");
  private static final Pattern TAINT =
      Pattern.compile("(Not tainted|Tainted: [A-Z ]*[A-Z](\\s+-+\\s+-+)?)\\s*");

  /** {@code preempt_model_str()} after the version (6.15 on): compared by unit tests. */
  private static final Pattern PREEMPT = Pattern.compile(" (PREEMPT[\\w()_]*|NONE|VOLUNTARY)$");

  /** The user registers saved at syscall entry, inside a call trace. */
  private static final Pattern USER_REGS =
      Pattern.compile("^(RIP: 0033:|RSP: 002b:|RAX: |RDX: |RBP: |R10: |R13: ).*");

  private static final Pattern HEX = Pattern.compile("\\b(0x)?[0-9a-f]*\\d[0-9a-f]*\\b");
  private static final Pattern CARET = Pattern.compile("^\\s+\\^$");

  /** Masks one report (a list of dmesg lines) as described in the class comment. */
  public static List<String> mask(List<String> in, Map<String, String> names) {
    return mask(in, names, false);
  }

  /**
   * Masks {@code in} as {@link #mask(List, Map)} does.
   *
   * @param foldEntry also fold the user registers at the bottom of a trace into {@code <frames>}:
   *     for comparing a system call's trace with a kernel thread's
   */
  public static List<String> mask(List<String> in, Map<String, String> names, boolean foldEntry) {
    List<String> out = new ArrayList<>();
    boolean inTrace = false;
    for (String raw : in) {
      String l = TIMESTAMP.matcher(raw).replaceFirst("").stripTrailing();
      if (l.equals("...")) {
        out.add(l);
        continue;
      }
      if (l.startsWith("Tainted: [")) {
        continue; // print_tainted_verbose() (6.12+): part of the taint, compared by unit tests
      }
      if (l.startsWith("Hardware name:")
          || l.startsWith("Modules linked in:")
          || l.startsWith("PKRU:")
          || l.startsWith("Code:")) {
        continue;
      }
      for (Map.Entry<String, String> e : names.entrySet()) {
        l = l.replace(e.getKey(), e.getValue());
      }
      if (l.startsWith(" ? ")) {
        continue;
      }
      l = TAINT.matcher(l).replaceAll("<taint> ").stripTrailing();
      l = PREEMPT.matcher(l).replaceAll("");
      l = SYMBOL.matcher(l).replaceAll("<sym>");
      if (BARE_ADDR_LINE.matcher(l).matches()) {
        l = " <sym>";
      }
      if (CARET.matcher(l).matches()) {
        l = "<caret>";
      }
      if (inTrace && foldEntry && USER_REGS.matcher(l).matches()) {
        l = " <sym>";
      }
      l = HEX.matcher(l).replaceAll("N");
      if (l.equals(" <TASK>")) {
        inTrace = true;
      } else if (l.equals(" </TASK>")) {
        inTrace = false;
      }
      if (inTrace && FRAME.matcher(l).matches()) {
        if (!out.isEmpty() && out.get(out.size() - 1).equals(" <frames>")) {
          continue;
        }
        l = " <frames>";
      }
      out.add(l);
    }
    return out;
  }

  /**
   * Compares this golden with {@code dmesg}: the masked golden must appear in the masked dmesg,
   * starting at the first line that matches its first line (a {@code ...} line matches any run of
   * lines). Returns null if it does, else a description of the first difference.
   */
  public String compare(List<String> dmesg, Map<String, String> names) {
    return compare(dmesg, names, false);
  }

  /** {@link #compare(List, Map)}, folding the syscall-entry registers if {@code foldEntry}. */
  public String compare(List<String> dmesg, Map<String, String> names, boolean foldEntry) {
    List<String> g = mask(lines, names, foldEntry);
    List<String> d = mask(dmesg, names, foldEntry);
    String best = null;
    for (int start = 0; start < d.size(); start++) {
      if (!d.get(start).equals(g.get(0))) {
        continue;
      }
      String diff = matchFrom(g, d, start);
      if (diff == null) {
        return null;
      }
      if (best == null) {
        best = diff;
      }
    }
    return best != null
        ? best
        : resource
            + ": first line "
            + q(g.get(0))
            + " not found in the masked dmesg:\n  "
            + String.join("\n  ", d);
  }

  private String matchFrom(List<String> g, List<String> d, int start) {
    int i = 0;
    int j = start;
    while (i < g.size()) {
      String want = g.get(i);
      if (want.equals("...")) {
        if (i + 1 == g.size()) {
          return null;
        }
        String next = g.get(i + 1);
        while (j < d.size() && !d.get(j).equals(next)) {
          j++;
        }
        i++;
        continue;
      }
      if (j >= d.size()) {
        return resource + ": golden line " + (i + 1) + " " + q(want) + ": slabfs's report ended";
      }
      if (!d.get(j).equals(want)) {
        StringBuilder sb =
            new StringBuilder(
                resource
                    + ": golden line "
                    + (i + 1)
                    + "\n  want "
                    + q(want)
                    + "\n  got  "
                    + q(d.get(j))
                    + "\nmasked slabfs output from the start:\n");
        for (int k = start; k < Math.min(d.size(), j + 3); k++) {
          sb.append("  ").append(k == j ? "> " : "  ").append(d.get(k)).append('\n');
        }
        return sb.toString();
      }
      i++;
      j++;
    }
    return null;
  }

  private static String q(String s) {
    Matcher m = Pattern.compile("\"").matcher(s);
    return "\"" + m.replaceAll("\\\\\"") + "\"";
  }
}
