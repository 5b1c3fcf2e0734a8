package io.slabfs.kernel.golden;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.ExpectDmesg;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * khungtaskd per era (kernel/hung_task.c, kernel/sched/core.c): the {@code task:} line's format, no
 * blocker line before 6.15 (a {@code slabfs:} line instead), a report at every check while the task
 * stays blocked until {@code hung_task_warnings} runs out. The 5.19 and 6.1 task-line formats are
 * the "Before" and "After" of tip commit 0f03d6805bfc
 * <165946983999.15455.573652282122630497.tip-bot2@tip-bot2> ("stack: 0 pid: 307 ppid: 2" vs
 * "stack:0 pid:308 ppid:2 ").
 */
@KernelTest
@ExpectDmesg("blocked for more than")
class HungTaskEraTest {
  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_1", "V6_18"})
  void mutexWait_reportedAtEveryCheck_withTheErasLines(KernelEra era, Kernels kernels)
      throws Exception {
    Kernel k =
        kernels.boot(
            BootOptions.defaults()
                .withEra(era)
                .withBootSet(BootSet.MINIMAL)
                .withHungTask(120, BootOptions.DeadlockMode.HANG, false));
    Mutex m = new Mutex(k.lockdep(), "era_mutex");
    Task owner = new Task(307, "owner").withParent(() -> 307, () -> 2);
    Task waiter = new Task(308, "waiter").withParent(() -> 308, () -> 2);
    CountDownLatch held = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
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
    try {
      for (int i = 1; i <= 11; i++) {
        k.hungTask().check(since + TimeUnit.SECONDS.toNanos(120L * i));
      }
    } finally {
      release.countDown();
      a.get(10, TimeUnit.SECONDS);
      b.get(10, TimeUnit.SECONDS);
    }
    List<String> log = k.dmesg().messages();
    assertThat(
            log.stream()
                .filter(l -> l.startsWith("INFO: task waiter:308 blocked for more"))
                .toList())
        .as("one report per check until hung_task_warnings (10) runs out")
        .hasSize(10)
        .contains(
            "INFO: task waiter:308 blocked for more than 120 seconds.",
            "INFO: task waiter:308 blocked for more than 1200 seconds.");
    assertThat(log)
        .containsOnlyOnce(
            "Future hung task reports are suppressed, see sysctl kernel.hung_task_warnings");
    String taskLine =
        switch (era) {
          case V5_19 ->
              "task:waiter          state:D stack:    0 pid:  308 ppid:     2 "
                  + "flags:0x00000000";
          case V6_1 ->
              "task:waiter          state:D stack:0     pid:308   ppid:2      "
                  + "flags:0x00000000";
          default ->
              "task:waiter          state:D stack:0     pid:308   tgid:308   ppid:2      "
                  + "task_flags:0x400000 flags:0x00000000";
        };
    assertThat(log).contains(taskLine);
    if (era == KernelEra.V6_18) {
      assertThat(log)
          .contains("INFO: task waiter:308 is blocked on a mutex likely owned by task owner:307.")
          .noneMatch(l -> l.startsWith("slabfs: task waiter:308"));
    } else {
      assertThat(log)
          .noneMatch(l -> l.contains("is blocked on"))
          .contains(
              "slabfs: task waiter:308 waits for era_mutex, which owner:307 holds "
                  + "(see sim/held_locks)");
    }
  }
}
