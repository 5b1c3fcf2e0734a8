package io.slabfs.kernel.slab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.ScriptedRandom;
import io.slabfs.kernel.testing.Sim;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The allocation model: its counters, its cost, running out of memory, being killed. */
@KernelTest
class SlubAllocTest {
  private static final int[] SO = {
    KmemCache.SO_ALL | KmemCache.SO_OBJECTS,
    KmemCache.SO_PARTIAL | KmemCache.SO_OBJECTS,
    KmemCache.SO_ALL,
    KmemCache.SO_PARTIAL,
    KmemCache.SO_ALL | KmemCache.SO_TOTAL,
    KmemCache.SO_PARTIAL | KmemCache.SO_TOTAL,
    KmemCache.SO_CPU,
  };

  private Kernel k;

  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private KmemCache create(String args) throws ErrnoException {
    return k.slab().create(KmemCacheArgs.parse(args.split(" ")));
  }

  // ---------------------------------------------------------------- same counters as before

  /**
   * Random operations on runs of slabs give, after every step, exactly the counters of doing them
   * one object at a time on one object per slab (the model before runs).
   */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "a 2080 flags=SLAB_HWCACHE_ALIGN|SLAB_NO_MERGE",
        "b 64 flags=SLAB_NO_MERGE",
        "dbg 700 flags=SLAB_RED_ZONE|SLAB_POISON",
      })
  void everyCounter_matchesOneObjectAtATime(String cache) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withCpus(4, 2));
    Cpus cpus = k.hotplug().cpus();
    for (long seed = 1; seed <= 60; seed++) {
      KmemCache s = create(cache.replaceFirst("^\\w+", "$0" + seed));
      Random r = new Random(seed);
      if (seed % 4 == 1) {
        s.setCpuPartial(r.nextInt(3) == 0 ? 0 : r.nextInt(200));
      }
      if (seed % 3 == 1) {
        s.setMinPartial(r.nextInt(8));
      }
      OneByOneSlub ref =
          new OneByOneSlub(
              s.objsPerSlab(),
              s.hasCpuPartial(),
              cpus.nrPossible(),
              cpus.nrNodes(),
              cpus::cpuToNode);
      ref.minPartial = s.minPartial();
      ref.cpuPartialSlabs = s.cpuPartialSlabs();
      int per = s.objsPerSlab();
      for (int step = 0; step < 120; step++) {
        int cpu = r.nextInt(cpus.nrPossible());
        String op;
        switch (r.nextInt(10)) {
          case 0, 1, 2, 3 -> {
            long n = 1L + r.nextInt(r.nextBoolean() ? per * 12 : per + 2);
            op = "alloc " + n + " on cpu" + cpu;
            s.alloc(cpu, n);
            ref.alloc(cpu, n);
          }
          case 4, 5, 6 -> {
            if (ref.allocated == 0) {
              continue;
            }
            long n = 1 + (long) (r.nextDouble() * Math.min(ref.allocated, per * 10L));
            int start = r.nextInt(ref.live.size());
            op = "free " + n + " on cpu" + cpu + " from slab " + start;
            s.free(cpu, n, new ScriptedRandom(start));
            ref.free(cpu, n, start);
          }
          case 7 -> {
            op = "flush cpu" + cpu;
            s.flushCpu(cpu);
            ref.flushCpu(cpu);
          }
          case 8 -> {
            op = "shrink";
            for (int c = 0; c < cpus.nrPossible(); c++) {
              s.flushCpu(c);
              ref.flushCpu(c);
            }
            s.shrinkNodes();
            ref.shrinkNodes();
          }
          default -> {
            long mp = r.nextInt(6);
            op = "min_partial " + mp;
            s.setMinPartial(mp);
            ref.minPartial = mp;
          }
        }
        String at =
            cache
                + " seed "
                + seed
                + " step "
                + step
                + " ("
                + op
                + ")\nmodel:  "
                + s.dumpRuns()
                + "\noracle: "
                + ref;
        for (int so : SO) {
          assertThat(s.showSlabObjects(so)).as(at + " so=" + so).isEqualTo(ref.showSlabObjects(so));
        }
        assertThat(s.showSlabsCpuPartial()).as(at).isEqualTo(cpuPartialShow(ref, per));
        assertThat(s.allocatedObjects()).as(at).isEqualTo(ref.allocated);
        assertThat(s.validate()).as(at).isEmpty();
      }
      drain(s);
      k.slab().destroy(s);
    }
  }

  private static String cpuPartialShow(OneByOneSlub ref, int per) {
    int slabs = 0;
    StringBuilder each = new StringBuilder();
    for (int cpu = 0; cpu < ref.cpuSlab.length; cpu++) {
      int n = (int) ref.cpuPartialLength(cpu);
      slabs += n;
      if (n > 0) {
        each.append(" C")
            .append(cpu)
            .append('=')
            .append(n * per / 2)
            .append('(')
            .append(n)
            .append(')');
      }
    }
    return slabs * per / 2 + "(" + slabs + ")" + each + "\n";
  }

  private void drain(KmemCache s) throws ErrnoException {
    s.free(0, s.allocatedObjects(), new Random(1));
  }

  // ---------------------------------------------------------------- cost

  /** Ten million objects, freed from a random slab on and moved around, stay a few runs. */
  @Test
  void tenMillionObjects_keepAboutTheStateOfTen() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
    KmemCache small = create("ten 64 flags=SLAB_NO_MERGE");
    KmemCache big = create("tenmillion 64 flags=SLAB_NO_MERGE");
    for (KmemCache s : List.of(small, big)) {
      long n = s == small ? 10 : 10_000_000;
      s.alloc(0, n);
      s.free(1, n / 2, new Random(7));
      s.alloc(1, n / 5);
      s.flushCpu(0);
      s.free(0, n / 3, new Random(8));
      s.flushCpu(1);
      assertThat(s.validate()).isEmpty();
    }
    assertThat(big.allocatedObjects()).isEqualTo(10_000_000 - 5_000_000 + 2_000_000 - 3_333_333);
    assertThat(big.modelRuns())
        .as("runs for 10M objects (10 objects: %d)", small.modelRuns())
        .isLessThanOrEqualTo(small.modelRuns() + 8);
  }

  // ---------------------------------------------------------------- out of memory

  @ParameterizedTest
  @EnumSource(
      value = KernelEra.class,
      names = {"V5_19", "V6_18"})
  void allocPastMemory_isEnomemWithTheKernelsWarnings_andFreesGiveItBack(KernelEra era)
      throws Exception {
    k =
        kernels.boot(
            BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era).withMem(64L << 20));
    k.ctl("kmem_cache_create oom 64 ctor=oom_ctor"); // SLAB_NO_MERGE is 6.5+
    long before = k.pages().slabPages();
    long seq = k.dmesg().sequence();
    ErrnoException e = null;
    for (int i = 0; i < 10 && e == null; i++) {
      try {
        k.ctl("alloc oom 10000000 cpu=1");
      } catch (ErrnoException x) {
        e = x;
      }
    }
    assertThat(e).isNotNull();
    assertThat(e.errno()).isEqualTo(Errno.ENOMEM);
    assertThat(k.pages().freePages()).isZero();
    KmemCache s =
        k.slab().caches().stream().filter(c -> c.name().equals("oom")).findFirst().orElseThrow();
    long slabs = s.slabPages();
    List<String> dmesg = Sim.dmesgSince(k, seq);
    String mode =
        era == KernelEra.V5_19 ? "mode:0xcc0(GFP_KERNEL)" : "mode:0x40cc0(GFP_KERNEL|__GFP_COMP)";
    assertThat(dmesg)
        .anyMatch(
            m ->
                m.endsWith(
                    ": page allocation failure: order:0, "
                        + mode
                        + ", nodemask=(null),cpuset=/,mems_allowed=0"));
    String oom =
        era == KernelEra.V5_19
            ? "SLUB: Unable to allocate memory on node -1, " + "gfp=0xcc0(GFP_KERNEL)"
            : "SLUB: Unable to allocate memory on CPU 1 (of node 0) on node -1, gfp=0xcc0(GFP_KERNEL)";
    assertThat(dmesg)
        .containsSubsequence(
            "Call Trace:",
            " <TASK>",
            " dump_stack_lvl",
            " warn_alloc",
            " __alloc_pages_slowpath",
            " allocate_slab",
            " ___slab_alloc",
            " </TASK>",
            "Mem-Info:",
            " free:0 free_pcp:0 free_cma:0",
            (64L << 20 >> 12) + " pages RAM",
            oom,
            "  cache: oom, object size: 64, buffer size: "
                + s.size()
                + ", default order: 0, min order: 0",
            "  node 0: slabs: " + slabs + ", objs: " + slabs * s.objsPerSlab() + ", free: 0");
    assertThat(dmesg)
        .anyMatch(
            m ->
                m.startsWith("slabfs: ctl: 'alloc oom 10000000 cpu=1' by ")
                    && m.contains(": ENOMEM: out of memory: allocated "));
    assertThat(Sim.stats(k).get("mem_free_pages")).isEqualTo("0");

    k.ctl("free oom " + s.allocatedObjects());
    k.slab().shrink(s);
    assertThat(k.pages().slabPages()).isEqualTo(before);
    assertThat(Sim.stats(k).get("mem_slab_pages")).isEqualTo(Long.toString(before));
    k.ctl("alloc oom 1000");
    assertThat(s.validate()).isEmpty();
  }

  /** An order-3 cache falls back to order 0 pages before it fails, as allocate_slab() does. */
  @Test
  void lastPages_goToMinOrderSlabs() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withMem(64L << 20));
    KmemCache s = create("bigobj 2000 flags=SLAB_NO_MERGE");
    assertThat(s.order()).isPositive();
    assertThatThrownBy(() -> s.alloc(0, 10_000_000)).isInstanceOf(ErrnoException.class);
    assertThat(k.pages().freePages()).isZero();
    long total =
        Long.parseLong(
            s.showSlabObjects(KmemCache.SO_ALL | KmemCache.SO_TOTAL).split(" ")[0].strip());
    long slabs = Long.parseLong(s.showSlabObjects(KmemCache.SO_ALL).split(" ")[0].strip());
    assertThat(total).as("some slabs hold fewer objects").isLessThan(slabs * s.objsPerSlab());
    assertThat(s.validate()).isEmpty();
  }

  // ---------------------------------------------------------------- fatal signals

  @Test
  void fatalSignal_stopsAllocAndFreeAtASlabBoundary_withEintr() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
    KmemCache s = create("killed 64 flags=SLAB_NO_MERGE");
    s.alloc(0, 64 * 40);
    s.free(1, 64 * 20, new Random(3)); // many partial slabs to walk through
    long before = s.allocatedObjects();
    Task task = new Task(4242, "victim");
    AtomicInteger checks = new AtomicInteger();
    task.setSignalSource(() -> checks.incrementAndGet() > 3);
    ErrnoException e =
        Task.runAs(
            task,
            () -> {
              try {
                s.alloc(1, 10_000_000);
                return null;
              } catch (ErrnoException x) {
                return x;
              }
            });
    assertThat(e).isNotNull();
    assertThat(e.errno()).isEqualTo(Errno.EINTR);
    assertThat(e.why()).startsWith("fatal signal pending: allocated ");
    long afterAlloc = s.allocatedObjects();
    assertThat(afterAlloc).isGreaterThan(before).isLessThan(before + 10_000_000);
    assertThat(s.validate()).isEmpty();

    checks.set(0);
    ErrnoException f =
        Task.runAs(
            task,
            () -> {
              try {
                s.free(0, afterAlloc, new Random(4));
                return null;
              } catch (ErrnoException x) {
                return x;
              }
            });
    assertThat(f.errno()).isEqualTo(Errno.EINTR);
    assertThat(s.allocatedObjects()).isLessThan(afterAlloc).isPositive();
    assertThat(s.validate()).isEmpty();
  }
}
