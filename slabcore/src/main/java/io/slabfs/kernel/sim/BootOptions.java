package io.slabfs.kernel.sim;

import io.slabfs.kernel.debug.KernelClock;
import io.slabfs.kernel.era.KernelEra;
import java.nio.file.Path;
import java.util.function.LongSupplier;

/**
 * Everything a boot is parameterised by: the command line of {@code slabfs mount} minus the FUSE
 * parts.
 *
 * @param hostSlab where {@code --boot host} reads the real tree (normally {@code /sys/kernel/slab})
 * @param extraCaches {@code --extra-caches}: unmergeable caches created after the boot set, for
 *     scale tests
 * @param memBytes {@code --mem}: the machine's memory in bytes, or 0 for the default of {@link
 *     #DEFAULT_MEM_PER_CPU} per possible CPU
 */
public record BootOptions(
    KernelEra era,
    int cpus,
    int nodes,
    BootSet bootSet,
    long seed,
    int hungTaskTimeoutSecs,
    DeadlockMode deadlockMode,
    boolean debugKobjectRelease,
    Path hostSlab,
    int extraCaches,
    KernelClock clock,
    LongSupplier wallClockMillis,
    long memBytes) {

  /** A cloud machine's usual 2 GiB of memory per vCPU (a 2-CPU machine has 4 GiB). */
  public static final long DEFAULT_MEM_PER_CPU = 2L << 30;

  /** The machine's memory in 4 KiB pages ({@code totalram_pages()}). */
  public long memPages() {
    long bytes = memBytes > 0 ? memBytes : DEFAULT_MEM_PER_CPU * cpus;
    return bytes >> 12;
  }

  public BootOptions withMem(long bytes) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        bytes);
  }

  /** {@code --deadlock}. */
  public enum DeadlockMode {
    BREAK,
    HANG
  }

  /** The defaults of product.md section 2, with a fixed seed. */
  public static BootOptions defaults() {
    return new BootOptions(
        KernelEra.V6_18,
        2,
        1,
        BootSet.DEFAULT,
        1,
        10,
        DeadlockMode.BREAK,
        false,
        Path.of("/sys/kernel/slab"),
        0,
        KernelClock.system(),
        System::currentTimeMillis,
        0);
  }

  public BootOptions withEra(KernelEra e) {
    return new BootOptions(
        e,
        cpus,
        nodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withCpus(int n, int numaNodes) {
    return new BootOptions(
        era,
        n,
        numaNodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withBootSet(BootSet set) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        set,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withHostSlab(Path path) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        path,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withSeed(long s) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        s,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withHungTask(int secs, DeadlockMode mode, boolean kobjectRelease) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        seed,
        secs,
        mode,
        kobjectRelease,
        hostSlab,
        extraCaches,
        clock,
        wallClockMillis,
        memBytes);
  }

  public BootOptions withExtraCaches(int n) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        n,
        clock,
        wallClockMillis,
        memBytes);
  }

  /** The kernel's clock (tests drive time by hand with one of their own). */
  public BootOptions withClock(KernelClock c) {
    return new BootOptions(
        era,
        cpus,
        nodes,
        bootSet,
        seed,
        hungTaskTimeoutSecs,
        deadlockMode,
        debugKobjectRelease,
        hostSlab,
        extraCaches,
        c,
        wallClockMillis,
        memBytes);
  }
}
