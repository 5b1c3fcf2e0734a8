package io.slabfs.kernel.bench;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The kernel model without FUSE: system calls per second of a default boot (v6.18), with lockdep
 * checking ({@code on}) and turned off ({@code off}). One operation is what one {@code cat} or
 * {@code echo} of an attribute makes: open, one read of a page or one write, release, run as a task
 * as the FUSE edge runs it. Every operation checks its result, so a broken path cannot pass for a
 * fast one. Run by {@code mountpoint-scripts/bench/model}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ModelBench {
  private static final String CACHE = "kernel/slab/kmalloc-64/";
  private static final AtomicInteger PIDS = new AtomicInteger(1000);
  private static final byte[] FIVE = "5\n".getBytes(StandardCharsets.US_ASCII);

  @Param({"on", "off"})
  public String lockdep;

  private Kernel kernel;
  private Vfs vfs;
  private byte[] cpuPartial;

  /** The calling process: one task per benchmark thread. */
  @State(Scope.Thread)
  public static class Caller {
    final Task task = new Task(PIDS.incrementAndGet(), "bench");
  }

  @Setup
  public void boot() throws Exception {
    kernel = Kernel.boot(BootOptions.defaults());
    vfs = kernel.vfs();
    if (lockdep.equals("off")) {
      kernel.lockdep().turnOff();
    }
    Task setup = new Task(999, "bench");
    // min_partial of a 64-byte cache is clamp(ilog2(64) / 2, 5, 10) = 5: storing 5 changes
    // nothing; cpu_partial is written back with the value it has
    String minPartial = Task.runAs(setup, () -> cat(CACHE + "min_partial"));
    if (!minPartial.equals("5\n")) {
      throw new IllegalStateException("min_partial is " + minPartial);
    }
    cpuPartial =
        Task.runAs(setup, () -> cat(CACHE + "cpu_partial")).getBytes(StandardCharsets.US_ASCII);
  }

  @TearDown
  public void shutDown() {
    kernel.close();
  }

  private String cat(String path) throws ErrnoException {
    long fh = vfs.open(path, Vfs.O_RDONLY);
    try {
      byte[] b = vfs.read(fh, 0, 4096);
      if (b.length == 0 || b[b.length - 1] != '\n') {
        throw new IllegalStateException(path + " read " + b.length + " bytes");
      }
      return new String(b, StandardCharsets.US_ASCII);
    } finally {
      vfs.release(fh);
    }
  }

  private int echo(String path, byte[] value) throws ErrnoException {
    long fh = vfs.open(path, Vfs.O_WRONLY);
    try {
      int n = vfs.write(fh, value, value.length);
      if (n != value.length) {
        throw new IllegalStateException(path + " wrote " + n + " of " + value.length);
      }
      return n;
    } finally {
      vfs.release(fh);
    }
  }

  /** {@code cat objects}: a counter summed over the cache's slabs on every read. */
  @Benchmark
  public String showObjects(Caller c) throws ErrnoException {
    return Task.runAs(c.task, () -> cat(CACHE + "objects"));
  }

  /** {@code cat object_size}: a constant of the layout, so the read path alone. */
  @Benchmark
  public String showObjectSize(Caller c) throws ErrnoException {
    return Task.runAs(c.task, () -> cat(CACHE + "object_size"));
  }

  /** {@code echo 5 > min_partial}: a plain store, under sb_writers, of->mutex, kn->active. */
  @Benchmark
  public int storeMinPartial(Caller c) throws ErrnoException {
    return Task.runAs(c.task, () -> echo(CACHE + "min_partial", FIVE));
  }

  /**
   * {@code echo N > cpu_partial} with its current value: the store then runs flush_all under
   * cpus_read_lock and flush_lock (after the first call no CPU has a slab left to flush).
   */
  @Benchmark
  public int storeCpuPartial(Caller c) throws ErrnoException {
    return Task.runAs(c.task, () -> echo(CACHE + "cpu_partial", cpuPartial));
  }
}
