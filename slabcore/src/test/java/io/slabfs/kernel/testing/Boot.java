package io.slabfs.kernel.testing;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootOptions.DeadlockMode;
import io.slabfs.kernel.sim.BootSet;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The boot options of the {@link io.slabfs.kernel.sim.Kernel} that {@link KernelExtension} injects
 * as a parameter; on the method, else on the class, else {@link BootOptions#defaults()}. A test
 * that needs options computed at run time (an era from a parameter) takes {@link Kernels} instead
 * and calls {@link Kernels#boot(BootOptions)}.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
public @interface Boot {
  KernelEra era() default KernelEra.V6_18;

  BootSet bootSet() default BootSet.DEFAULT;

  int cpus() default 2;

  int nodes() default 1;

  long seed() default 1;

  /** {@code hung_task_timeout_secs}; 0 leaves khungtaskd to {@code check()} calls. */
  int hungTaskTimeoutSecs() default 10;

  DeadlockMode deadlock() default DeadlockMode.BREAK;

  boolean debugKobjectRelease() default false;

  int extraCaches() default 0;

  /** These options over {@link BootOptions#defaults()}. */
  final class Options {
    private Options() {}

    public static BootOptions of(Boot b) {
      return BootOptions.defaults()
          .withEra(b.era())
          .withBootSet(b.bootSet())
          .withCpus(b.cpus(), b.nodes())
          .withSeed(b.seed())
          .withHungTask(b.hungTaskTimeoutSecs(), b.deadlock(), b.debugKobjectRelease())
          .withExtraCaches(b.extraCaches());
    }
  }
}
