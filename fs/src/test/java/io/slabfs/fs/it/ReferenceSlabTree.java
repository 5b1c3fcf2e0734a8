package io.slabfs.fs.it;

import io.slabfs.kernel.testing.Sys;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The capture the built-in default boot set was recorded from: {@code golden/real-sysfs-sample.txt}
 * (a real 6.18.44 x86_64 machine, 2 CPUs, kept in slabcore's test resources). A default-boot mount
 * is compared with this capture, never with the live host, whose kernel build may differ.
 */
final class ReferenceSlabTree {
  private static final String GOLDEN = "/golden/real-sysfs-sample.txt";

  /** The CPU count the capture was made with ({@code nproc=2} in its header). */
  static final String CPUS = "2";

  /** One real cache directory's row of the capture's table over all real directories. */
  record Dir(
      String name,
      String objectSize,
      String slabSize,
      String align,
      String hwcacheAlign,
      String destroyByRcu,
      boolean ctor,
      String usersize,
      String reclaimAccount,
      String cacheDma) {}

  private ReferenceSlabTree() {}

  private static String text() {
    return Sys.resource(GOLDEN);
  }

  /** The whitespace-split rows under the capture's section heading starting with {@code head}. */
  static List<String[]> rows(String head) {
    return Sys.sectionRows(GOLDEN, head);
  }

  /** Every real cache directory of the capture, in its (sorted) order. */
  static List<Dir> dirs() {
    return rows("######## object_size slab_size align hwcache rcu ctor").stream()
        .map(r -> new Dir(r[0], r[1], r[2], r[3], r[4], r[5], r[6].equals("1"), r[7], r[8], r[9]))
        .toList();
  }

  /**
   * slab_size -> {order, objs_per_slab, cpu_partial, min_partial} as observed on the capture's
   * machine for caches without sheaves.
   */
  static Map<String, String[]> perSize() {
    Map<String, String[]> m = new LinkedHashMap<>();
    for (String[] r : rows("######## Per-size defaults observed")) {
      m.put(r[0], new String[] {r[1], r[2], r[3], r[4]});
    }
    return m;
  }

  /** Caches with sheaves: name -> cpu_partial (their cpu_partial is not the per-size default). */
  static Map<String, String> sheafCpuPartial() {
    Map<String, String> m = new LinkedHashMap<>();
    Pattern p = Pattern.compile("cpu_partial=(\\d+)");
    for (String[] r : rows("######## Caches with sheaf_capacity != 0")) {
      for (String field : r) {
        Matcher mm = p.matcher(field);
        if (mm.matches()) {
          m.put(r[0], mm.group(1));
        }
      }
    }
    return m;
  }

  /** The alias links the capture records with their targets ({@code UDP -> :A-0001344}). */
  static Map<String, String> links() {
    Map<String, String> m = new LinkedHashMap<>();
    Pattern p = Pattern.compile("^(\\S+) -> (:\\S+)$");
    boolean in = false;
    for (String line : text().split("\n", -1)) {
      if (!in) {
        in = line.startsWith("######## Alias symlink details");
        continue;
      }
      if (line.startsWith("########")) {
        break;
      }
      Matcher mm = p.matcher(line);
      if (mm.matches()) {
        m.put(mm.group(1), mm.group(2));
      }
    }
    return m;
  }

  /**
   * The capture's totals line: {@code entries}, {@code real_dirs} (with . and ..), {@code
   * symlinks}.
   */
  static Map<String, Integer> totals() {
    Matcher m =
        Pattern.compile(
                "totals: entries=(\\d+) real_dirs=(\\d+) \\(incl \\. and \\.\\.\\) symlinks=(\\d+)")
            .matcher(text());
    if (!m.find()) {
      throw new IllegalStateException("no totals line in " + GOLDEN);
    }
    return Map.of(
        "entries", Integer.parseInt(m.group(1)),
        "real_dirs", Integer.parseInt(m.group(2)) - 2,
        "symlinks", Integer.parseInt(m.group(3)));
  }

  /** {@code stat -c '%n %a %s'} lines of the capture's {@code kmalloc-64} listing, sorted. */
  static List<String> kmalloc64Listing() {
    List<String> out = new ArrayList<>();
    Pattern p = Pattern.compile("^-([rwx-]{9})\\s+1 root root\\s+(\\d+) .* (\\S+)$");
    boolean in = false;
    for (String line : text().split("\n", -1)) {
      if (!in) {
        in = line.equals("######## /sys/kernel/slab/kmalloc-64");
        continue;
      }
      if (line.startsWith("########") || line.contains("\t")) {
        break;
      }
      Matcher m = p.matcher(line);
      if (m.matches()) {
        out.add(m.group(3) + " " + octal(m.group(1)) + " " + m.group(2));
      }
    }
    return out.stream().sorted().toList();
  }

  private static String octal(String rwx) {
    int mode = 0;
    for (int i = 0; i < 9; i++) {
      if (rwx.charAt(i) != '-') {
        mode |= 1 << (8 - i);
      }
    }
    return Integer.toOctalString(mode);
  }
}
