package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The system-call level read semantics that real sysfs showed (real-sysfs-sample.txt, "Read
 * semantics experiment"), replayed with python's {@code os} module on one descriptor.
 */
class ReadSemanticsIT {
  /** Prints "key hex" lines; "whole" comes from a separate open and read. */
  private static final String SCRIPT =
      String.join(
          "\n",
          "import os, sys",
          "p = sys.argv[1]",
          "with open(p, 'rb', buffering=0) as f: whole = f.read(4096)",
          "fd = os.open(p, os.O_RDONLY)",
          "out = [('size', str(os.fstat(fd).st_size).encode()), ('whole', whole)]",
          "out.append(('read3', os.read(fd, 3)))",
          "out.append(('read4096', os.read(fd, 4096)))",
          "out.append(('eof', os.read(fd, 4096)))",
          "out.append(('seekend', str(os.lseek(fd, 0, os.SEEK_END)).encode()))",
          "os.lseek(fd, 0, os.SEEK_SET)",
          "out.append(('reread', os.read(fd, 4096)))",
          "out.append(('pread2', os.pread(fd, 4096, 2)))",
          "out.append(('pread1000', os.pread(fd, 4096, 1000)))",
          "os.close(fd)",
          "for k, v in out: print(k, v.hex())",
          "");

  @TempDir static Path tmp;
  private static Mount mount;

  @BeforeAll
  static void mount() throws Exception {
    Cmd.Result py = Cmd.run(null, "sh", "-c", "command -v python3");
    assumeTrue(py.exit() == 0, "python3 is not installed");
    mount = Mount.mount(Files.createDirectory(tmp.resolve("sys")));
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  private static Map<String, String> experiment(String file) {
    Cmd.Result r = Cmd.run(mount.dir(), "python3", "-c", SCRIPT, file).ok();
    Map<String, String> values = new LinkedHashMap<>();
    for (String line : r.lines()) {
      String[] kv = line.split(" ", -1);
      values.put(kv[0], new String(HexFormat.of().parseHex(kv[1]), StandardCharsets.UTF_8));
    }
    return values;
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"kernel/slab/kmalloc-64/slabs_cpu_partial", "kernel/slab/kmalloc-64/objects"})
  void readsLikeSysfs(String file) {
    Map<String, String> v = experiment(file);
    String whole = v.get("whole");
    assertThat(whole).as("content of %s", file).endsWith("\n").hasSizeGreaterThan(3);
    assertThat(v.get("size")).as("fstat st_size").isEqualTo("4096");
    assertThat(v.get("read3")).as("read(3)").isEqualTo(whole.substring(0, 3));
    assertThat(v.get("read4096")).as("read(4096) after read(3)").isEqualTo(whole.substring(3));
    assertThat(v.get("eof")).as("read at the end").isEmpty();
    assertThat(v.get("seekend")).as("lseek(0, SEEK_END)").isEqualTo("4096");
    assertThat(v.get("reread")).as("read after lseek(0)").isEqualTo(whole);
    assertThat(v.get("pread2")).as("pread(off=2)").isEqualTo(whole.substring(2));
    assertThat(v.get("pread1000")).as("pread(off=1000)").isEmpty();
  }
}
