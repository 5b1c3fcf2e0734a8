package io.slabfs.kernel.explore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.sim.BootSet;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The shipped scenarios under the explorer: seed 001's three-party deadlock and lockdep report are
 * found on v5.19 with no pause point placed by hand and replay the same every time; the fixed eras
 * explore exhaustively and find nothing; seed 000's use-after-free needs the unpinned static-cache
 * series. The unit tests use a preemption bound of 1 (the deadlock needs one) to stay quick; the
 * shipped default of 2 is what the benchmark and the shell suite run.
 */
class ExploreTest {
  static final Path SCENARIOS = Path.of("..", "mountpoint-scripts", "scenarios");

  static Scenario scenario(String file) throws IOException, Scenario.BadScenario {
    return Scenario.parse(file, Files.readString(SCENARIOS.resolve(file)));
  }

  record Explored(Explorer.Summary summary, String text) {}

  static Explored explore(String file, KernelEra era, int preemptions) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Explorer.Summary s =
        Explorer.explore(
            scenario(file),
            Explorer.boot(era, 2, BootSet.MINIMAL),
            new Explorer.Options(Explorer.Strategy.DFS, preemptions, 100_000, 1, true),
            new PrintStream(buf, true, StandardCharsets.UTF_8));
    return new Explored(s, buf.toString(StandardCharsets.UTF_8));
  }

  static String replay(String file, String token) throws Exception {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Explorer.replay(
        scenario(file), token, BootSet.MINIMAL, new PrintStream(buf, true, StandardCharsets.UTF_8));
    // lock addresses are identity hashes: the rest is the same from run to run
    return buf.toString(StandardCharsets.UTF_8)
        .replaceAll("ffff[0-9a-f]{12}", "ADDR")
        .replaceAll(", [0-9.]+ s\n", "\n");
  }

  @Test
  void seed001_onV519_findsTheDeadlockAndTheLockdepReport_andReplaysThem() throws Exception {
    Explored e = explore("seed-001.scenario", KernelEra.V5_19, 1);
    assertThat(e.summary().exhaustive()).isTrue();
    assertThat(e.summary().findings())
        .containsExactlyInAnyOrder(
            "lockdep: possible circular locking dependency detected",
            "deadlock: W, H and D wait for each other");
    assertThat(e.text())
        .contains("slabfs: found on a schedule that did not deadlock")
        .containsPattern("kernfs_drain\\(seedx/cpu_partial\\)  <-- blocks")
        .containsPattern("cpus_write_lock\\(cpu_hotplug_lock\\)  <-- blocks")
        .contains(
            "slabfs: wait-for cycle: W/1001 waits in cpu_hotplug_lock (read) -> H/1003 "
                + "waits in cpu_hotplug_lock (write, waiting for readers) -> D/1002 waits in drain of "
                + "kernel/slab/seedx/cpu_partial -> W/1001")
        .contains("INFO: task W:1001 blocked for more than 0 seconds.");
    String deadlock = e.summary().tokens().get(1);
    String first = replay("seed-001.scenario", deadlock);
    assertThat(first)
        .contains("deadlock: W, H and D wait for each other")
        .contains("lockdep: possible circular locking dependency detected")
        .contains("replay: " + deadlock);
    assertThat(replay("seed-001.scenario", deadlock)).isEqualTo(first);
  }

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V6_1", "V6_18", "V7"})
  void seed001_onFixedEras_findsNothing_exhaustively(KernelEra era) throws Exception {
    Explored e = explore("seed-001.scenario", era, 1);
    assertThat(e.summary().findings()).isEmpty();
    assertThat(e.summary().exhaustive()).isTrue();
    assertThat(e.text()).contains("nothing found").contains("exhaustive within 1 preemption");
  }

  @Test
  void seed000_useAfterFree_onlyWithoutThePin() throws Exception {
    Explored unpinned = explore("seed-000.scenario", KernelEra.V7_STATIC_CACHE_UNPINNED, 2);
    assertThat(unpinned.summary().findings())
        .containsExactly("BUG: KASAN: vmalloc-out-of-bounds in kobject_put+0x1d5/0x1e0");
    String token = unpinned.summary().tokens().get(0);
    assertThat(replay("seed-000.scenario", token))
        .contains("BUG: KASAN: vmalloc-out-of-bounds")
        .contains("The buggy address belongs to the variable:");

    Explored pinned = explore("seed-000.scenario", KernelEra.V7_STATIC_CACHE, 2);
    assertThat(pinned.summary().findings()).isEmpty();
    assertThat(pinned.summary().exhaustive()).isTrue();
    assertThat(pinned.text()).contains("x  M: ok, ok | P: ok, ok");

    Explored refused = explore("seed-000.scenario", KernelEra.V6_18, 2);
    assertThat(refused.summary().findings()).isEmpty();
    assertThat(refused.text()).contains("x  M: ENOEXEC, ENOENT | P: ENOENT, EINVAL");
  }

  @Test
  void abba_onV519_isALockdepReportWithoutADeadlock() throws Exception {
    Explored e = explore("abba-cpu-partial-vs-destroy.scenario", KernelEra.V5_19, 2);
    assertThat(e.summary().findings())
        .containsExactly("lockdep: possible circular locking dependency detected");
    assertThat(e.summary().exhaustive()).isTrue();
    assertThat(e.text()).doesNotContain("blocked |");
  }

  @Test
  void teachingScenarios_findNothing() throws Exception {
    for (String f :
        new String[] {"rmmod-vs-param-reader.scenario", "destroy-vs-attribute-read.scenario"}) {
      Explored e = explore(f, KernelEra.V6_18, 2);
      assertThat(e.summary().findings()).as(f).isEmpty();
      assertThat(e.summary().exhaustive()).as(f).isTrue();
    }
  }

  @Test
  void randomAndPct_findTheSeed001Deadlock() throws Exception {
    for (Explorer.Strategy s :
        new Explorer.Strategy[] {Explorer.Strategy.RANDOM, Explorer.Strategy.PCT}) {
      Explorer.Summary sum =
          Explorer.explore(
              scenario("seed-001.scenario"),
              Explorer.boot(KernelEra.V5_19, 2, BootSet.MINIMAL),
              new Explorer.Options(s, 2, 300, 7, true),
              new PrintStream(new ByteArrayOutputStream()));
      assertThat(sum.findings())
          .as(s.toString())
          .contains("lockdep: possible circular locking dependency detected");
      assertThat(sum.exhaustive()).isFalse();
    }
  }

  @Test
  void badScenario_namesTheLine() {
    assertThatThrownBy(() -> Scenario.parse("x", "# c\nsetup alloc x 1\nW: echo 1 kernel/x\n"))
        .isInstanceOf(Scenario.BadScenario.class)
        .hasMessage("line 3: expected 'echo VALUE > PATH', got 'echo 1 kernel/x'");
    assertThatThrownBy(() -> Scenario.parse("x", "W: cat a\nsetup alloc x 1\n"))
        .hasMessage("line 2: setup lines come before the tasks");
    assertThatThrownBy(() -> Scenario.parse("x", "W: rm -rf /\n"))
        .hasMessageStartingWith("line 1: unknown operation 'rm -rf /'");
    assertThatThrownBy(() -> Scenario.parse("x", "setup alloc x 1\n"))
        .hasMessage("x: no tasks (lines 'NAME: OPERATION')");
  }

  @Test
  void setupFailure_isABadScenario() throws Exception {
    Scenario sc = Scenario.parse("x", "setup kmem_cache_destroy nosuchcache\nW: cat kernel/slab\n");
    assertThatThrownBy(
            () ->
                Explorer.explore(
                    sc,
                    Explorer.boot(KernelEra.V6_18, 2, BootSet.MINIMAL),
                    Explorer.Options.defaults(),
                    new PrintStream(new ByteArrayOutputStream())))
        .isInstanceOf(Scenario.BadScenario.class)
        .hasMessageStartingWith("line 1: setup kmem_cache_destroy nosuchcache: ");
  }

  @Test
  void token_roundTrips_andIsRefusedForAnotherScenario() throws Exception {
    Token t = Token.parse("v7+static-cache-unpinned:4c:0a1f:3.1-17.2");
    assertThat(t.era()).isEqualTo(KernelEra.V7_STATIC_CACHE_UNPINNED);
    assertThat(t.cpus()).isEqualTo(4);
    assertThat(t.choices()).containsEntry(3, 1).containsEntry(17, 2);
    assertThat(t.toString()).isEqualTo("v7+static-cache-unpinned:4c:0a1f:3.1-17.2");
    assertThatThrownBy(
            () ->
                Explorer.replay(
                    scenario("seed-001.scenario"),
                    "v5.19:2c:0000:-",
                    BootSet.MINIMAL,
                    new PrintStream(new ByteArrayOutputStream())))
        .hasMessageStartingWith("the token was made for another scenario");
  }
}
