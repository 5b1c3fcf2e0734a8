package io.slabfs.fs.it;

import io.slabfs.kernel.testing.Sys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The CPU and node part of a sysfs tree ({@code devices/system/cpu/cpuN}, {@code
 * devices/system/node}, {@code bus/cpu}, {@code bus/node}) as {@code ls -l} shows it: name to "mode
 * size" for files, "dir" for directories, "-> target" for links. For comparing a mount with this
 * machine's {@code /sys} and with the capture's listings.
 */
final class CpuTree {
  private CpuTree() {}

  /** The entries of {@code dir} as {@link #entry} describes them, by name. */
  static Map<String, String> listing(Path dir) {
    Map<String, String> out = new TreeMap<>();
    for (String line :
        Cmd.run(
                dir,
                "find",
                ".",
                "-mindepth",
                "1",
                "-maxdepth",
                "1",
                "-printf",
                "%P %y %m %s %l\\n")
            .ok()
            .lines()) {
      String[] f = line.split(" ", 5);
      out.put(f[0], entry(f[1], f[2], f[3], f[4]));
    }
    return out;
  }

  private static String entry(String type, String mode, String size, String target) {
    return switch (type) {
      case "d" -> "dir";
      case "l" -> "-> " + target;
      default -> mode + " " + size;
    };
  }

  /**
   * The capture's {@code ls -la} listings of the CPU hotplug section, in order (cpu0's, then
   * cpu1's), each entry described as {@link #listing} does.
   */
  static List<Map<String, String>> captured() {
    List<Map<String, String>> out = new java.util.ArrayList<>();
    Map<String, String> cur = null;
    boolean in = false;
    for (String line : Sys.resource("/golden/real-sysfs-sample.txt").split("\n", -1)) {
      if (!in) {
        in = line.equals("######## CPU hotplug sysfs");
        continue;
      }
      String t = line.trim();
      if (t.equals("total 0")) {
        cur = new LinkedHashMap<>();
        out.add(cur);
        continue;
      }
      if (!line.startsWith("  ") || cur == null) {
        break;
      }
      // drwxr-xr-x  6 root root    0 Nov 21 05:27 cache   |  lrwxrwxrwx ... node0 -> ../..
      String[] f = t.split("\\s+");
      String name = f[8];
      if (name.equals(".") || name.equals("..")) {
        continue;
      }
      char type = f[0].charAt(0);
      String mode = Integer.toOctalString(octal(f[0].substring(1)));
      cur.put(name, type == 'd' ? "dir" : type == 'l' ? "-> " + f[10] : entry("f", mode, f[4], ""));
    }
    return out;
  }

  private static int octal(String rwx) {
    int mode = 0;
    for (int i = 0; i < 9; i++) {
      if (rwx.charAt(i) != '-') {
        mode |= 1 << (8 - i);
      }
    }
    return mode;
  }

  /** Whether this machine's sysfs has {@code rel} (e.g. {@code devices/system/node}). */
  static boolean hostHas(String rel) {
    return Files.exists(Path.of("/sys").resolve(rel));
  }
}
