package io.slabfs.fs.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built-in default boot set was taken from a real 6.18 boot, so on a 6.18 machine it must
 * give the same names, links and geometry as the real tree.
 */
class DefaultBootIT {
  @TempDir static Path tmp;
  private static Mount mount;
  private static Path slab;

  @BeforeAll
  static void mount() throws Exception {
    RealSlabTree.assumeRealTree();
    String release = Cmd.run(null, "uname", "-r").ok().out().strip();
    assumeTrue(release.startsWith("6.18"), "not a 6.18 kernel: " + release);
    mount =
        Mount.mount(
            Files.createDirectory(tmp.resolve("sys")), "--cpus", RealSlabTree.nproc());
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
