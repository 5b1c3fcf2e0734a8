package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Tier 3: the default tree through a real mount, read and written with real commands. */
class MountTreeIT {
  private static final String K64 = "kernel/slab/kmalloc-64";

  private static final Pattern COUNTS = Pattern.compile("^\\d+( N\\d+=\\d+)*$");
  private static final Pattern CPU_PARTIAL =
      Pattern.compile("^\\d+\\(\\d+\\)( C\\d+=\\d+\\(\\d+\\))*$");
  private static final Pattern CTOR =
      Pattern.compile("^\\S+\\+0x[0-9a-f]+/0x[0-9a-f]+( \\[\\S+\\])?$");
  private static final List<String> COUNT_FILES =
      List.of("objects", "slabs", "partial", "cpu_slabs", "total_objects", "objects_partial");

  @TempDir static Path tmp;
  private static Mount mount;
  private static Path root;

  @BeforeAll
  static void mount() throws Exception {
    mount = Mount.mount(Files.createDirectory(tmp.resolve("sys")));
    root = mount.dir();
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  private static Cmd.Result run(String... command) {
    return Cmd.run(root, command);
  }

  /** {@code stat -c '%n %a %s' *} in {@code dir}: "name mode size" lines, sorted. */
  private static List<String> listing(Path dir) {
    return Cmd.sh(dir, "stat -c '%n %a %s' *").ok().lines().stream().sorted().toList();
  }

  @Test
  void catObjectSize() {
    assertThat(run("cat", K64 + "/object_size").ok().out()).isEqualTo("64\n");
  }

  @Test
  void statOfFileDirectoryAndLinkIsWhatSysfsGives() {
    String link = firstLink();
    assertThat(
            run("stat", "-c", "%a %s %h %F", K64 + "/object_size", K64, "kernel/slab/" + link)
                .ok()
                .lines())
        .containsExactly("400 4096 1 regular file", "755 0 2 directory", "777 0 1 symbolic link");
  }

  @Test
  void lsLongShowsModesOwnerAndSize() {
    List<String> lines = run("ls", "-l", K64).ok().lines();
    assertThat(lines).anyMatch(l -> l.matches("-r-------- 1 root root 4096 .* object_size"));
    assertThat(lines).anyMatch(l -> l.matches("-rw------- 1 root root 4096 .* min_partial"));
    assertThat(run("ls", "-l", "kernel/slab").ok().lines())
        .anyMatch(l -> l.matches("lrwxrwxrwx 1 root root 0 .* -> [^/]+"))
        .anyMatch(l -> l.matches("drwxr-xr-x 2 root root 0 .* kmalloc-64"));
  }

  /** The default boot set's kmalloc-64 against the capture it was recorded from. */
  @Test
  void kmalloc64ListingEqualsTheCapturedOne() {
    List<String> sim = listing(root.resolve(K64));
    assertThat(sim).hasSize(30);
    assertThat(sim).isEqualTo(ReferenceSlabTree.kmalloc64Listing());
  }

  @Test
  void everyCacheDirectoryHasTheKmalloc64Listing() {
    List<String> expected = listing(root.resolve(K64));
    List<String> dirs =
        run("find", "kernel/slab", "-mindepth", "1", "-maxdepth", "1", "-type", "d").ok().lines();
    assertThat(dirs).hasSizeGreaterThan(100);
    Map<String, List<String>> byDir = new TreeMap<>();
    // find lstat()s every entry anyway (FUSE readdir gives no d_type); -printf reuses that stat
    for (String line :
        run("find", "kernel/slab", "-mindepth", "2", "-maxdepth", "2", "-printf", "%p %m %s\\n")
            .ok()
            .lines()) {
      String rel = line.substring("kernel/slab/".length());
      int slash = rel.indexOf('/');
      byDir
          .computeIfAbsent("kernel/slab/" + rel.substring(0, slash), d -> new ArrayList<>())
          .add(rel.substring(slash + 1));
    }
    assertThat(byDir.keySet()).containsExactlyInAnyOrderElementsOf(dirs);
    List<String> wrong = new ArrayList<>();
    byDir.forEach(
        (dir, files) -> {
          if (!files.stream().sorted().toList().equals(expected)) {
            wrong.add(dir + ": " + files.stream().sorted().toList());
          }
        });
    assertThat(wrong).as("directories whose listing differs from " + expected).isEmpty();
  }

  @Test
  void everyFileUnderKernelSlabReads() {
    Cmd.Result r = run("find", "kernel/slab", "-type", "f", "-exec", "cat", "{}", "+");
    assertThat(r.exit()).as(r.err()).isZero();
    assertThat(r.err()).isEmpty();
  }

  @Test
  void contentsHaveTheKernelsFormats() {
    List<String> dirs =
        run("find", "kernel/slab", "-mindepth", "1", "-maxdepth", "1", "-type", "d").ok().lines();
    List<String> files = new ArrayList<>();
    for (String dir : dirs) {
      for (String f : COUNT_FILES) {
        files.add(dir + "/" + f);
      }
      files.add(dir + "/slabs_cpu_partial");
      files.add(dir + "/ctor");
    }
    // grep -H -Z '' prints every line of every file as "path\0line"; empty files print nothing
    Map<String, List<String>> lines = new TreeMap<>();
    Cmd.Result r = Cmd.run(root, Cmd.concat(List.of("grep", "-H", "-Z", ""), files));
    assertThat(r.exit()).as(r.err()).isZero();
    for (String l : r.lines()) {
      int nul = l.indexOf('\0');
      lines.computeIfAbsent(l.substring(0, nul), p -> new ArrayList<>()).add(l.substring(nul + 1));
    }
    List<String> wrong = new ArrayList<>();
    for (String f : files) {
      List<String> content = lines.getOrDefault(f, List.of());
      boolean good;
      if (f.endsWith("/ctor")) {
        good = content.isEmpty() || (content.size() == 1 && CTOR.matcher(content.get(0)).matches());
      } else {
        Pattern p = f.endsWith("/slabs_cpu_partial") ? CPU_PARTIAL : COUNTS;
        good = content.size() == 1 && p.matcher(content.get(0)).matches();
      }
      if (!good) {
        wrong.add(f + ": " + content);
      }
    }
    assertThat(wrong).isEmpty();
    assertThat(lines.keySet()).anyMatch(f -> f.endsWith("/ctor"));
  }

  @Test
  void symlinksReadBackBareSiblingNames() {
    List<String> links =
        run("find", "kernel/slab", "-mindepth", "1", "-maxdepth", "1", "-type", "l").ok().lines();
    assertThat(links).isNotEmpty();
    Set<String> dirs =
        new TreeSet<>(
            run(
                    "find",
                    "kernel/slab",
                    "-mindepth",
                    "1",
                    "-maxdepth",
                    "1",
                    "-type",
                    "d",
                    "-printf",
                    "%f\\n")
                .ok()
                .lines());
    List<String> targets = Cmd.run(root, Cmd.concat(List.of("readlink"), links)).ok().lines();
    assertThat(targets).hasSameSizeAs(links);
    for (int i = 0; i < links.size(); i++) {
      assertThat(targets.get(i)).as("readlink " + links.get(i)).doesNotContain("/").isIn(dirs);
    }
  }

  @Test
  void catOfADirectoryIsEisdir() {
    Cmd.Result r = run("cat", K64);
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("Is a directory");
  }

  @Test
  void rootCannotWriteAReadOnlyAttribute() {
    String before = run("cat", K64 + "/order").ok().out();
    Cmd.Result r = Cmd.sh(root, "echo 1 > " + K64 + "/order");
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("Permission denied");
    assertThat(run("cat", K64 + "/order").ok().out()).isEqualTo(before);
  }

  /**
   * Errors of {@code write()} are checked with bash: dash, Debian's {@code sh}, reports any failed
   * write of its builtin echo as "I/O error", whatever the errno.
   */
  private static Cmd.Result bash(String script) {
    return Cmd.run(root, "bash", "-c", script);
  }

  @Test
  void minPartialStoresAndRefusesNegative() {
    String f = K64 + "/min_partial";
    Cmd.sh(root, "echo 7 > " + f).ok();
    assertThat(run("cat", f).ok().out()).isEqualTo("7\n");
    Cmd.Result r = bash("echo -1 > " + f);
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("Invalid argument");
    assertThat(run("cat", f).ok().out()).isEqualTo("7\n");
  }

  @Test
  void remoteNodeDefragRatioAbove100IsErange() {
    String f = K64 + "/remote_node_defrag_ratio";
    String before = run("cat", f).ok().out();
    Cmd.Result r = bash("echo 101 > " + f);
    assertThat(r.exit()).isNotZero();
    assertThat(r.err()).contains("Numerical result out of range");
    assertThat(run("cat", f).ok().out()).isEqualTo(before);
  }

  private static String firstLink() {
    List<String> links =
        run(
                "find",
                "kernel/slab",
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "-type",
                "l",
                "-printf",
                "%f\\n")
            .ok()
            .lines();
    assertThat(links).isNotEmpty();
    return links.get(0);
  }
}
