package io.slabfs.fs.it;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --boot host}: the mount's kernel/slab is this machine's /sys/kernel/slab. */
class HostBootIT {
  @TempDir static Path tmp;
  private static Mount mount;
  private static Path slab;

  @BeforeAll
  static void mount() throws Exception {
    RealSlabTree.assumeRealTree();
    mount =
        Mount.mount(
            Files.createDirectory(tmp.resolve("sys")),
            "--boot",
            "host",
            "--cpus",
            RealSlabTree.nproc());
    slab = mount.path("kernel/slab");
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  @Test
  void sameEntryNames() {
    RealSlabTree.assertSameNames(slab);
  }

  @Test
  void sameSymlinks() {
    RealSlabTree.assertSameLinks(slab);
  }

  @Test
  void sameGeometry() {
    RealSlabTree.assertSameGeometry(slab);
  }
}
