package io.slabfs.fs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * Ours: simulator (the host side of a mount, as fusermount sees it).
 *
 * <p>The host side of a mount: {@code /proc/self/mountinfo}, {@code fusermount}, where a mount's
 * log and pid file live ({@code $SLABFS_STATE_DIR}, default {@code /tmp/slabfs}, one pair per
 * canonical mountpoint), and which process serves a mount.
 */
final class Mounts {
  static final String FS_TYPE = "fuse.slabfs";

  private Mounts() {}

  /** Whether a slabfs FUSE mount sits at {@code mountpoint} (canonical path). */
  static boolean isMounted(Path mountpoint) {
    return mountLine(mountpoint).isPresent();
  }

  static Optional<String> mountLine(Path mountpoint) {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/mountinfo"));
      String mp = escape(mountpoint.toString());
      for (String line : lines) {
        String[] f = line.split(" ");
        int dash = line.indexOf(" - ");
        if (f.length > 4 && f[4].equals(mp) && dash > 0) {
          String type = line.substring(dash + 3).split(" ")[0];
          if (type.equals(FS_TYPE)) {
            return Optional.of(line);
          }
        }
      }
    } catch (IOException e) {
      // no mountinfo: nothing is mounted that we can see
    }
    return Optional.empty();
  }

  /** mountinfo escapes space, tab, newline and backslash as octal. */
  private static String escape(String path) {
    return path.replace("\\", "\\134")
        .replace(" ", "\\040")
        .replace("\t", "\\011")
        .replace("\n", "\\012");
  }

  /** True when the mount exists but its daemon is gone ("Transport endpoint is not connected"). */
  static boolean isDead(Path mountpoint) {
    try {
      Files.readAttributes(mountpoint, "unix:ino");
      return false;
    } catch (IOException | UnsupportedOperationException e) {
      return String.valueOf(e.getMessage()).contains("not connected")
          || !Files.isDirectory(mountpoint);
    }
  }

  /** Runs {@code fusermount -u [-z] MOUNTPOINT}; returns its one-line error or empty on success. */
  static Optional<String> fusermountUnmount(Path mountpoint, boolean lazy) {
    try {
      ProcessBuilder pb =
          lazy
              ? new ProcessBuilder("fusermount", "-u", "-z", mountpoint.toString())
              : new ProcessBuilder("fusermount", "-u", mountpoint.toString());
      pb.redirectErrorStream(true);
      Process p = pb.start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      int rc = p.waitFor();
      return rc == 0 ? Optional.empty() : Optional.of(out.isEmpty() ? "fusermount failed" : out);
    } catch (IOException e) {
      return Optional.of("cannot run fusermount: " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.of("interrupted");
    }
  }

  static Path stateDir() {
    String dir = System.getenv("SLABFS_STATE_DIR");
    return Path.of(dir != null && !dir.isEmpty() ? dir : "/tmp/slabfs");
  }

  /**
   * The canonical form of a mountpoint, the one key of everything kept about it: symlinks resolved
   * ({@code realpath}). A dead mount cannot be resolved itself ("Transport endpoint is not
   * connected"), so then its parent is resolved and its own name kept.
   */
  static Path canonical(Path mountpoint) {
    Path abs = mountpoint.toAbsolutePath();
    try {
      return abs.toRealPath();
    } catch (IOException e) {
      abs = abs.normalize();
      Path parent = abs.getParent();
      if (parent == null || abs.getFileName() == null) {
        return abs;
      }
      try {
        return parent.toRealPath().resolve(abs.getFileName());
      } catch (IOException e2) {
        return abs;
      }
    }
  }

  /**
   * The file-name key of a canonical mountpoint: a readable prefix (the path with every character
   * outside {@code [A-Za-z0-9._-]} folded to {@code _}, which alone would make {@code /tmp/a b},
   * {@code /tmp/a_b} and {@code /tmp/a/b} one key) and 16 hex digits of the SHA-256 of the path
   * itself, which keeps distinct paths apart.
   */
  static String key(Path canonicalMountpoint) {
    String path = canonicalMountpoint.toString();
    String readable = path.replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]", "_");
    if (readable.isEmpty()) {
      readable = "root";
    }
    if (readable.length() > 64) {
      readable = readable.substring(readable.length() - 64);
    }
    try {
      byte[] sha =
          MessageDigest.getInstance("SHA-256").digest(path.getBytes(StandardCharsets.UTF_8));
      return readable + "-" + HexFormat.of().formatHex(sha, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java has SHA-256", e);
    }
  }

  static Path logFile(Path mountpoint) {
    return stateDir().resolve(key(mountpoint) + ".log");
  }

  static Path pidFile(Path mountpoint) {
    return stateDir().resolve(key(mountpoint) + ".pid");
  }

  /** The pid file's content: the daemon's pid, then the mountpoint it serves. */
  static void writePidFile(Path mountpoint) throws IOException {
    Path pidFile = pidFile(mountpoint);
    Files.createDirectories(pidFile.getParent());
    Files.writeString(pidFile, ProcessHandle.current().pid() + "\n" + mountpoint + "\n");
  }

  /** The pid the pid file of {@code mountpoint} names, if there is one. */
  static OptionalLong recordedPid(Path mountpoint) {
    try {
      String first = Files.readString(pidFile(mountpoint)).lines().findFirst().orElse("");
      return OptionalLong.of(Long.parseLong(first.strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }

  /** The daemon serving a mountpoint, or why none could be confirmed. */
  record Serving(OptionalLong pid, String why) {
    static Serving confirmed(long pid) {
      return new Serving(OptionalLong.of(pid), "");
    }

    static Serving none(String why) {
      return new Serving(OptionalLong.empty(), why);
    }
  }

  /**
   * The slabfs daemon serving {@code mountpoint} (canonical), confirmed rather than trusted: the
   * pid file only says where to look. The process must be a slabfs {@code mount --foreground} whose
   * own command line names this mountpoint (read from {@code /proc/PID/cmdline}, parsed by this
   * command line's own parser, relative paths resolved against its cwd), it must hold {@code
   * /dev/fuse} open, and the mount table must show a slabfs mount there.
   */
  static Serving servingDaemon(Path mountpoint) {
    OptionalLong recorded = recordedPid(mountpoint);
    if (recorded.isEmpty()) {
      return Serving.none("no daemon is recorded for it in " + pidFile(mountpoint));
    }
    long pid = recorded.getAsLong();
    Path proc = Path.of("/proc", Long.toString(pid));
    List<String> argv;
    try {
      argv =
          List.of(
              new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8)
                  .split("\0"));
    } catch (IOException e) {
      return Serving.none("its recorded daemon (pid " + pid + ") is not running");
    }
    Optional<Path> serves = servedMountpoint(argv, proc);
    if (serves.isEmpty()) {
      return Serving.none("its recorded pid " + pid + " is not a slabfs daemon");
    }
    if (!serves.get().equals(mountpoint)) {
      return Serving.none(
          "its recorded pid "
              + pid
              + " is the daemon of "
              + serves.get()
              + ", not of "
              + mountpoint);
    }
    if (!holdsDevFuse(proc)) {
      return Serving.none("its daemon (pid " + pid + ") holds no /dev/fuse connection");
    }
    if (!isMounted(mountpoint)) {
      return Serving.none("the mount table shows no slabfs mount at " + mountpoint);
    }
    return Serving.confirmed(pid);
  }

  /** The mountpoint a process's argv serves, if it is a slabfs {@code mount --foreground}. */
  static Optional<Path> servedMountpoint(List<String> argv, Path proc) {
    int start = -1;
    for (int i = 0; i < argv.size(); i++) {
      String a = argv.get(i);
      if (a.equals(Slabfs.class.getName())
          || (a.equals("-jar") && i + 1 < argv.size() && argv.get(i + 1).endsWith("slabfs.jar"))) {
        start = a.equals("-jar") ? i + 2 : i + 1;
        break;
      }
    }
    if (start < 0) {
      return Optional.empty();
    }
    MountCommand mount;
    try {
      CommandLine.ParseResult parsed =
          new CommandLine(new Slabfs())
              .parseArgs(argv.subList(start, argv.size()).toArray(String[]::new));
      if (!parsed.hasSubcommand()
          || !(parsed.subcommand().commandSpec().userObject() instanceof MountCommand m)) {
        return Optional.empty();
      }
      mount = m;
    } catch (CommandLine.ParameterException e) {
      return Optional.empty();
    }
    if (!mount.foreground || mount.mountpoint == null) {
      return Optional.empty();
    }
    Path mp = mount.mountpoint;
    if (!mp.isAbsolute()) {
      try {
        mp = proc.resolve("cwd").toRealPath().resolve(mp);
      } catch (IOException e) {
        return Optional.empty();
      }
    }
    return Optional.of(canonical(mp));
  }

  private static boolean holdsDevFuse(Path proc) {
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      return fds.anyMatch(
          fd -> {
            try {
              return Files.readSymbolicLink(fd).toString().equals("/dev/fuse");
            } catch (IOException e) {
              return false;
            }
          });
    } catch (IOException e) {
      return false;
    }
  }
}
