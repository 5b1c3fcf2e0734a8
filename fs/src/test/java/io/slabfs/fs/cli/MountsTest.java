package io.slabfs.fs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** Which state belongs to which mount, and which process serves which mountpoint. */
class MountsTest {
  private static final Path SELF = Path.of("/proc/self");

  @Test
  void pathsThatFoldToOneReadableNameKeepTheirOwnKeys() {
    Set<String> keys =
        Stream.of("/tmp/a b", "/tmp/a_b", "/tmp/a/b", "/tmp/a\tb", "/tmp/a\\b")
            .map(p -> Mounts.key(Path.of(p)))
            .collect(Collectors.toSet());
    assertThat(keys).hasSize(5).allMatch(k -> k.startsWith("tmp_a_b-"));
    assertThat(keys).allMatch(k -> k.matches("[A-Za-z0-9._-]+"));
  }

  @Test
  void aLongPathKeepsAFileNameShortEnough() {
    String key = Mounts.key(Path.of("/" + "d".repeat(200) + "/" + "e".repeat(200)));
    assertThat(key.length() + ".pid".length()).isLessThanOrEqualTo(255);
  }

  @Test
  void theDaemonsArgvNamesTheMountpointItServes() {
    List<String> argv =
        List.of(
            "/usr/bin/java",
            "-Dslabfs.log=/tmp/slabfs/x.log",
            "-jar",
            "/src/fs/target/slabfs.jar",
            "mount",
            "/tmp/a b",
            "--kernel",
            "v6.18",
            "--foreground",
            "--notify-ready");
    assertThat(Mounts.servedMountpoint(argv, SELF)).contains(Path.of("/tmp/a b"));
  }

  @Test
  void aClassPathLaunchIsRecognisedToo() {
    List<String> argv =
        List.of(
            "java",
            "-cp",
            "a.jar:b.jar",
            Slabfs.class.getName(),
            "mount",
            "--cpus",
            "4",
            "/tmp/a_b",
            "--foreground");
    assertThat(Mounts.servedMountpoint(argv, SELF)).contains(Path.of("/tmp/a_b"));
  }

  @Test
  void aRelativeMountpointIsResolvedAgainstTheProcessesCwd() {
    List<String> argv = List.of("java", "-jar", "slabfs.jar", "mount", "sys", "--foreground");
    Path cwd = Path.of("").toAbsolutePath();
    assertThat(Mounts.servedMountpoint(argv, SELF)).contains(Mounts.canonical(cwd.resolve("sys")));
  }

  @Test
  void otherProcessesServeNothing() {
    Path none = SELF;
    assertThat(Mounts.servedMountpoint(List.of("sleep", "100"), none)).isEmpty();
    // the launcher's own mount (it spawns the daemon, it does not serve)
    assertThat(
            Mounts.servedMountpoint(
                List.of("java", "-jar", "slabfs.jar", "mount", "/tmp/a b"), none))
        .isEmpty();
    assertThat(
            Mounts.servedMountpoint(
                List.of("java", "-jar", "slabfs.jar", "umount", "/tmp/a b"), none))
        .isEmpty();
    assertThat(
            Mounts.servedMountpoint(
                List.of("java", "-jar", "other.jar", "mount", "/tmp/a b", "--foreground"), none))
        .isEmpty();
  }
}
