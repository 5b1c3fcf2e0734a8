package io.slabfs.fs.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Ours: simulator (the host side of a mount, as fusermount sees it).
 *
 * <p>The host side of a mount: {@code /proc/self/mountinfo}, {@code fusermount}, and where a
 * mount's log and pid file live ({@code $SLABFS_STATE_DIR}, default {@code /tmp/slabfs}).
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
    return path.replace("\\", "\\134").replace(" ", "\\040").replace("\t", "\\011")
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
      ProcessBuilder pb = lazy
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

  private static String key(Path mountpoint) {
    String s = mountpoint.toString().replaceAll("^/+", "").replaceAll("[^A-Za-z0-9._-]", "_");
    return s.isEmpty() ? "root" : s;
  }

  static Path logFile(Path mountpoint) {
    return stateDir().resolve(key(mountpoint) + ".log");
  }

  static Path pidFile(Path mountpoint) {
    return stateDir().resolve(key(mountpoint) + ".pid");
  }

  static OptionalLong daemonPid(Path mountpoint) {
    try {
      return OptionalLong.of(Long.parseLong(Files.readString(pidFile(mountpoint)).strip()));
    } catch (IOException | NumberFormatException e) {
      return OptionalLong.empty();
    }
  }
}
