package io.slabfs.kernel.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Seed 001 in the model, deterministic: W parks inside the cpu_partial store (wait point), D
 * destroys the cache, H takes cpu1 down, then W goes on into cpus_read_lock. On v5.19 lockdep
 * reports cpu_hotplug_lock --> slab_mutex --> kn->active, the three really block, and the hung-task
 * check breaks the cycle by failing W with EDEADLK; on the fixed eras all three complete and
 * nothing is reported. The hung-task timeout is 0 and the check is called by hand, so no test
 * timing depends on the clock.
 */
@KernelTest
class Seed001Test {
  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1", "V6_18", "V7"})
  void threePartyInterleaving(KernelEra era, Kernels kernels) throws Exception {
    // 7.x: cpu_partial takes no lock any more; shrink still reaches cpus_read_lock
    String attr = era == KernelEra.V7 ? "shrink" : "cpu_partial";
    String value = era == KernelEra.V7 ? "1\n" : "120\n";
    BootOptions opts =
        BootOptions.defaults()
            .withEra(era)
            .withBootSet(BootSet.MINIMAL)
            .withHungTask(0, BootOptions.DeadlockMode.BREAK, false);
    if (era == KernelEra.V5_19) {
      kernels
          .expectDmesg("WARNING: possible circular locking dependency detected")
          .expectDmesg("INFO: task W:1001 blocked for more than 0 seconds.")
          .expectDmesg("INFO: task D:1002 blocked for more than 0 seconds.")
          .expectDmesg("INFO: task H:1003 blocked for more than 0 seconds.");
    }
    Kernel k = kernels.boot(opts);
    // unmergeable in every era: a constructor (SLAB_NO_MERGE exists only from 6.5)
    k.ctl("kmem_cache_create X 192 ctor=x_ctor");
    k.ctl("pause " + attr + "_store");
    Task w = new Task(1001, "W");
    CompletableFuture<String> wResult = run(w, () -> write(k.vfs(), attr, value));
    k.ctl("await " + attr + "_store timeout=10");
    CompletableFuture<String> dResult =
        run(new Task(1002, "D"), () -> ctl(k, "kmem_cache_destroy X"));
    assertThat(k.lockdep().taskList().awaitBlocked(2, 10_000)).isTrue();
    CompletableFuture<String> hResult =
        run(
            new Task(1003, "H"),
            () -> {
              try {
                k.hotplug().cpuDown(1);
                return "ok";
              } catch (ErrnoException e) {
                return e.errno().name();
              }
            });
    if (era == KernelEra.V5_19) {
      assertThat(k.lockdep().taskList().awaitBlocked(3, 10_000))
          .as("H waits for D's read hold")
          .isTrue();
    } else {
      assertThat(hResult.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    }
    k.ctl("resume " + attr + "_store");
    if (era == KernelEra.V5_19) {
      assertThat(
              k.lockdep()
                  .taskList()
                  .awaitTasks(
                      all ->
                          w.blocked() != null && w.blocked().what().startsWith("cpu_hotplug_lock"),
                      10_000))
          .isTrue();
      String log = String.join("\n", k.dmesg().messages());
      assertThat(log)
          .contains("WARNING: possible circular locking dependency detected")
          .contains("W/1001 is trying to acquire lock:")
          .containsPattern(
              "Chain exists of:\n  cpu_hotplug_lock --> slab_mutex --> kn->active#\\d+")
          .contains("3 locks held by W/1001:")
          // as the 6.0-rc1 report: frames as compiled (flush_all inlined, sysfs_slab_unlink
          // tail-calls kobject_del), lock( for reads before 6.4, sysfs's sb_writers#N
          .containsPattern(
              "\\(cpu_hotplug_lock\\)\\{\\+\\+\\+\\+\\}-\\{0:0\\}, at: cpu_partial_store\\+")
          .containsPattern(
              "       kobject_del\\+0x[0-9a-f]+/0x[0-9a-f]+\n       kmem_cache_destroy\\+")
          .doesNotContain("flush_all+")
          .doesNotContain("sysfs_slab_unlink+")
          .containsPattern("\n  lock\\(kn->active#\\d+\\);\n")
          .contains("\n  lock(cpu_hotplug_lock);\n")
          .doesNotContain("rlock(")
          .containsPattern(
              " #0: [0-9a-f]{16} \\(sb_writers#7\\)\\{\\.\\+\\.\\+\\}-\\{0:0\\}, at: ksys_write\\+");
      String report = log;
      k.hungTask().check();
      assertThat(wResult.get(10, TimeUnit.SECONDS)).isEqualTo("EDEADLK");
      log = String.join("\n", k.dmesg().messages());
      assertThat(log)
          .contains("INFO: task W:1001 blocked for more than 0 seconds.")
          .contains("INFO: task D:1002 blocked")
          .contains("INFO: task H:1003 blocked")
          .contains("breaking it by failing the system call of W/1001");
      // (compared once the deadlock is broken, so a failure leaves no task blocked)
      assertThat(playgroundBlock(scenarioOf(report)))
          .as("mountpoint-scripts/lockdep/seed-001.lockdep reports the mount's cycle")
          .isEqualTo(playgroundBlock(scenarioOf(seed001Script())));
    } else {
      assertThat(wResult.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
      assertThat(k.lockdep().splatCount()).isZero();
    }
    assertThat(dResult.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(hResult.get(10, TimeUnit.SECONDS)).isEqualTo("ok");
    assertThat(k.lockdep().taskList().heldCount()).as("every lock free").isZero();
    assertThat(k.lockdep().taskList().blockedCount()).isZero();
    assertThat(k.kernfs().activeRefCount()).isZero();
    assertThat(k.vfs().readdir("/kernel/slab")).doesNotContain("X");
  }

  /** The playground's seed 001 script on v5.19, what lockdep printed. */
  private static String seed001Script() throws Exception {
    java.nio.file.Path script =
        java.nio.file.Path.of("..", "mountpoint-scripts", "lockdep", "seed-001.lockdep");
    io.slabfs.kernel.locking.Lockdep ld =
        io.slabfs.kernel.locking.LockScript.parse(java.nio.file.Files.readString(script))
            .run("5.19.0-slabfs");
    return String.join("\n", ld.dmesg().messages());
  }

  /** From "Chain exists of:" to the held locks' classes: the class-level part of a report. */
  private static String scenarioOf(String log) {
    int from = log.indexOf("Chain exists of:");
    int to = log.indexOf("\nstack backtrace:", from);
    return log.substring(from, to);
  }

  /** Without name versions, addresses, usage and at: (the playground has its own). */
  private static String playgroundBlock(String block) {
    return block
        .replaceAll("#\\d+\\b(?!:)", "")
        .replaceAll("[0-9a-f]{16} ", "")
        .replaceAll("\\{[^}]*\\}-\\{\\d:\\d\\}, at: .*", "")
        .replaceAll("by \\w+/\\d+", "by T");
  }

  private static String write(Vfs vfs, String attr, String text) {
    long fh = -1;
    try {
      fh = vfs.open("/kernel/slab/X/" + attr, Vfs.O_WRONLY);
      byte[] b = text.getBytes(StandardCharsets.UTF_8);
      vfs.write(fh, b, b.length);
      return "ok";
    } catch (ErrnoException e) {
      return e.errno().name();
    } finally {
      vfs.release(fh);
    }
  }

  private static String ctl(Kernel k, String command) {
    try {
      k.ctl(command);
      return "ok";
    } catch (ErrnoException e) {
      return e.errno().name();
    }
  }

  private interface Body {
    String run() throws Exception;
  }

  private static CompletableFuture<String> run(Task task, Body body) {
    CompletableFuture<String> f = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                f.complete(Task.runAs(task, body::run));
              } catch (Throwable e) {
                f.completeExceptionally(e);
              }
            },
            task.comm());
    t.setDaemon(true);
    t.start();
    return f;
  }
}
