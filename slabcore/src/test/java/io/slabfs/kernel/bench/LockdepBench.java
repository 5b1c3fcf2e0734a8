package io.slabfs.kernel.bench;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.PercpuRwSem;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * What lockdep costs per acquire/release pair: the same modeled locks with lockdep checking ({@code
 * on}) and turned off ({@code off}: held locks still tracked for reports, nothing validated), and a
 * plain {@link ReentrantLock} for scale. Run by {@code mountpoint-scripts/bench/lockdep-overhead}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class LockdepBench {
  @Param({"on", "off"})
  public String lockdep;

  private Mutex outer;
  private Mutex inner;
  private PercpuRwSem rwsem;
  private final ReentrantLock plain = new ReentrantLock();

  @Setup
  public void setUp() {
    Lockdep ld = new Lockdep(new Dmesg(() -> 0), "bench");
    outer = new Mutex(ld, "outer");
    inner = new Mutex(ld, "inner");
    rwsem = new PercpuRwSem(ld, "cpu_hotplug_lock");
    if (lockdep.equals("off")) {
      ld.turnOff();
    }
  }

  /** One mutex taken and released. */
  @Benchmark
  public void mutexPair() {
    outer.lock();
    outer.unlock();
  }

  /** Two nested mutexes: the inner acquisition checks a dependency. */
  @Benchmark
  public void nestedMutexPair() {
    outer.lock();
    inner.lock();
    inner.unlock();
    outer.unlock();
  }

  /** cpus_read_lock / cpus_read_unlock under a mutex, as flush_all under slab_mutex. */
  @Benchmark
  public void readLockUnderMutex() {
    outer.lock();
    rwsem.readLock("cpus_read_lock");
    rwsem.readUnlock();
    outer.unlock();
  }

  /** A plain ReentrantLock pair, for scale. */
  @Benchmark
  public void javaReentrantLockPair() {
    plain.lock();
    try {
      // nothing: the pair's own cost
    } finally {
      plain.unlock();
    }
  }
}
