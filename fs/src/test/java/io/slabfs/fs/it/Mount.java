package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A real slabfs mount for one test class: {@link #mount} runs {@code java -jar slabfs.jar mount DIR
 * ARGS...} and expects exit 0; {@link #close} always runs {@code slabfs umount DIR} and checks that
 * {@code /proc/self/mountinfo} no longer lists the directory. If the umount command fails, close
 * still detaches the mount ({@code fusermount -u -z}) before failing, so that a broken test never
 * leaves a mount behind.
 *
 * <p>The jar under test is the system property {@code slabfs.jar} (set by failsafe). It is copied
 * once per test JVM, so that a rebuild of {@code target/slabfs.jar} while the tests run cannot pull
 * the jar from under a running daemon.
 */
final class Mount implements AutoCloseable {
  private static Path jarCopy;

  private final Path dir;
  private boolean closed;

  private Mount(Path dir) {
    this.dir = dir;
  }

  /** Skips the calling test (class) when this machine cannot mount FUSE. */
  static void assumeFuse() {
    assumeTrue(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing: no FUSE here");
    assumeTrue(onPath("fusermount"), "fusermount is not on PATH (install fuse)");
  }

  private static boolean onPath(String program) {
    String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
    for (String d : path.split(File.pathSeparator)) {
      if (!d.isEmpty() && Files.isExecutable(Path.of(d, program))) {
        return true;
      }
    }
    return false;
  }

  /** The jar to run: a private copy of {@code -Dslabfs.jar}. */
  static synchronized Path jar() {
    if (jarCopy == null) {
      String prop = System.getProperty("slabfs.jar");
      assertThat(prop).as("system property slabfs.jar (set by failsafe)").isNotBlank();
      Path built = Path.of(prop);
      assertThat(built).as("the shaded jar; run mvn verify").isRegularFile();
      try {
        Path d = Files.createTempDirectory("slabfs-it-jar");
        d.toFile().deleteOnExit(); // deleteOnExit runs in reverse order: the jar, then d
        Path copy = d.resolve("slabfs.jar");
        copy.toFile().deleteOnExit();
        Files.copy(built, copy, StandardCopyOption.REPLACE_EXISTING);
        jarCopy = copy;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return jarCopy;
  }

  /**
   * Where the mounts of these tests keep their logs and pid files ({@code SLABFS_STATE_DIR}):
   * beside the jar under {@code target/}, so that they stay for a post-mortem and do not pile up in
   * {@code /tmp/slabfs}.
   */
  static Path stateDir() {
    Path built = Path.of(System.getProperty("slabfs.jar", "target/slabfs.jar")).toAbsolutePath();
    return built.resolveSibling("it-state");
  }

  /** Runs {@code java -jar slabfs.jar ARGS...} with the tests' state directory. */
  static Cmd.Result run(String... args) {
    return Cmd.run(null, Map.of("SLABFS_STATE_DIR", stateDir().toString()), slabfs(args));
  }

  /** {@code java -jar slabfs.jar ARGS...}. */
  private static List<String> slabfs(String... args) {
    return slabfs(List.of(), args);
  }

  /** {@code java JVMARGS... -jar slabfs.jar ARGS...}; the daemon inherits the JVM options. */
  private static List<String> slabfs(List<String> jvmArgs, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmArgs);
    cmd.add("-jar");
    cmd.add(jar().toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Runs {@code slabfs mount DIR ARGS...}, which must exit 0 with the tree ready. */
  static Mount mount(Path dir, String... args) {
    return mountWithJvm(List.of(), dir, args);
  }

  /** {@link #mount} with options for the daemon's JVM, e.g. {@code -Xmx128m}. */
  static Mount mountWithJvm(List<String> jvmArgs, Path dir, String... args) {
    assumeFuse();
    Path mp = dir.toAbsolutePath().normalize();
    List<String> argv = new ArrayList<>(List.of("mount", mp.toString()));
    argv.addAll(List.of(args));
    Cmd.Result r =
        Cmd.run(
            null,
            Map.of("SLABFS_STATE_DIR", stateDir().toString()),
            slabfs(jvmArgs, argv.toArray(String[]::new)));
    Mount m = new Mount(mp);
    if (r.exit() != 0 || !isMounted(mp)) {
      String why =
          "slabfs mount failed: "
              + r
              + "\nmountinfo lists it: "
              + isMounted(mp)
              + "\nlogs in "
              + stateDir();
      if (isMounted(mp)) {
        try {
          m.close();
        } catch (AssertionError e) {
          why += "\nand the clean-up failed too: " + e.getMessage();
        }
      }
      fail(why);
    }
    return m;
  }

  Path dir() {
    return dir;
  }

  /** A path inside the mount. */
  Path path(String relative) {
    return dir.resolve(relative);
  }

  /** Whether {@code /proc/self/mountinfo} lists {@code dir} as a mount point. */
  static boolean isMounted(Path dir) {
    String mp = escape(dir.toAbsolutePath().normalize().toString());
    try (Stream<String> lines = Files.lines(Path.of("/proc/self/mountinfo"))) {
      return lines.map(l -> l.split(" ")).anyMatch(f -> f.length > 4 && f[4].equals(mp));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String escape(String path) {
    return path.replace("\\", "\\134")
        .replace(" ", "\\040")
        .replace("\t", "\\011")
        .replace("\n", "\\012");
  }

  /** Runs {@code slabfs umount}; afterwards the directory is no mount point, whatever happened. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Cmd.Result r = run("umount", dir.toString());
    boolean stillMounted = isMounted(dir);
    String detach = "";
    if (stillMounted) {
      detach = Cmd.run(null, "fusermount", "-u", "-z", dir.toString()).toString();
    }
    if (stillMounted || r.exit() != 0) {
      fail(
          "slabfs umount "
              + dir
              + ": "
              + r
              + "\nstill mounted after it: "
              + stillMounted
              + (detach.isEmpty() ? "" : "\nfusermount -u -z: " + detach)
              + "\nmounted now: "
              + isMounted(dir));
    }
  }
}
