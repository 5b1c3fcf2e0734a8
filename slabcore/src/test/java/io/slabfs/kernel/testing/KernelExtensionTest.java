package io.slabfs.kernel.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;
import static org.junit.platform.testkit.engine.EventConditions.event;
import static org.junit.platform.testkit.engine.EventConditions.finishedSuccessfully;
import static org.junit.platform.testkit.engine.EventConditions.finishedWithFailure;
import static org.junit.platform.testkit.engine.EventConditions.test;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.instanceOf;
import static org.junit.platform.testkit.engine.TestExecutionResultConditions.message;

import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsNode;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Events;

/**
 * The check of {@link KernelExtension} itself: fixtures that leak on purpose, run through a nested
 * Jupiter engine, must fail with a message naming the leak; clean ones must pass.
 */
class KernelExtensionTest {
  private static final String FIXTURES = "slabfs.kernelExtensionFixtures";

  private static Events events;

  /** The fixtures run once, for all the checks below. */
  private static synchronized Events run() {
    if (events != null) {
      return events;
    }
    events =
        EngineTestKit.engine("junit-jupiter")
            .configurationParameter(FIXTURES, "true")
            .selectors(selectClass(Fixtures.class))
            .execute()
            .testEvents();
    assertThat(events.started().count()).as("fixtures that ran").isEqualTo(8);
    return events;
  }

  private static void failsNaming(Events events, String fixture, String... parts) {
    events
        .assertThatEvents()
        .haveExactly(
            1,
            event(
                test(fixture),
                finishedWithFailure(
                    instanceOf(AssertionError.class),
                    message(
                        m -> {
                          for (String p : parts) {
                            if (!m.contains(p)) {
                              return false;
                            }
                          }
                          return m.startsWith("kernel not quiescent after " + fixture + "(");
                        }))));
  }

  @Test
  void leakedActiveReference_isNamedWithItsNodeAndHolder() {
    failsNaming(
        run(),
        "leaksAnActiveReference",
        "active reference: kernfs node kernel/slab/kmalloc-64/order has 1 active reference(s)",
        "held by [leaker/4242]",
        "held lock: task leaker/4242 still holds (kn->active#");
  }

  @Test
  void leakedLock_isNamedWithItsTask() {
    failsNaming(
        run(), "leaksALock", "held lock: task leaker/4242 still holds (cpu_hotplug_lock){++++}");
  }

  @Test
  void leakedOpenFile_isNamedWithItsPath() {
    failsNaming(
        run(),
        "leaksAnOpenFile",
        "open file: handle 1 on kernel/slab/kmalloc-64/objects was never released");
  }

  @Test
  void undeclaredWarning_isNamed() {
    failsNaming(
        run(),
        "printsAnUndeclaredWarning",
        "dmesg: unexpected line \"WARNING: CPU: 0 PID: ",
        "at mm/slab_common.c:343 __kmem_cache_create_args");
  }

  @Test
  void declaredLineThatNeverCame_fails() {
    failsNaming(
        run(),
        "declaresALineThatNeverComes",
        "@ExpectDmesg(\"WARNING: possible circular locking dependency detected\"), but no dmesg"
            + " line contains it");
  }

  @Test
  void cleanTests_andDeclaredWarnings_pass() {
    Events events = run();
    for (String ok :
        new String[] {
          "leavesNothing", "declaresTheWarningItPrints", "bootsTwoKernelsWithOptionsFromTheTest"
        }) {
      events.assertThatEvents().haveExactly(1, event(test(ok), finishedSuccessfully()));
    }
  }

  /** Runs the fixtures only inside {@link #run()}, never in the build's own test run. */
  @Retention(RetentionPolicy.RUNTIME)
  @ExtendWith(OnlyAsFixture.Condition.class)
  @interface OnlyAsFixture {
    final class Condition implements ExecutionCondition {
      @Override
      public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext ec) {
        return ec.getConfigurationParameter(FIXTURES).isPresent()
            ? ConditionEvaluationResult.enabled("run by KernelExtensionTest")
            : ConditionEvaluationResult.disabled("a fixture of KernelExtensionTest");
      }
    }
  }

  /** Each leaks as a task of its own, so nothing it leaves sticks to the runner's thread. */
  @OnlyAsFixture
  @KernelTest
  @Boot(bootSet = BootSet.MINIMAL)
  static class Fixtures {
    private interface Body {
      void run() throws Exception;
    }

    private static void asLeaker(Body body) throws Exception {
      Task.runAs(
          new Task(4242, "leaker"),
          () -> {
            body.run();
            return null;
          });
    }

    @Test
    void leaksAnActiveReference(Kernel k) throws Exception {
      KernfsNode kn = k.kernfs().rootDir();
      for (String name : new String[] {"kernel", "slab", "kmalloc-64", "order"}) {
        kn = k.kernfs().child((KernfsDir) kn, name).orElseThrow();
      }
      KernfsNode order = kn;
      asLeaker(() -> order.getActive()); // never closed: no kernfs_put_active
    }

    @Test
    void leaksALock(Kernel k) throws Exception {
      asLeaker(() -> k.hotplug().cpusReadLock());
    }

    @Test
    void leaksAnOpenFile(Kernel k) throws Exception {
      k.vfs().open("/kernel/slab/kmalloc-64/objects", Vfs.O_RDONLY);
    }

    @Test
    void printsAnUndeclaredWarning(Kernel k) throws Exception {
      k.ctl("kmem_cache_create fixture_usercopy 64 useroffset=8");
    }

    @Test
    @ExpectDmesg("WARNING: possible circular locking dependency detected")
    void declaresALineThatNeverComes(Kernel k) throws Exception {
      Sys.cat(k.vfs(), "/kernel/slab/kmalloc-64/order");
    }

    @Test
    void leavesNothing(Kernel k) throws Exception {
      long fh = k.vfs().open("/kernel/slab/kmalloc-64/objects", Vfs.O_RDONLY);
      k.vfs().read(fh, 0, 4096);
      k.vfs().release(fh);
    }

    @Test
    @ExpectDmesg("at mm/slab_common.c:343 __kmem_cache_create_args")
    void declaresTheWarningItPrints(Kernel k) throws Exception {
      k.ctl("kmem_cache_create fixture_usercopy 64 useroffset=8");
    }

    @Test
    void bootsTwoKernelsWithOptionsFromTheTest(Kernels kernels) throws Exception {
      Kernel a = kernels.boot(Boot.Options.of(Fixtures.class.getAnnotation(Boot.class)));
      Kernel b = kernels.boot(a.options().withCpus(4, 2));
      assertThat(Sys.cat(b.vfs(), "/devices/system/cpu/online")).isEqualTo("0-3\n");
    }
  }
}
