package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 12, sections 2-4 through a real mount: simulated memory runs out as the kernel's does
 * (ENOMEM, the kernel's warnings) in a daemon with a small Java heap, which keeps serving with its
 * resident memory steady; ten million objects are freed in one write; a killed writer's request
 * ends; a name created twice means the newest creation for every command.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemoryIT {
  private static final Pattern ALLOCATED =
      Pattern.compile("ENOMEM: out of memory: allocated (\\d+) of 10000000 objects of memit");

  @TempDir static Path tmp;
  private static Mount mount;
  private static Path root;
  private static long daemon;

  @BeforeAll
  static void mount() throws Exception {
    mount = Mount.mountWithJvm(List.of("-Xmx160m"), Files.createDirectory(tmp.resolve("sys")));
    root = mount.dir();
    daemon =
        ProcessHandle.allProcesses()
            .filter(
                p ->
                    p.info().commandLine().orElse("").contains(" " + root + " ")
                        && p.info().commandLine().orElse("").contains("--foreground"))
            .mapToLong(ProcessHandle::pid)
            .findFirst()
            .orElseThrow();
  }

  @AfterAll
  static void unmount() {
    if (mount != null) {
      mount.close();
    }
  }

  /** One write to sim/ctl: null when it succeeded, else the errno text of the failure. */
  private static String ctl(String command) {
    try (FileChannel ch = FileChannel.open(root.resolve("sim/ctl"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap((command + "\n").getBytes(StandardCharsets.UTF_8)));
      return null;
    } catch (IOException e) {
      return String.valueOf(e.getMessage());
    }
  }

  private static void ok(String command) {
    assertThat(ctl(command)).as(command).isNull();
  }

  private static Map<String, Long> stats() throws IOException {
    Map<String, Long> m = new LinkedHashMap<>();
    for (String line : Files.readAllLines(root.resolve("sim/stats"))) {
      String[] kv = line.split(" ");
      m.put(kv[0], Long.parseLong(kv[1]));
    }
    return m;
  }

  private static long rssKb() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(daemon), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("\\D", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for " + daemon);
  }

  private static String dmesg() throws IOException {
    return Files.readString(root.resolve("sim/dmesg"));
  }

  @Test
  @Order(1)
  void allocUntilEnomem_smallHeapDaemonServesOn_andFreesGiveTheMemoryBack() throws Exception {
    ok("kmem_cache_create memit 64 flags=SLAB_NO_MERGE");
    long slabPagesBefore = stats().get("mem_slab_pages");
    long rssBefore = rssKb();
    String failure = null;
    int allocs = 0;
    while (failure == null && allocs < 100) {
      failure = ctl("alloc memit 10000000");
      allocs++;
    }
    assertThat(failure)
        .as("after %d allocs of 10M objects", allocs)
        .isEqualTo("Cannot allocate memory");
    assertThat(stats().get("mem_free_pages")).isZero();
    String log = dmesg();
    assertThat(log)
        .contains(
            ": page allocation failure: order:0, "
                + "mode:0x40cc0(GFP_KERNEL|__GFP_COMP), nodemask=(null),cpuset=/,mems_allowed=0\n");
    assertThat(log).contains("Mem-Info:\n");
    assertThat(log)
        .containsPattern(
            "SLUB: Unable to allocate memory on CPU \\d \\(of node 0\\) on node -1, "
                + "gfp=0xcc0\\(GFP_KERNEL\\)\n");
    assertThat(log)
        .contains(
            "  cache: memit, object size: 64, buffer size: 64, "
                + "default order: 0, min order: 0\n");
    assertThat(log).containsPattern("  node 0: slabs: \\d+, objs: \\d+, free: 0\n");
    Matcher m = ALLOCATED.matcher(log);
    assertThat(m.find()).as("the ENOMEM line says how much was allocated").isTrue();
    long allocated = (allocs - 1) * 10_000_000L + Long.parseLong(m.group(1));

    // every file still reads
    try (Stream<Path> files = Files.walk(root.resolve("kernel/slab/memit"))) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        if (Files.isReadable(f) && !f.getFileName().toString().matches("shrink|validate")) {
          Files.readAllBytes(f);
        }
      }
    }
    assertThat(Files.readString(root.resolve("sim/variant"))).contains("\nmem_pages ");
    long rssAfter = rssKb();
    assertThat(rssAfter - rssBefore)
        .as("daemon RSS growth in KiB (from %d KiB)", rssBefore)
        .isLessThan(48 * 1024);

    // frees of ten million objects at a time, then shrink: the memory comes back
    for (long left = allocated; left > 0; left -= 10_000_000) {
      ok("free memit " + Math.min(left, 10_000_000));
    }
    Files.writeString(root.resolve("kernel/slab/memit/shrink"), "1\n");
    assertThat(stats().get("mem_slab_pages")).isEqualTo(slabPagesBefore);
    assertThat(Files.readString(root.resolve("kernel/slab/memit/objects"))).isEqualTo("0\n");
    ok("kmem_cache_destroy memit");
  }

  /**
   * A writer killed while its sim/ctl command waits gets its request ended (EINTR). A kill that
   * lands before the daemon has read the request is answered by the kernel alone (no dmesg line):
   * then the attempt proves nothing and is repeated.
   */
  @Test
  @Order(2)
  void sigkillOfABlockedWriter_endsItsRequest() throws Exception {
    boolean daemonSawIt = false;
    for (int attempt = 0; attempt < 5 && !daemonSawIt; attempt++) {
      String text = "never-printed-by-anyone-" + attempt;
      Process writer =
          new ProcessBuilder(
                  "sh",
                  "-c",
                  "echo 'await_dmesg " + text + " timeout=600' > \"$1\"",
                  "sh",
                  root.resolve("sim/ctl").toString())
              .redirectErrorStream(true)
              .start();
      awaitBlockedInWrite(writer);
      writer.destroyForcibly(); // SIGKILL
      assertThat(writer.waitFor(30, TimeUnit.SECONDS)).as("the killed writer exits").isTrue();
      daemonSawIt =
          dmesg().contains("EINTR: fatal signal pending while waiting for '" + text + "'");
    }
    assertThat(daemonSawIt).as("the daemon ended a killed writer's request with EINTR").isTrue();
    ok("alloc kmalloc-64 1"); // the mount serves on
    ok("free kmalloc-64 1");
  }

  /**
   * Until the writer has sim/ctl open (its open is done) and sleeps waiting for FUSE's answer: its
   * write.
   */
  private static void awaitBlockedInWrite(Process writer) throws IOException {
    Path proc = Path.of("/proc", Long.toString(writer.pid()));
    Path ctl = root.resolve("sim/ctl");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      String wchan = Files.readString(proc.resolve("wchan"));
      if (wchan.contains("request_wait_answer") && hasOpen(proc, ctl)) {
        return;
      }
      if (System.nanoTime() > deadline || !writer.isAlive()) {
        fail("the writer never blocked in its FUSE write (wchan " + wchan + ")");
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
    }
  }

  private static boolean hasOpen(Path proc, Path file) throws IOException {
    try (Stream<Path> fds = Files.list(proc.resolve("fd"))) {
      return fds.anyMatch(
          fd -> {
            try {
              return Files.readSymbolicLink(fd).equals(file);
            } catch (IOException e) {
              return false; // closed meanwhile
            }
          });
    }
  }

  /** After create, get, destroy of a name that the boot set also created, put still works. */
  @Test
  @Order(3)
  void nameCreatedTwice_meansTheNewestForEveryCommand() throws Exception {
    ok("kmem_cache_create UDP 64");
    ok("kobject_get UDP");
    ok("kmem_cache_destroy UDP");
    assertThat(dmesg()).contains("UDP now means the UDP created before it, ");
    ok("kobject_put UDP");
    assertThat(ctl("kobject_put UDP")).isEqualTo("Invalid argument");
    ok("alloc UDP 2");
    ok("free UDP 2");
    ok("kmem_cache_destroy UDP");
    assertThat(ctl("alloc UDP 1")).isEqualTo("No such file or directory");
  }
}
