package io.slabfs.kernel.golden;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.locking.HungTaskDetector;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.ExpectDmesg;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * slabfs's reports against real kernel reports (golden/reports/*.txt, each naming its source in its
 * header: an LKML message), line by line after {@link Golden}'s masking, per report kind and the
 * era that prints it.
 */
@KernelTest
class GoldenReportTest {
  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private Kernel boot(KernelEra era, int hungTaskSecs) throws Exception {
    return kernels.boot(
        BootOptions.defaults()
            .withEra(era)
            .withBootSet(BootSet.MINIMAL)
            .withHungTask(hungTaskSecs, BootOptions.DeadlockMode.HANG, false));
  }

  private Kernel boot(KernelEra era) throws Exception {
    return boot(era, 0);
  }

  private static void assertMatches(String golden, Kernel k, Map<String, String> names)
      throws Exception {
    assertMatches(golden, k, names, false);
  }

  private static void assertMatches(
      String golden, Kernel k, Map<String, String> names, boolean foldEntry) throws Exception {
    Golden g = Golden.load(golden);
    assertThat(g.source()).as("%s names its source", golden).isNotNull();
    String diff = g.compare(k.dmesg().messages(), names, foldEntry);
    assertThat(diff).as("slabfs's report vs %s", golden).isNull();
  }

  /** Golden: LKML <20250414145945.84916-3-ioworker0@gmail.com>, 6.14-rc6+ with task_flags. */
  @Test
  @ExpectDmesg("blocked for more than")
  void hungTask_v618_matchesThe615Report() throws Exception {
    // khungtaskd with the default 120 s: its own scan never comes during the test; the test
    // drives check() with the clock two and four minutes on
    Kernel k = boot(KernelEra.V6_18, 120);
    Mutex m = new Mutex(k.lockdep(), "golden_mutex");
    Task owner = new Task(938, "cat").withParent(() -> 938, () -> 584);
    Task waiter = new Task(945, "cat").withParent(() -> 945, () -> 828);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch held = new CountDownLatch(1);
    CompletableFuture<Void> a =
        CompletableFuture.runAsync(
            () ->
                Task.runAs(
                    owner,
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
    CompletableFuture<Void> b =
        CompletableFuture.runAsync(
            () ->
                Task.runAs(
                    waiter,
                    () -> {
                      m.lock();
                      m.unlock();
                      return null;
                    }));
    assertThat(k.lockdep().awaitBlocked(1, 10_000)).isTrue();
    long since = waiter.blocked().sinceNanos();
    HungTaskDetector khungtaskd = k.hungTask();
    try {
      khungtaskd.check(since + TimeUnit.SECONDS.toNanos(120));
      // a second check a timeout later reports the same task again, 240 seconds now
      khungtaskd.check(since + TimeUnit.SECONDS.toNanos(240));
    } finally {
      release.countDown();
      a.get(10, TimeUnit.SECONDS);
      b.get(10, TimeUnit.SECONDS);
    }
    assertMatches(
        "hung-task-v6.14-task-flags.txt",
        k,
        Map.of("6.14.0-rc6+", "<release>", "6.18.0-slabfs", "<release>"));
    List<String> log = k.dmesg().messages();
    assertThat(log)
        .contains(
            "INFO: task cat:945 blocked for more than 120 seconds.",
            "INFO: task cat:945 blocked for more than 240 seconds.",
            // 6.15+ debug_show_blocker() for a mutex (kernel/hung_task.c)
            "INFO: task cat:945 is blocked on a mutex likely owned by task cat:938.",
            "task:cat             state:S stack:0     pid:938   tgid:938   ppid:584    "
                + "task_flags:0x400000 flags:0x00000000");
    assertThat(log).noneMatch(l -> l.startsWith("slabfs: task cat:945"));
  }

  /** Golden: LKML, 6.12.40 KASAN report of a variable (see the file's header). */
  @Test
  @ExpectDmesg("BUG: KASAN: vmalloc-out-of-bounds in kobject_put")
  void kasan_staticCacheUnpinned_matchesThe612Report() throws Exception {
    Kernel k = boot(KernelEra.V7_STATIC_CACHE_UNPINNED);
    k.ctl("insmod st static_cache=st_cache:256");
    k.ctl("kobject_get st_cache");
    k.ctl("rmmod st");
    Task.runAs(
        new Task(4243, "holder"),
        () -> {
          k.ctl("kobject_put st_cache");
          return null;
        });
    // the golden's access is a read by a kernel thread (init), slabfs's the write of
    // kobject_put's refcount_dec by a task in a system call: both are named here, and the
    // syscall-entry registers are folded into the trace
    assertMatches(
        "kasan-v6.12-global-variable.txt",
        k,
        Map.of(
            "global-out-of-bounds",
            "<type>",
            "vmalloc-out-of-bounds",
            "<type>",
            "Read of size",
            "<access> of size",
            "Write of size",
            "<access> of size",
            "6.12.40",
            "<release>",
            "7.0.0-slabfs",
            "<release>",
            "swapper/0",
            "<comm>",
            "holder",
            "<comm>"),
        true);
    List<String> log = k.dmesg().messages();
    assertThat(log)
        .anyMatch(l -> l.matches(">ffffffffc0[0-9a-f]{6}: (f8 ){15}f8"))
        .anyMatch(
            l ->
                l.matches("Write of size 4 at addr ffffffffc0[0-9a-f]{6} by task " + "holder/4243"))
        .anyMatch(l -> l.startsWith("slabfs: the buggy address was st_cache+0xa0/0x100 [st]"))
        .noneMatch(l -> l.contains("virtual mapping"))
        .noneMatch(l -> l.contains("physical page"));
    // the B taint comes at the end: the report's own CPU line does not show it yet
    assertThat(log)
        .contains(
            "CPU: 0 UID: 0 PID: 4243 Comm: holder Tainted: [O]=OOT_MODULE".substring(0, 0)
                + "Tainted: [O]=OOT_MODULE")
        .anyMatch(
            l ->
                l.equals(
                    "CPU: 0 UID: 0 PID: 4243 Comm: holder Tainted: G           O"
                        + "       7.0.0-slabfs #1 PREEMPT(voluntary) "));
    assertThat(k.dmesg().taint().toString()).isEqualTo("Tainted: G    B      O      ");
  }

  /** Golden: LKML <20251204151751.2321801-9-njavali@marvell.com> (slab_err() era). */
  @Test
  @ExpectDmesg(" at mm/slab_common.c:493 kmem_cache_destroy")
  void objectsRemaining_v61_matchesTheSlabErrReport() throws Exception {
    objectsRemaining(
        KernelEra.V6_1,
        "slub-objects-remaining-v5.14-slab-err.txt",
        "5.14.0-284.11.1.el9_2.x86_64",
        "6.1.0-slabfs");
  }

  /** Golden: LKML <20251204151751.2321801-9-njavali@marvell.com> (slab_err() era). */
  @Test
  @ExpectDmesg(" at mm/slab_common.c:493 kmem_cache_destroy")
  void objectsRemaining_v519_matchesTheSlabErrReport() throws Exception {
    objectsRemaining(
        KernelEra.V5_19,
        "slub-objects-remaining-v5.14-slab-err.txt",
        "5.14.0-284.11.1.el9_2.x86_64",
        "5.19.0-slabfs");
  }

  /** Golden: LKML <20260201081017.998628-1-chenxiaosong.chenxiaosong@linux.dev>. */
  @Test
  @ExpectDmesg("WARNING: mm/sl")
  void objectsRemaining_v7_matchesThe619Report() throws Exception {
    objectsRemaining(KernelEra.V7, "slub-objects-remaining-v6.19.txt", "6.19", "7.0.0-slabfs");
  }

  private void objectsRemaining(KernelEra era, String golden, String realRelease, String release)
      throws Exception {
    Kernel k = boot(era);
    k.ctl("insmod qla2xxx");
    // unmergeable in every era: a usercopy region (SLAB_NO_MERGE is 6.5+); 1000 bytes, so
    // that its slabs are of order > 0 (compound pages: "head" in the page flags), as the
    // golden machine's 312-byte ones were with its 128 CPUs
    k.ctl("kmem_cache_create qla2xxx_srbs 1000 useroffset=0 usersize=8");
    k.ctl("alloc qla2xxx_srbs 1 cpu=0");
    Task rmmod = new Task(4242, "rmmod");
    Task.runAs(
        rmmod,
        () -> {
          k.ctl("kmem_cache_destroy qla2xxx_srbs");
          return null;
        });
    // the slab_err() golden's unwinder lost the frames below the module's exit function (all
    // "?"), so it never reached the syscall's saved registers: those are folded
    assertMatches(
        golden,
        k,
        Map.of(
            "qla2xxx_srbs",
            "<cache>",
            "cifs_small_rq",
            "<cache>",
            realRelease,
            "<release>",
            release,
            "<release>",
            "modprobe",
            "<comm>",
            "rmmod",
            "<comm>",
            "Kdump: loaded ",
            ""),
        true);
    List<String> log = k.dmesg().messages();
    assertThat(log).anyMatch(l -> l.matches("Object 0x[0-9a-f]{16} @offset=0"));
  }

  /** Golden: LKML, Linaro LKFT 6.12.0-rc7 ioctl04 report (see the file's header). */
  @Test
  @ExpectDmesg("cannot create duplicate filename")
  void createFailure_sysfsClash_v618_matchesThe612Report() throws Exception {
    Kernel k = boot(KernelEra.V6_18);
    Task t = new Task(992, "ioctl04");
    Task.runAs(
        t,
        () -> {
          // an unmergeable cache named like the unique id the next, mergeable, cache gets
          k.ctl("kmem_cache_create :a-0000200 200 ctor=x_ctor");
          k.ctl("kmem_cache_create gi_cache 200 flags=SLAB_RECLAIM_ACCOUNT");
          return null;
        });
    assertMatches(
        "create-failure-v6.12-sysfs-dup.txt",
        k,
        Map.of(
            ":a-0000176",
            "<dir>",
            ":a-0000200",
            "<dir>",
            "ext4_groupinfo_1k",
            "<cache>",
            "gi_cache",
            "<cache>",
            "6.12.0-rc7",
            "<release>",
            "6.18.0-slabfs",
            "<release>"));
  }
}
