package io.slabfs.kernel.explore;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.sim.LiveReplay;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link LiveReplay}, the scheduler of {@code slabfs replay --mount}, on a kernel of its own: the
 * scenario's tasks are threads running as tasks with a pid each, doing what the launcher's shells
 * do through FUSE ({@code replay_task} on their {@code sim/ctl.d/N}, then the operation through the
 * VFS), not started in any particular order. They follow the model's schedule step by step (seed
 * 001's deadlock, seed 000's use-after-free, a schedule with a kworker step), and a schedule the
 * kernel does not follow is abandoned with the step and the reason, the scheduler uninstalled.
 */
class LiveReplayTest {
  private Kernel kernel;
  private final List<Thread> threads = new ArrayList<>();
  private final Map<String, List<String>> results = new ConcurrentHashMap<>();

  @AfterEach
  void end() throws InterruptedException {
    if (kernel != null) {
      kernel.abortBlocked();
      for (Thread t : threads) {
        t.join(30_000);
      }
      kernel.close();
    }
  }

  private Explorer.Replayed model(String file, String token) throws Exception {
    return Explorer.replayed(
        ExploreTest.scenario(file),
        token,
        BootSet.MINIMAL,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
  }

  private void boot(KernelEra era) throws Exception {
    kernel = Kernel.boot(Explorer.boot(era, 2, BootSet.MINIMAL));
  }

  /** One write(2) to sim/ctl.d/N, as the launcher's shells do. */
  private void ctl(int channel, String command) throws ErrnoException {
    Vfs vfs = kernel.vfs();
    long fh = vfs.open("/sim/ctl.d/" + channel, Vfs.O_WRONLY);
    try {
      byte[] b = command.getBytes(StandardCharsets.UTF_8);
      vfs.write(fh, b, b.length);
    } finally {
      vfs.release(fh);
    }
  }

  private void install(List<LiveReplay.Step> steps, int timeoutSecs) throws ErrnoException {
    StringBuilder sb = new StringBuilder("replay_steps");
    steps.forEach(s -> sb.append(' ').append(s.word()));
    kernel.ctl(sb.toString());
    kernel.ctl("replay_begin timeout=" + timeoutSecs);
  }

  /** Starts the scenario's tasks, last first: the schedule, not the start order, decides. */
  private void start(Scenario sc) {
    List<Scenario.TaskSpec> specs = new ArrayList<>(sc.tasks());
    java.util.Collections.reverse(specs);
    for (Scenario.TaskSpec spec : specs) {
      int channel = sc.tasks().indexOf(spec);
      List<String> out = java.util.Collections.synchronizedList(new ArrayList<>());
      results.put(spec.name(), out);
      Task task = new Task(4000 + channel, spec.name());
      Thread t =
          new Thread(
              () ->
                  Task.runAs(
                      task,
                      () -> {
                        for (Scenario.Op op : spec.ops()) {
                          try {
                            ctl(channel, "replay_task " + spec.name() + " " + op.text());
                          } catch (ErrnoException e) {
                            // the replay is over: go on unsteered, as the shells do
                          }
                          out.add(run(channel, op));
                        }
                        try {
                          ctl(channel, "replay_exit " + spec.name());
                        } catch (ErrnoException e) {
                          // the replay is over
                        }
                        return null;
                      }),
              spec.name());
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private String run(int channel, Scenario.Op op) {
    Vfs vfs = kernel.vfs();
    try {
      switch (op.kind()) {
        case ECHO -> {
          long fh = vfs.open("/" + op.path(), Vfs.O_WRONLY);
          try {
            byte[] b = (op.value() + "\n").getBytes(StandardCharsets.UTF_8);
            vfs.write(fh, b, b.length);
          } finally {
            vfs.release(fh);
          }
        }
        case CAT -> {
          long fh = vfs.open("/" + op.path(), Vfs.O_RDONLY);
          try {
            vfs.read(fh, 0, 4096);
          } finally {
            vfs.release(fh);
          }
        }
        case CTL -> ctl(channel, op.value());
      }
      return "ok";
    } catch (ErrnoException e) {
      return e.errno().name();
    }
  }

  private String replayWait() {
    try {
      kernel.ctl("replay_wait timeout=120");
      return "done";
    } catch (ErrnoException e) {
      return e.errno().name() + ": " + e.why();
    }
  }

  private String dmesg() {
    return new String(kernel.dmesg().contents(), StandardCharsets.UTF_8);
  }

  private void setup(Scenario sc) throws ErrnoException {
    for (Scenario.Setup s : sc.setup()) {
      kernel.ctl(s.command());
    }
  }

  @Test
  void seed001_deadlockToken_isFollowed_andLeavesTheThreeTasksDeadlocked() throws Exception {
    Explorer.Replayed m = model("seed-001.scenario", "v5.19:2c:47e7:3.2-8.3");
    assertThat(m.deadlocked()).isTrue();
    boot(KernelEra.V5_19);
    Scenario sc = ExploreTest.scenario("seed-001.scenario");
    setup(sc);
    install(m.steps(), 60);
    start(sc);

    assertThat(replayWait()).isEqualTo("done");
    assertThat(kernel.lockdep().taskList().scheduler()).isNull();
    assertThat(kernel.lockdep().taskList().awaitBlocked(3, 30_000)).isTrue();
    assertThat(dmesg())
        .contains("WARNING: possible circular locking dependency detected")
        .contains("cpu_hotplug_lock --> slab_mutex --> kn->active#")
        .contains("slabfs: replay: the schedule was followed to its end (15 steps)");
    assertThat(kernel.lockdep().showAllLocks(System.nanoTime()))
        .contains("waiting in kernfs_drain for drain of kernel/slab/seedx/cpu_partial")
        .contains("waiting in percpu_down_write for cpu_hotplug_lock (write, waiting for readers)")
        .contains("waiting in percpu_rwsem_wait for cpu_hotplug_lock (read)");
  }

  @Test
  void seed001_lockdepToken_stepsTheKworkerTheReplayStarted() throws Exception {
    Explorer.Replayed m = model("seed-001.scenario", "v5.19:2c:47e7:-");
    assertThat(m.steps()).anyMatch(s -> s.task().startsWith("kworker/"));
    boot(KernelEra.V5_19);
    Scenario sc = ExploreTest.scenario("seed-001.scenario");
    setup(sc);
    install(m.steps(), 60);
    start(sc);

    assertThat(replayWait()).isEqualTo("done");
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertThat(results).containsEntry("W", List.of("ok")).containsEntry("D", List.of("ok"));
    assertThat(dmesg()).contains("WARNING: possible circular locking dependency detected");
  }

  @Test
  void seed000_useAfterFreeToken_isFollowed_andKasanReports() throws Exception {
    Explorer.Replayed m = model("seed-000.scenario", "v7+static-cache-unpinned:2c:5ae1:10.1-11.0");
    boot(KernelEra.byId("v7+static-cache-unpinned").orElseThrow());
    Scenario sc = ExploreTest.scenario("seed-000.scenario");
    install(m.steps(), 60);
    start(sc);

    assertThat(replayWait()).isEqualTo("done");
    for (Thread t : threads) {
      t.join(30_000);
    }
    assertThat(results)
        .containsEntry("M", List.of("ok", "ok"))
        .containsEntry("P", List.of("ok", "ok"));
    assertThat(dmesg()).contains("BUG: KASAN: vmalloc-out-of-bounds in kobject_put");
  }

  @Test
  void aScheduleTheKernelDoesNotFollow_isAbandonedAtItsStep_andTheTasksGoOn() throws Exception {
    Explorer.Replayed m = model("seed-001.scenario", "v5.19:2c:47e7:3.2-8.3");
    List<LiveReplay.Step> steps = new ArrayList<>(m.steps());
    LiveReplay.Step s2 = steps.get(1);
    steps.set(1, new LiveReplay.Step(s2.task(), "mutex_lock(nothing)", false, false));
    boot(KernelEra.V5_19);
    Scenario sc = ExploreTest.scenario("seed-001.scenario");
    setup(sc);
    install(steps, 60);
    start(sc);

    assertThat(replayWait())
        .startsWith("ECANCELED")
        .contains(
            "step 2 of 15 (W: mutex_lock(nothing)): W is at kernfs_get_active(seedx/cpu_partial) instead");
    assertThat(kernel.lockdep().taskList().scheduler()).isNull();
    for (Thread t : threads) {
      t.join(30_000);
      assertThat(t.isAlive()).isFalse();
    }
    assertThat(dmesg()).contains("slabfs: replay: abandoned at step 2 of 15");
  }

  @Test
  void aTaskThatNeverRegisters_endsTheReplayAfterTheTimeout() throws Exception {
    boot(KernelEra.V5_19);
    install(List.of(new LiveReplay.Step("X", "cat kernel/slab/x/order", false, false)), 1);
    assertThat(replayWait()).contains("task X did not register in 1 s");
    assertThat(kernel.lockdep().taskList().scheduler()).isNull();
  }

  @Test
  void replayEnd_uninstallsARunningReplay() throws Exception {
    boot(KernelEra.V5_19);
    install(List.of(new LiveReplay.Step("X", "cat kernel/slab/x/order", false, false)), 600);
    assertThat(kernel.lockdep().taskList().scheduler()).isNotNull();
    kernel.ctl("replay_end");
    assertThat(kernel.lockdep().taskList().scheduler()).isNull();
    assertThat(replayWait()).contains("replay_end");
  }
}
