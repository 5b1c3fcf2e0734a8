package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The command line: one-line errors with nothing mounted, options reaching the tree, umount. */
class CliIT {
  @TempDir Path tmp;
  private Path dir;

  @BeforeEach
  void emptyDir() throws IOException {
    Mount.assumeFuse();
    dir = Files.createDirectory(tmp.resolve("sys"));
  }

  private static void assertOneLineErrorAndNothingMounted(Cmd.Result r, Path dir) {
    assertThat(r.exit()).as("%s", r).isNotZero();
    assertThat(r.all().lines().toList()).as("output of %s", r.command()).hasSize(1);
    assertThat(r.all()).startsWith("slabfs: ");
    assertThat(Mount.isMounted(dir)).as("%s is mounted", dir).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "--bogus",
        "--cpus 0",
        "--kernel v9",
        "--nodes 3",
        "--boot nope",
        "--extra-caches -1",
        "--extra-caches 100000"
      })
  void badOptionIsOneLineAndNothingMounted(String options) throws IOException {
    List<String> args = new ArrayList<>(List.of("mount", dir.toString()));
    args.addAll(List.of(options.split(" ")));
    Cmd.Result r = Mount.run(args.toArray(String[]::new));
    assertOneLineErrorAndNothingMounted(r, dir);
    try (Stream<Path> s = Files.list(dir)) {
      assertThat(s).as("the mountpoint is untouched").isEmpty();
    }
  }

  @Test
  void missingMountpoint() {
    Path missing = tmp.resolve("missing");
    Cmd.Result r = Mount.run("mount", missing.toString());
    assertOneLineErrorAndNothingMounted(r, missing);
    assertThat(r.all()).contains(missing.toString());
    assertThat(missing).doesNotExist();
  }

  @Test
  void nonEmptyMountpoint() throws IOException {
    Files.writeString(dir.resolve("file"), "x");
    Cmd.Result r = Mount.run("mount", dir.toString());
    assertOneLineErrorAndNothingMounted(r, dir);
    assertThat(r.all()).contains("not empty");
    assertThat(dir.resolve("file")).hasContent("x");
  }

  @Test
  void umountOfADirectoryThatIsNotMounted() {
    Cmd.Result r = Mount.run("umount", dir.toString());
    assertOneLineErrorAndNothingMounted(r, dir);
  }

  @Test
  void cpusAndNodesReachTheTreeAndUmountLeavesNoDaemon() {
    try (Mount m = Mount.mount(dir, "--cpus", "4", "--nodes", "2")) {
      assertThat(Cmd.run(m.dir(), "cat", "devices/system/cpu/possible").ok().out())
          .isEqualTo("0-3\n");
      assertThat(javaProcessesNaming(dir)).as("the daemon while mounted").isNotEmpty();
    }
    assertThat(Mount.isMounted(dir)).isFalse();
    assertThat(javaProcessesNaming(dir)).as("processes left after umount").isEmpty();
  }

  /** Processes whose {@code /proc/PID/cmdline} has an argument naming {@code dir}. */
  private static List<String> javaProcessesNaming(Path dir) {
    String name = dir.toString();
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        byte[] raw;
        try {
          raw = Files.readAllBytes(p.resolve("cmdline"));
        } catch (IOException e) {
          continue; // the process went away
        }
        List<String> argv = List.of(new String(raw, StandardCharsets.UTF_8).split("\0"));
        if (!argv.isEmpty()
            && argv.get(0).endsWith("java")
            && argv.stream().anyMatch(a -> a.equals(name) || a.startsWith(name + "/"))) {
          found.add(p.getFileName() + ": " + String.join(" ", argv));
        }
      }
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    return found;
  }
}
