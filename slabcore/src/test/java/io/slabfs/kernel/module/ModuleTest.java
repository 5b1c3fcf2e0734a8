package io.slabfs.kernel.module;

import static io.slabfs.kernel.testing.Sys.cat;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.ExpectDmesg;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Loadable modules: load and unload sequences, /sys/module files, and seed 000 per era. */
@KernelTest
class ModuleTest {
  private Kernel k;

  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private Kernel boot(KernelEra era) throws Exception {
    k =
        kernels.boot(
            BootOptions.defaults()
                .withEra(era)
                .withBootSet(BootSet.MINIMAL)
                .withHungTask(0, BootOptions.DeadlockMode.BREAK, false));
    return k;
  }

  private Errno ctlErrno(String command) {
    try {
      k.ctl(command);
      return null;
    } catch (ErrnoException e) {
      return e.errno();
    }
  }

  private String log() {
    return String.join("\n", k.dmesg().messages());
  }

  private String stats() {
    return k.stats()
        .replaceAll("(?m)^(requests|dmesg_records|caches_released|lockdep_\\w+) .*\n", "");
  }

  /**
   * try_module_get() with the module in hand while an rmmod runs to completion: the get must then
   * fail (atomic_inc_not_zero on the count try_stop_module() zeroed), not revive the count of a
   * module that is gone. Found by stress/module-churn, where such a get "succeeded" and its
   * holder's next module_put found no module.
   */
  @Test
  void moduleGetOvertakenByRmmod_fails() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod racy");
    k.ctl("pause try_module_get");
    CompletableFuture<Errno> get = CompletableFuture.supplyAsync(() -> ctlErrno("module_get racy"));
    Errno rmmod;
    try {
      k.ctl("await try_module_get timeout=10");
      rmmod = ctlErrno("rmmod racy");
    } finally {
      k.ctl("resume try_module_get");
    }
    assertThat(rmmod).isNull();
    assertThat(get.get(10, TimeUnit.SECONDS)).isEqualTo(Errno.ENODEV);
    assertThat(ctlErrno("module_put racy")).isEqualTo(Errno.ENOENT);
  }

  @Test
  void loadShowsTheModuleDirectory_unloadRemovesIt_andNothingLeaks() throws Exception {
    boot(KernelEra.V6_18);
    String before = stats();
    k.ctl("insmod mymod cache=mymod_obj:200::mymod_ctor param=debug=3 param=verbose=N");
    assertThat(k.vfs().readdir("/module/mymod"))
        .contains(
            "holders",
            "parameters",
            "sections",
            "notes",
            "uevent",
            "srcversion",
            "initstate",
            "coresize",
            "initsize",
            "taint",
            "refcnt");
    assertThat(cat(k.vfs(), "/module/mymod/initstate")).isEqualTo("live\n");
    assertThat(cat(k.vfs(), "/module/mymod/refcnt")).isEqualTo("0\n");
    assertThat(cat(k.vfs(), "/module/mymod/initsize")).isEqualTo("0\n");
    assertThat(cat(k.vfs(), "/module/mymod/taint")).isEqualTo("O\n");
    assertThat(cat(k.vfs(), "/module/mymod/srcversion")).matches("[0-9A-F]{23}\n");
    assertThat(k.vfs().stat("/module/mymod/sections/.text").size()).isEqualTo(19);
    assertThat(k.vfs().stat("/module/mymod/sections/.text").mode()).isEqualTo(0400);
    // module_sect_read(): the address for root (CAP_SYSLOG, kptr_restrict 0), NULL for others
    assertThat(cat(k.vfs(), "/module/mymod/sections/.text")).matches("0xffffffffc[0-9a-f]{7}\n");
    assertThat(
            Task.runAs(
                new Task(4100, "cat").withUid(1000),
                () -> cat(k.vfs(), "/module/mymod/sections/.text")))
        .isEqualTo("0x0000000000000000\n");
    assertThat(k.vfs().stat("/module/mymod/notes/.note.gnu.build-id").size()).isEqualTo(36);
    assertThat(cat(k.vfs(), "/module/mymod/parameters/debug")).isEqualTo("3\n");
    Sys.write(k.vfs(), "/module/mymod/parameters/debug", "0x10\n");
    assertThat(cat(k.vfs(), "/module/mymod/parameters/debug")).isEqualTo("16\n");
    assertThat(cat(k.vfs(), "/kernel/slab/mymod_obj/ctor"))
        .matches("mymod_ctor\\+0x0/0x\\w+ \\[mymod\\]\n");
    assertThat(log()).contains("mymod: loading out-of-tree module taints kernel.");
    assertThat(k.dmesg().taint().toString()).isEqualTo("Tainted: G           O      ");
    k.ctl("rmmod mymod");
    assertThat(k.vfs().readdir("/module")).doesNotContain("mymod");
    assertThat(k.vfs().readdir("/kernel/slab")).doesNotContain("mymod_obj");
    assertThat(stats()).isEqualTo(before);
  }

  @Test
  void refcnt_isOneWhileComing_andMinusOneWhileGoing() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("pause module_init");
    CompletableFuture<String> load = run(new Task(3001, "insmod"), "insmod m");
    k.ctl("await module_init timeout=10");
    assertThat(cat(k.vfs(), "/module/m/initstate")).isEqualTo("coming\n");
    assertThat(cat(k.vfs(), "/module/m/refcnt")).isEqualTo("1\n");
    assertThat(ctlErrno("rmmod m")).as("not live yet").isEqualTo(Errno.EBUSY);
    k.ctl("resume module_init");
    assertThat(load.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(cat(k.vfs(), "/module/m/refcnt")).isEqualTo("0\n");
    k.ctl("pause module_exit");
    CompletableFuture<String> unload = run(new Task(3002, "rmmod"), "rmmod m");
    k.ctl("await module_exit timeout=10");
    assertThat(cat(k.vfs(), "/module/m/initstate")).isEqualTo("going\n");
    assertThat(cat(k.vfs(), "/module/m/refcnt")).isEqualTo("-1\n");
    assertThat(ctlErrno("module_get m")).isEqualTo(Errno.ENODEV);
    k.ctl("resume module_exit");
    assertThat(unload.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
  }

  /**
   * insmod/rmmod cycles add no lock classes: every module's param_lock is one class (the static key
   * of init_param_lock()'s mutex_init()) and every module parameter file one kn->active class
   * (sysfs_attr_init() in add_sysfs_param()); before, each cycle added two.
   */
  @Test
  void insmodRmmodCycles_addNoLockClasses() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod m param=level=1");
    Sys.write(k.vfs(), "/module/m/parameters/level", "2\n");
    k.ctl("rmmod m");
    int classes = k.lockdep().classCount();
    for (int i = 0; i < 20; i++) {
      k.ctl("insmod m param=level=1");
      Sys.write(k.vfs(), "/module/m/parameters/level", "2\n");
      k.ctl("rmmod m");
    }
    assertThat(k.lockdep().classCount()).isEqualTo(classes);
    assertThat(k.lockdep().procLockdepStats())
        .contains(
            " lock-classes:                  " + String.format("%11d", classes) + " [max: 8192]\n");
  }

  /** mod_sysfs_teardown drains: rmmod waits for a parameter store in flight. */
  @Test
  void unload_waitsForAnInFlightStoreOfAModuleFile() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod m param=level=1");
    k.ctl("pause param_attr_store");
    CompletableFuture<String> store = new CompletableFuture<>();
    Thread w =
        new Thread(
            () ->
                Task.runAs(
                    new Task(3003, "echo"),
                    () -> {
                      try {
                        Sys.write(k.vfs(), "/module/m/parameters/level", "2\n");
                        store.complete("ok");
                      } catch (ErrnoException e) {
                        store.complete(e.errno().name());
                      }
                      return null;
                    }));
    w.start();
    k.ctl("await param_attr_store timeout=10");
    CompletableFuture<String> unload = run(new Task(3004, "rmmod"), "rmmod m");
    assertThat(
            k.lockdep()
                .taskList()
                .awaitTasks(
                    all ->
                        all.stream()
                            .anyMatch(
                                t ->
                                    t.blocked() != null
                                        && t.blocked()
                                            .what()
                                            .startsWith("drain of module/m/parameters/level")),
                    10_000))
        .isTrue();
    assertThat(unload).isNotDone();
    k.ctl("resume param_attr_store");
    assertThat(store.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(unload.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(k.kernfs().activeRefCount()).isZero();
  }

  @Test
  void errnos_ofLoadAndUnload() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod base");
    assertThat(ctlErrno("insmod base")).isEqualTo(Errno.EEXIST);
    // mod_sysfs_init() finds the built-in's kobject in module_kset
    assertThat(ctlErrno("insmod fuse")).as("built in").isEqualTo(Errno.EINVAL);
    assertThat(k.dmesg().messages()).contains("fuse: module is already loaded");
    assertThat(k.vfs().readdir("/module/fuse")).as("the built-in stays").contains("parameters");
    assertThat(ctlErrno("insmod user depends=nope")).isEqualTo(Errno.ENOENT);
    k.ctl("insmod user depends=base");
    assertThat(k.vfs().readlink("/module/base/holders/user")).isEqualTo("../../user");
    assertThat(cat(k.vfs(), "/module/base/refcnt")).as("ref_module: Used by 1").isEqualTo("1\n");
    assertThat(ctlErrno("rmmod base")).as("a holder depends on it").isEqualTo(Errno.EAGAIN);
    assertThat(ctlErrno("rmmod nope")).isEqualTo(Errno.ENOENT);
    k.ctl("module_get user");
    assertThat(cat(k.vfs(), "/module/user/refcnt")).isEqualTo("1\n");
    assertThat(ctlErrno("rmmod user")).as("in use").isEqualTo(Errno.EAGAIN);
    k.ctl("module_put user");
    assertThat(ctlErrno("module_put user")).isEqualTo(Errno.EINVAL);
    k.ctl("rmmod user");
    assertThat(k.vfs().readdir("/module/base/holders")).isEmpty();
    assertThat(cat(k.vfs(), "/module/base/refcnt")).isEqualTo("0\n");
    k.ctl("rmmod base");
    assertThat(ctlErrno("insmod longp param=p=" + "x".repeat(1100)))
        .as("parse_args")
        .isEqualTo(Errno.ENOSPC);
    assertThat(k.vfs().readdir("/module")).doesNotContain("longp");
    assertThat(ctlErrno("insmod bad cache=x")).isEqualTo(Errno.EINVAL);
    assertThat(ctlErrno("insmod m2 cache=c:64 bogus=1")).isEqualTo(Errno.EINVAL);
    assertThat(k.vfs().readdir("/module")).doesNotContain("m2");
  }

  @Test
  void moduleCache_cannotBeDestroyedFromCtl() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod m cache=m_cache:4000:SLAB_NO_MERGE");
    assertThat(ctlErrno("kmem_cache_destroy m_cache")).isEqualTo(Errno.EPERM);
    k.ctl("rmmod m");
  }

  @Test
  void staticCache_isRefusedBeforeTheSeries() throws Exception {
    boot(KernelEra.V6_18);
    assertThat(ctlErrno("insmod st static_cache=st_cache:256")).isEqualTo(Errno.ENOEXEC);
    assertThat(log()).contains("needs the static-cache series");
    assertThat(k.vfs().readdir("/module")).doesNotContain("st");
  }

  /** Pinned: rmmod sleeps in mod_kobject_put until the cache's last kobject reference goes. */
  @Test
  void staticCache_pinned_rmmodWaitsForTheRelease() throws Exception {
    boot(KernelEra.V7_STATIC_CACHE);
    k.ctl("insmod st static_cache=st_cache:256");
    assertThat(k.vfs().stat("/kernel/slab/st_cache").type().name()).isEqualTo("DIRECTORY");
    k.ctl("kobject_get st_cache");
    CompletableFuture<String> rmmod = run(new Task(2001, "rmmod"), "rmmod st");
    assertThat(k.lockdep().taskList().awaitBlocked(1, 10_000)).isTrue();
    assertThat(rmmod).isNotDone();
    assertThat(k.vfs().readdir("/module/st")).as("empty but still there").isEmpty();
    k.ctl("kobject_put st_cache");
    assertThat(rmmod.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(k.vfs().readdir("/module")).doesNotContain("st");
    assertThat(k.kasan().reportCount()).isZero();
    assertThat(log()).doesNotContain("KASAN");
  }

  /** Unpinned: rmmod returns, module memory is freed, the late release touches it. */
  @Test
  @ExpectDmesg("BUG: KASAN: vmalloc-out-of-bounds in kobject_put")
  void staticCache_unpinned_lateReleaseIsAUseAfterFree() throws Exception {
    boot(KernelEra.V7_STATIC_CACHE_UNPINNED);
    k.ctl("insmod st static_cache=st_cache:256");
    k.ctl("kobject_get st_cache");
    k.ctl("rmmod st");
    assertThat(k.vfs().readdir("/module")).doesNotContain("st");
    assertThat(k.kasan().reportCount()).isZero();
    k.ctl("kobject_put st_cache");
    assertThat(k.kasan().reportCount())
        .as("first access reported, later ones counted")
        .isGreaterThan(1);
    assertThat(k.dmesg().taint().toString()).isEqualTo("Tainted: G    B      O      ");
    assertThat(log())
        .contains("BUG: KASAN: vmalloc-out-of-bounds in kobject_put")
        .contains("Write of size 4 at addr ")
        .containsPattern("The buggy address belongs to the variable:\n 0xffffffffc0[0-9a-f]{6}\n")
        .contains("slabfs: the buggy address was st_cache+0xa0/0x100 [st]")
        .contains("Disabling lock debugging due to kernel taint");
    assertThat(log().split("BUG: KASAN", -1)).as("only the first is printed").hasSize(2);
  }

  private CompletableFuture<String> run(Task task, String command) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () ->
                Task.runAs(
                    task,
                    () -> {
                      Errno e = ctlErrno(command);
                      f.complete(e == null ? "ok" : e.name());
                      return null;
                    }));
    t.setDaemon(true);
    t.start();
    return f;
  }

  /**
   * {@code uevent} (0200): lib/kobject_uevent.c kobject_synth_uevent(): an action, then optionally
   * a UUID and KEY=VALUE words; otherwise EINVAL and the kernel's {@code synth uevent:} warning.
   */
  @Test
  void uevent_takesTheKernelsSyntax_andWarnsAsKobjectSynthUeventDoes() throws Exception {
    boot(KernelEra.V6_18);
    k.ctl("insmod ev");
    String p = "/module/ev/uevent";
    Sys.write(k.vfs(), p, "add\n");
    Sys.write(k.vfs(), p, "change 12345678-9abc-def0-1234-56789abcdef0 A=1 b2=xyz\n");
    assertThat(log()).doesNotContain("synth uevent");
    for (String bad : new String[] {"bogus\n", "add \n", "addx", "ADD"}) {
      assertThat(Sys.errno(() -> Sys.write(k.vfs(), p, bad))).as(bad).isEqualTo(Errno.EINVAL);
    }
    assertThat(log()).contains("synth uevent: /module/ev: unknown uevent action string");
    for (String bad :
        new String[] {
          "add nouuid",
          "add 12345678-9abc-def0-1234-56789abcdef0 =1",
          "add " + "12345678-9abc-def0-1234-56789abcdef0 A=x-y"
        }) {
      assertThat(Sys.errno(() -> Sys.write(k.vfs(), p, bad))).as(bad).isEqualTo(Errno.EINVAL);
    }
    assertThat(log()).contains("synth uevent: /module/ev: incorrect uevent action arguments");
    k.ctl("rmmod ev");
  }
}
