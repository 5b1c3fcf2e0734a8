package io.slabfs.kernel.sim;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static io.slabfs.kernel.testing.Sys.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.KernelClock;
import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.testing.Boot;
import io.slabfs.kernel.testing.ExpectDmesg;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code sim/proc/}: the simulated procfs files, their formats, modes, locking and errnos. */
@KernelTest
class SimProcTest {
  private static final String HEADER =
      "slabinfo - version: 2.1\n"
          + "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
          + " : tunables <limit> <batchcount> <sharedfactor>"
          + " : slabdata <active_slabs> <num_slabs> <sharedavail>\n";

  private static final String SYS = "sim/proc/sys/kernel/";

  private static String first(String sysfsValue) {
    return sysfsValue.strip().split(" ")[0];
  }

  // ------------------------------------------------------------------------------ slabinfo

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_18"})
  void slabinfo_oneRowPerCache_newestFirst_countersAsSysfs(KernelEra era, Kernels kernels)
      throws Exception {
    Kernel k = kernels.boot(BootOptions.defaults().withEra(era));
    k.ctl("kmem_cache_create proc_test 200 ctor=proc_ctor");
    k.ctl("alloc proc_test 1000");
    k.ctl("free proc_test 300");
    k.ctl("alloc kmalloc-64 5000 cpu=1");
    String text = cat(k.vfs(), "sim/proc/slabinfo");
    assertThat(text).startsWith(HEADER);
    String[] lines = text.substring(HEADER.length()).split("\n");
    List<KmemCache> caches = k.slab().caches();
    assertThat(lines).hasSize(caches.size());
    assertThat(lines[0]).startsWith("proc_test ");
    assertThat(lines[lines.length - 2]).startsWith("kmem_cache_node ");
    assertThat(lines[lines.length - 1]).startsWith("kmem_cache ");
    List<String> names = new ArrayList<>();
    for (String line : lines) {
      assertThat(line)
          .matches(
              "\\S+ +\\d+ +\\d+ +\\d+ +\\d+ +\\d+ : tunables +0 +0 +0 : slabdata +\\d+ +\\d+ +0");
      String[] f = line.split("\\s+");
      names.add(f[0]);
      // the cache's sysfs directory: its name, or the link of its name
      String dir = "kernel/slab/" + f[0];
      assertThat(f[1]).as(f[0] + " active_objs").isEqualTo(first(cat(k.vfs(), dir + "/objects")));
      assertThat(f[2])
          .as(f[0] + " num_objs")
          .isEqualTo(first(cat(k.vfs(), dir + "/total_objects")));
      assertThat(f[3]).as(f[0] + " objsize").isEqualTo(first(cat(k.vfs(), dir + "/slab_size")));
      assertThat(f[4])
          .as(f[0] + " objperslab")
          .isEqualTo(first(cat(k.vfs(), dir + "/objs_per_slab")));
      int order = Integer.parseInt(first(cat(k.vfs(), dir + "/order")));
      assertThat(f[5]).isEqualTo(Integer.toString(1 << order));
      assertThat(f[13]).as(f[0] + " slabs").isEqualTo(first(cat(k.vfs(), dir + "/slabs")));
      assertThat(f[14]).isEqualTo(f[13]);
    }
    assertThat(names).doesNotHaveDuplicates();
    // free objects in per-CPU slabs count as active, as in the sysfs objects file
    String[] mine = lines[0].split("\\s+");
    assertThat(Long.parseLong(mine[1])).isBetween(700L, Long.parseLong(mine[2]));
    // UDP-Lite and PINGv6 merged into UDP (as on the real 6.18 machine): aliases, no line
    assertThat(k.vfs().readlink("kernel/slab/UDP-Lite"))
        .isEqualTo(k.vfs().readlink("kernel/slab/UDP"));
    assertThat(names).contains("UDP").doesNotContain("UDP-Lite", "PINGv6");
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void slabinfo_readerTakesSlabMutex_underTheSeqFileLock(Kernel k) throws Exception {
    cat(k.vfs(), "sim/proc/slabinfo");
    assertThat(k.lockdep().procLockdep())
        .containsPattern(
            "(?m)^[0-9a-f]{16} FD:.*: &p->lock\n(?: -> .*\n)* -> \\[[0-9a-f]{16}\\] slab_mutex$")
        .doesNotContainPattern(
            "(?m)^.*: &of->mutex\n(?: -> .*\n)* -> \\[[0-9a-f]{16}\\] slab_mutex$");
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void procFiles_haveProcfsModes_andRefuseWrites(Kernel k) throws Exception {
    Vfs vfs = k.vfs();
    assertThat(vfs.stat("sim/proc").mode()).isEqualTo(0555);
    assertThat(vfs.stat("sim/proc/slabinfo").mode()).isEqualTo(0400);
    assertThat(vfs.stat("sim/proc/modules").mode()).isEqualTo(0444);
    assertThat(vfs.stat("sim/proc/stat").mode()).isEqualTo(0444);
    for (String f : List.of("lockdep", "lockdep_chains", "lockdep_stats")) {
      assertThat(vfs.stat("sim/proc/" + f).mode()).isEqualTo(0400);
    }
    for (String f :
        List.of(
            "hung_task_timeout_secs",
            "hung_task_warnings",
            "hung_task_check_interval_secs",
            "tainted",
            "kptr_restrict")) {
      assertThat(vfs.stat(SYS + f).mode()).as(f).isEqualTo(0644);
    }
    // root may open a 0400 proc file for writing; with no ->proc_write the write is EIO
    assertThat(errno(() -> write(vfs, "sim/proc/slabinfo", "1\n"))).isEqualTo(Errno.EIO);
    assertThat(errno(() -> write(vfs, "sim/proc/modules", "1\n"))).isEqualTo(Errno.EIO);
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void lockdepFiles_areTheSimRenderings(Kernel k) throws Exception {
    cat(k.vfs(), "sim/proc/slabinfo");
    assertThat(cat(k.vfs(), "sim/proc/lockdep_stats"))
        .isEqualTo(k.lockdep().procLockdepStats())
        .contains("lock-classes:");
    assertThat(cat(k.vfs(), "sim/proc/lockdep_chains")).startsWith("all lock chains:\n");
    assertThat(cat(k.vfs(), "sim/proc/lockdep")).startsWith("all lock classes:\n");
  }

  // ------------------------------------------------------------------------------ modules

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void modules_lines_addressByReaderAndKptrRestrict(Kernel k) throws Exception {
    assertThat(cat(k.vfs(), "sim/proc/modules")).isEmpty();
    k.ctl("insmod base_mod");
    k.ctl("insmod user_a depends=base_mod");
    k.ctl("insmod user_b depends=base_mod");
    k.ctl("module_get user_a");
    String root = cat(k.vfs(), "sim/proc/modules");
    String[] lines = root.split("\n");
    assertThat(lines).hasSize(3);
    assertThat(lines[0]).matches("user_b \\d+ 0 - Live 0xffffffffc[0-9a-f]{7} \\(O\\)");
    assertThat(lines[1]).matches("user_a \\d+ 1 - Live 0xffffffffc[0-9a-f]{7} \\(O\\)");
    assertThat(lines[2])
        .matches("base_mod \\d+ 2 user_b,user_a, Live 0xffffffffc[0-9a-f]{7} \\(O\\)");
    assertThat(lines[0].split(" ")[1]).isEqualTo(Integer.toString(16384 + 0));
    String user =
        Task.runAs(new Task(4242, "cat").withUid(1000), () -> cat(k.vfs(), "sim/proc/modules"));
    assertThat(user.split("\n")[2])
        .isEqualTo("base_mod 16384 2 user_b,user_a, Live 0x0000000000000000 (O)");
    String section = cat(k.vfs(), "module/base_mod/sections/.text");
    assertThat(section).matches("0xffffffffc[0-9a-f]{7}\n");
    assertThat(lines[2]).contains(section.strip());
    write(k.vfs(), SYS + "kptr_restrict", "2\n");
    assertThat(cat(k.vfs(), "sim/proc/modules").split("\n")[2])
        .endsWith(" Live 0x0000000000000000 (O)");
    assertThat(cat(k.vfs(), "module/base_mod/sections/.text")).isEqualTo("0x0000000000000000\n");
    write(k.vfs(), SYS + "kptr_restrict", "1\n");
    assertThat(cat(k.vfs(), "sim/proc/modules")).isEqualTo(root);
    k.ctl("module_put user_a");
    k.ctl("rmmod user_b");
    k.ctl("rmmod user_a");
    k.ctl("rmmod base_mod");
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void modules_loadingModule_isLoadingWithPlus(Kernel k) throws Exception {
    k.ctl("pause module_init");
    CompletableFuture<Void> load =
        CompletableFuture.runAsync(
            () -> {
              try {
                Task.runAs(
                    new Task(3001, "insmod"),
                    () -> {
                      k.ctl("insmod late_mod");
                      return null;
                    });
              } catch (ErrnoException e) {
                throw new IllegalStateException(e);
              }
            });
    k.ctl("await module_init timeout=10");
    assertThat(cat(k.vfs(), "sim/proc/modules"))
        .matches("late_mod 20480 1 - Loading 0xffffffffc[0-9a-f]{7} \\(O\\+\\)\n");
    k.ctl("resume module_init");
    load.get(10, TimeUnit.SECONDS);
    assertThat(cat(k.vfs(), "sim/proc/modules")).matches("late_mod 16384 0 - Live .*\n");
    k.ctl("rmmod late_mod");
  }

  // ------------------------------------------------------------------------------ sysctls

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "\n",
        "abc\n",
        "-1\n",
        "5x\n",
        "0x\n",
        "08\n",
        "1.5\n",
        "5\0",
        " -\n",
        "18446744073709551616\n",
        "000000000000000000001\n",
        "36893488147419104\n"
      })
  @Boot(bootSet = BootSet.MINIMAL)
  void hungTaskTimeout_garbage_isEinval_andLeavesTheValue(String garbage, Kernel k)
      throws Exception {
    write(k.vfs(), SYS + "hung_task_timeout_secs", "7\n");
    if (garbage.isEmpty()) {
      assertThat(write(k.vfs(), SYS + "hung_task_timeout_secs", "")).isZero();
    } else {
      assertThat(errno(() -> write(k.vfs(), SYS + "hung_task_timeout_secs", garbage)))
          .isEqualTo(Errno.EINVAL);
    }
    assertThat(cat(k.vfs(), SYS + "hung_task_timeout_secs")).isEqualTo("7\n");
    assertThat(k.hungTask().timeoutSecs()).isEqualTo(7);
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void hungTaskTimeout_isTheBootOption_andOneSettingWithKhungtaskd(Kernel k) throws Exception {
    String f = SYS + "hung_task_timeout_secs";
    assertThat(cat(k.vfs(), f)).isEqualTo("10\n");
    assertThat(cat(k.vfs(), "sim/variant")).contains("\nhung_task_timeout 10\n");
    assertThat(k.hungTask().armed()).isTrue();
    assertThat(write(k.vfs(), f, "0\n")).isEqualTo(2);
    assertThat(k.hungTask().armed()).as("0 disables khungtaskd's checks").isFalse();
    assertThat(cat(k.vfs(), "sim/variant")).contains("\nhung_task_timeout 0\n");
    // leading blanks, hex, trailing blanks all consumed
    assertThat(write(k.vfs(), f, "  0x1e \t\n")).isEqualTo(9);
    assertThat(cat(k.vfs(), f)).isEqualTo("30\n");
    assertThat(k.hungTask().armed()).isTrue();
    assertThat(write(k.vfs(), f, "010")).isEqualTo(3);
    assertThat(cat(k.vfs(), f)).isEqualTo("8\n");
    assertThat(write(k.vfs(), f, "36893488147419103\n")).isEqualTo(18);
    // only the first number: the rest after the blanks is not consumed
    assertThat(write(k.vfs(), f, "12 34\n")).isEqualTo(3);
    assertThat(cat(k.vfs(), f)).isEqualTo("12\n");
    // a write at a non-zero position is accepted and ignored (sysctl_writes_strict)
    long fh = k.vfs().open(f, Vfs.O_WRONLY);
    try {
      assertThat(k.vfs().write(fh, 3, asciiBytes("99\n"), 3)).isEqualTo(3);
    } finally {
      k.vfs().release(fh);
    }
    assertThat(cat(k.vfs(), f)).isEqualTo("12\n");
    // a read at a non-zero position reads nothing; a short read gets the start
    fh = k.vfs().open(f, Vfs.O_RDONLY);
    try {
      assertThat(new String(k.vfs().read(fh, 0, 1), java.nio.charset.StandardCharsets.US_ASCII))
          .isEqualTo("1");
      assertThat(k.vfs().read(fh, 1, 100)).isEmpty();
    } finally {
      k.vfs().release(fh);
    }
    String interval = SYS + "hung_task_check_interval_secs";
    assertThat(cat(k.vfs(), interval)).isEqualTo("0\n");
    write(k.vfs(), interval, "3\n");
    assertThat(k.hungTask().intervalSecs()).isEqualTo(3);
    assertThat(errno(() -> write(k.vfs(), interval, "-3\n"))).isEqualTo(Errno.EINVAL);
    assertThat(cat(k.vfs(), interval)).isEqualTo("3\n");
  }

  private static byte[] asciiBytes(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void sysctls_nonRoot_cannotOpenForWriting_butCanRead(Kernel k) throws Exception {
    Task user = new Task(4243, "sh").withUid(1000);
    for (String f : List.of("hung_task_timeout_secs", "tainted", "kptr_restrict")) {
      assertThat(Task.runAs(user, () -> errno(() -> write(k.vfs(), SYS + f, "1\n"))))
          .as(f)
          .isEqualTo(Errno.EACCES);
      assertThat(Task.runAs(user, () -> cat(k.vfs(), SYS + f))).isNotEmpty();
    }
    assertThat(cat(k.vfs(), SYS + "kptr_restrict")).isEqualTo("0\n");
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void hungTaskWarnings_range_andMinusOneIsUnlimited(Kernel k) throws Exception {
    String f = SYS + "hung_task_warnings";
    assertThat(cat(k.vfs(), f)).isEqualTo("10\n");
    assertThat(errno(() -> write(k.vfs(), f, "-2\n"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(k.vfs(), f, "2147483648\n"))).isEqualTo(Errno.EINVAL);
    write(k.vfs(), f, "2147483647\n");
    assertThat(cat(k.vfs(), f)).isEqualTo("2147483647\n");
    write(k.vfs(), f, "-1\n");
    assertThat(cat(k.vfs(), f)).isEqualTo("-1\n");
    assertThat(k.hungTask().warnings()).isEqualTo(-1);
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL, hungTaskTimeoutSecs = 0)
  @ExpectDmesg("blocked for more than")
  void hungTaskWarnings_countDown_thenSuppressed_minusOneNever(Kernel k) throws Exception {
    Mutex m = new Mutex(k.lockdep(), "proc_test_mutex");
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CompletableFuture<Void> owner =
        CompletableFuture.runAsync(
            () ->
                Task.runAs(
                    new Task(307, "owner"),
                    () -> {
                      m.lock();
                      held.countDown();
                      try {
                        release.await();
                      } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                      } finally {
                        m.unlock();
                      }
                      return null;
                    }));
    held.await();
    CompletableFuture<Void> waiter =
        CompletableFuture.runAsync(
            () ->
                Task.runAs(
                    new Task(308, "waiter"),
                    () -> {
                      m.lock();
                      m.unlock();
                      return null;
                    }));
    try {
      assertThat(k.lockdep().awaitBlocked(1, 10_000)).isTrue();
      write(k.vfs(), SYS + "hung_task_warnings", "2\n");
      for (int i = 0; i < 4; i++) {
        k.hungTask().check();
      }
      assertThat(reports(k)).isEqualTo(2);
      assertThat(cat(k.vfs(), SYS + "hung_task_warnings")).isEqualTo("0\n");
      assertThat(String.join("\n", k.dmesg().messages()))
          .contains(
              "Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings");
      write(k.vfs(), SYS + "hung_task_warnings", "-1\n");
      for (int i = 0; i < 12; i++) {
        k.hungTask().check();
      }
      assertThat(reports(k)).isEqualTo(14);
      assertThat(cat(k.vfs(), SYS + "hung_task_warnings")).isEqualTo("-1\n");
    } finally {
      release.countDown();
      owner.get(10, TimeUnit.SECONDS);
      waiter.get(10, TimeUnit.SECONDS);
    }
  }

  private static long reports(Kernel k) {
    return k.dmesg().messages().stream()
        .filter(l -> l.startsWith("INFO: task waiter:308 blocked for more than"))
        .count();
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void tainted_showsTheMask_writesAddBits_neverClear(Kernel k) throws Exception {
    String f = SYS + "tainted";
    assertThat(cat(k.vfs(), f)).isEqualTo("0\n");
    write(k.vfs(), f, "512\n"); // W
    assertThat(cat(k.vfs(), f)).isEqualTo("512\n");
    assertThat(k.dmesg().taint().print(io.slabfs.kernel.debug.KernelVersion.of(6, 18)))
        .isEqualTo("Tainted: G" + " ".repeat(8) + "W" + " ".repeat(9));
    write(k.vfs(), f, "0\n");
    assertThat(cat(k.vfs(), f)).as("a write never clears").isEqualTo("512\n");
    write(k.vfs(), f, Long.toString((1L << 19) | (1L << 40) | 1) + "\n");
    assertThat(cat(k.vfs(), f)).as("bits past TAINT_FLAGS_COUNT ignored").isEqualTo("513\n");
    assertThat(k.dmesg().taint().print(io.slabfs.kernel.debug.KernelVersion.of(6, 18)))
        .startsWith("Tainted: P");
    assertThat(errno(() -> write(k.vfs(), f, "-1\n"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(k.vfs(), f, "W\n"))).isEqualTo(Errno.EINVAL);
    assertThat(cat(k.vfs(), f)).isEqualTo("513\n");
    write(k.vfs(), f, "18446744073709551615\n");
    assertThat(cat(k.vfs(), f)).isEqualTo(Long.toString((1L << 19) - 1) + "\n");
  }

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void kptrRestrict_zeroToTwo(Kernel k) throws Exception {
    String f = SYS + "kptr_restrict";
    for (String bad : List.of("3\n", "-1\n", "x\n", "2147483648\n")) {
      assertThat(errno(() -> write(k.vfs(), f, bad))).as(bad).isEqualTo(Errno.EINVAL);
    }
    assertThat(cat(k.vfs(), f)).isEqualTo("0\n");
    write(k.vfs(), f, "2");
    assertThat(cat(k.vfs(), f)).isEqualTo("2\n");
    assertThat(k.kptrRestrict().get()).isEqualTo(2);
  }

  // ------------------------------------------------------------------------------ stat

  @Test
  void stat_cpuLines_onlineOnly_idleIsOnlineTime(Kernels kernels) throws Exception {
    AtomicLong now = new AtomicLong(5_000_000_000L);
    KernelClock clock = now::get;
    Kernel k =
        kernels.boot(
            BootOptions.defaults().withBootSet(BootSet.MINIMAL).withCpus(3, 1).withClock(clock));
    now.addAndGet(2_000_000_000L); // 2 s = 200 ticks
    String s = cat(k.vfs(), "sim/proc/stat");
    assertThat(s)
        .startsWith(
            "cpu  0 0 0 600 0 0 0 0 0 0\n"
                + "cpu0 0 0 0 200 0 0 0 0 0 0\n"
                + "cpu1 0 0 0 200 0 0 0 0 0 0\n"
                + "cpu2 0 0 0 200 0 0 0 0 0 0\n"
                + "intr 0")
        .containsPattern("\nctxt \\d+\nbtime \\d+\nprocesses \\d+\nprocs_running [1-9]\\d*\n")
        .endsWith("\nprocs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n");
    k.hotplug().cpuDown(1);
    now.addAndGet(1_000_000_000L);
    assertThat(cat(k.vfs(), "sim/proc/stat"))
        .startsWith(
            "cpu  0 0 0 800 0 0 0 0 0 0\n"
                + "cpu0 0 0 0 300 0 0 0 0 0 0\n"
                + "cpu2 0 0 0 300 0 0 0 0 0 0\n"
                + "intr 0");
    k.hotplug().cpuUp(1);
    now.addAndGet(500_000_000L);
    assertThat(cat(k.vfs(), "sim/proc/stat")).contains("\ncpu1 0 0 0 250 0 0 0 0 0 0\n");
  }

  // ------------------------------------------------------------------------------ passthrough

  @Test
  @Boot(bootSet = BootSet.MINIMAL)
  void everyOtherRealProcName_isALinkToRunSlabfsProc(Kernel k) throws Exception {
    Vfs vfs = k.vfs();
    List<String> root = vfs.readdir("sim/proc");
    String pid = Long.toString(ProcessHandle.current().pid());
    assertThat(root).contains("self", "meminfo", pid, "slabinfo", "stat", "modules", "sys");
    assertThat(root).doesNotHaveDuplicates();
    assertThat(vfs.stat("sim/proc/self").type()).isEqualTo(Stat.Type.SYMLINK);
    assertThat(vfs.readlink("sim/proc/self")).isEqualTo("/run/slabfs/proc/self");
    assertThat(vfs.readlink("sim/proc/" + pid)).isEqualTo("/run/slabfs/proc/" + pid);
    assertThat(vfs.stat("sim/proc/stat").type()).as("shadowed").isEqualTo(Stat.Type.FILE);
    assertThat(vfs.stat("sim/proc/sys").type()).isEqualTo(Stat.Type.DIRECTORY);
    assertThat(vfs.readdir("sim/proc/sys")).contains("kernel", "vm");
    assertThat(vfs.readlink("sim/proc/sys/vm")).isEqualTo("/run/slabfs/proc/sys/vm");
    assertThat(vfs.readdir("sim/proc/sys/kernel")).contains("hostname", "tainted");
    assertThat(vfs.readlink("sim/proc/sys/kernel/hostname"))
        .isEqualTo("/run/slabfs/proc/sys/kernel/hostname");
    assertThat(vfs.stat("sim/proc/sys/kernel/tainted").type()).isEqualTo(Stat.Type.FILE);
    assertThat(errno(() -> vfs.stat("sim/proc/no_such_name"))).isEqualTo(Errno.ENOENT);
    assertThat(errno(() -> vfs.stat("sim/proc/self/status"))).isEqualTo(Errno.ENOENT);
    assertThat(errno(() -> vfs.open("sim/proc/meminfo", Vfs.O_RDONLY))).isEqualTo(Errno.ENOENT);
    // sim/ itself has no passthrough
    assertThat(vfs.readdir("sim")).doesNotContain("self");
  }
}
