package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares a mounted {@code kernel/slab} with this machine's real {@code /sys/kernel/slab}, both
 * read with the same real commands ({@code ls}, {@code find}, {@code readlink}, {@code cat}).
 */
final class RealSlabTree {
  static final Path REAL = Path.of("/sys/kernel/slab");

  /** The attributes that depend only on the cache's geometry and flags, not on its use. */
  static final List<String> GEOMETRY =
      List.of(
          "object_size",
          "slab_size",
          "align",
          "order",
          "objs_per_slab",
          "min_partial",
          "cpu_partial");

  private RealSlabTree() {}

  static void assumeRealTree() {
    assumeTrue(Files.isDirectory(REAL.resolve("kmalloc-64")), "this machine has no " + REAL);
  }

  /** {@code nproc}: how many CPUs the real tree's per-CPU values were made with. */
  static String nproc() {
    return Cmd.run(null, "nproc").ok().out().strip();
  }

  static Set<String> names(Path slab) {
    return new TreeSet<>(Cmd.run(slab, "ls", "-1", "-A").ok().lines());
  }

  static List<String> links(Path slab) {
    return Cmd.run(
            slab, "find", ".", "-mindepth", "1", "-maxdepth", "1", "-type", "l", "-printf", "%f\\n")
        .ok()
        .lines()
        .stream()
        .sorted()
        .toList();
  }

  static List<String> dirs(Path slab) {
    return Cmd.run(
            slab, "find", ".", "-mindepth", "1", "-maxdepth", "1", "-type", "d", "-printf", "%f\\n")
        .ok()
        .lines()
        .stream()
        .sorted()
        .toList();
  }

  static void assertSameNames(Path sim) {
    Set<String> real = names(REAL);
    Set<String> mine = names(sim);
    Set<String> missing = new TreeSet<>(real);
    missing.removeAll(mine);
    Set<String> extra = new TreeSet<>(mine);
    extra.removeAll(real);
    assertThat(missing).as("in /sys/kernel/slab but not in the mount").isEmpty();
    assertThat(extra).as("in the mount but not in /sys/kernel/slab").isEmpty();
  }

  /** Every real symlink exists in the mount as a symlink with the same {@code readlink}. */
  static void assertSameLinks(Path sim) {
    List<String> real = links(REAL);
    assertThat(links(sim)).isEqualTo(real);
    List<String> realTargets = Cmd.run(REAL, Cmd.concat(List.of("readlink"), real)).ok().lines();
    List<String> simTargets = Cmd.run(sim, Cmd.concat(List.of("readlink"), real)).ok().lines();
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < real.size(); i++) {
      if (!realTargets.get(i).equals(simTargets.get(i))) {
        wrong.add(
            real.get(i) + ": real -> " + realTargets.get(i) + ", mount -> " + simTargets.get(i));
      }
    }
    assertThat(wrong).isEmpty();
  }

  /** For every real cache directory, the {@link #GEOMETRY} files read the same in the mount. */
  static void assertSameGeometry(Path sim) {
    List<String> files = new ArrayList<>();
    for (String dir : dirs(REAL)) {
      for (String f : GEOMETRY) {
        files.add(dir + "/" + f);
      }
    }
    List<String> cat = List.of("cat");
    List<String> real = Cmd.run(REAL, Cmd.concat(cat, files)).ok().lines();
    Cmd.Result mine = Cmd.run(sim, Cmd.concat(cat, files));
    assertThat(mine.exit()).as("cat in the mount: %s", mine.err()).isZero();
    assertThat(real).hasSameSizeAs(files);
    List<String> simLines = mine.lines();
    assertThat(simLines).hasSameSizeAs(files);
    List<String> wrong = new ArrayList<>();
    for (int i = 0; i < files.size(); i++) {
      if (!real.get(i).equals(simLines.get(i))) {
        wrong.add(files.get(i) + ": real " + real.get(i) + ", mount " + simLines.get(i));
      }
    }
    assertThat(wrong).isEmpty();
  }
}
