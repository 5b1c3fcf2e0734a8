package io.slabfs.kernel.kernfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.locking.Lockdep;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * getdents order: kernfs lists a directory in its rbtree order, by {@code kernfs_name_hash()} and
 * then name. The expected orders are {@code ls -f} of a real 6.18 machine's /sys ({@code
 * golden/ls-f-order.txt}): the names are created here in a shuffled order and must come back in the
 * kernel's.
 */
class ReaddirOrderTest {
  @Test
  void readdir_listsInTheRealKernelsOrder() throws Exception {
    Map<String, List<String>> dirs = goldenOrders();
    assertThat(dirs).hasSizeGreaterThanOrEqualTo(4);
    Random shuffle = new Random(1);
    for (var e : dirs.entrySet()) {
      KernfsRoot root = new KernfsRoot(new Lockdep(new Dmesg(() -> 0L), "6.18.0"), () -> 0L);
      KernfsDir dir = root.createDir(root.rootDir(), "d", 0755);
      List<String> names = new ArrayList<>(e.getValue());
      Collections.shuffle(names, shuffle);
      for (String name : names) {
        root.createFile(dir, name, 0444, KernfsOps.readOnly(name, () -> new byte[0]), 4096);
      }
      assertThat(new Vfs(root).readdir("/d"))
          .as(e.getKey())
          .containsExactlyElementsOf(e.getValue());
    }
  }

  @Test
  void nameHash_reservesTheMagicPositions() {
    // "." and ".." sit at positions 0 and 1, and INT_MAX means end of directory
    assertThat(KernfsDir.nameHash("")).isEqualTo(2);
  }

  private static Map<String, List<String>> goldenOrders() throws IOException {
    Map<String, List<String>> dirs = new LinkedHashMap<>();
    List<String> current = null;
    try (var in =
        new BufferedReader(
            new InputStreamReader(
                Objects.requireNonNull(
                    ReaddirOrderTest.class.getResourceAsStream("/golden/ls-f-order.txt")),
                StandardCharsets.UTF_8))) {
      for (String line; (line = in.readLine()) != null; ) {
        if (line.startsWith("## ")) {
          current = new ArrayList<>();
          dirs.put(line.substring(3), current);
        } else if (!line.startsWith("#") && current != null) {
          current.add(line);
        }
      }
    }
    return dirs;
  }
}
