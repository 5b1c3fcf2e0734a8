package io.slabfs.kernel.sim;

import io.slabfs.kernel.cpu.CpuHotplug;
import io.slabfs.kernel.cpu.CpuSysfs;
import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.HungTaskDetector;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitPoints;
import io.slabfs.kernel.debug.Kallsyms;
import io.slabfs.kernel.debug.Kasan;
import io.slabfs.kernel.module.BuiltinModules;
import io.slabfs.kernel.module.Modules;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.slab.PageAlloc;
import io.slabfs.kernel.slab.SlabCommon;
import io.slabfs.kernel.sysfs.Sysfs;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The simulated machine: boots the subsystems in kernel order and exposes the {@link Vfs} that
 * the FUSE adapter serves. One instance is one boot.
 */
public final class Kernel implements AutoCloseable {
  private static final KType<Object> PLAIN = kobj -> {};

  private final BootOptions options;
  private final Dmesg dmesg;
  private final Lockdep lockdep;
  private final HungTaskDetector hungTask;
  private final WaitPoints waitPoints;
  private final KernfsRoot kernfs;
  private final Sysfs sysfs;
  private final Vfs vfs;
  private final Cpus cpus;
  private final CpuHotplug hotplug;
  private final SlabCommon slab;
  private final PageAlloc pages;
  private final BuiltinModules builtinModules;
  private final Modules modules;
  private final Kasan kasan;
  private java.util.concurrent.ScheduledExecutorService kobjectReleaser;
  private final SimCtl ctl;
  private final int bootCaches;

  private Kernel(BootOptions options) throws ErrnoException, IOException {
    this.options = options;
    this.dmesg = new Dmesg(options.clock());
    dmesg.printk(
        "Linux version "
            + options.era().release()
            + "-slabfs (slabfs@simulator) #1 SMP PREEMPT_DYNAMIC (era "
            + options.era().id()
            + ")");
    dmesg.printk("slabfs: random seed " + options.seed());
    this.lockdep = new Lockdep(dmesg, options.era().release() + "-slabfs");
    this.kernfs = new KernfsRoot(lockdep, options.wallClockMillis());
    this.sysfs = new Sysfs(kernfs, dmesg);
    this.vfs = new Vfs(kernfs);
    this.cpus = new Cpus(options.cpus(), options.nodes());
    this.waitPoints = new WaitPoints(lockdep);
    this.hotplug = new CpuHotplug(cpus, dmesg, lockdep, waitPoints);
    KObject<Object> kernelKobj = new KObject<>(new Object(), PLAIN).initAndAdd(sysfs, null, null,
        "kernel");
    KSet devices = KSet.createAndAdd(sysfs, "devices", null);
    this.pages = new PageAlloc(options.memPages(), dmesg, options.clock(),
        options.era().release() + "-slabfs");
    this.slab = new SlabCommon(sysfs, kernelKobj, hotplug, options.era(),
        new Random(options.seed()), waitPoints, pages);
    dmesg.printk(
        "SLUB: HWalign=64, Order=0-3, MinObjects=0, CPUs="
            + cpus.nrPossible()
            + ", Nodes="
            + cpus.nrNodes());
    this.ctl = new SimCtl(slab, hotplug, lockdep, new Random(options.seed() ^ 0x5eed));
    slab.caches().forEach(ctl::registerKernelOwned);
    List<KmemCacheArgs> boot = new ArrayList<>(options.bootSet().caches(options.hostSlab()));
    boot.addAll(extraCaches(options.extraCaches()));
    int created = 0;
    for (KmemCacheArgs args : boot) {
      try {
        ctl.register(args.name(), slab.create(args));
        created++;
      } catch (ErrnoException e) {
        dmesg.printk("kmem_cache_create(" + args.name() + ") failed with error -"
            + e.errno().number() + " (" + e.why() + ")");
      }
    }
    this.bootCaches = created;
    slab.populate(options.seed());
    CpuSysfs.init(sysfs, devices.kobj(), hotplug);
    this.builtinModules = BuiltinModules.init(sysfs);
    this.kasan = new Kasan(dmesg, options.era().release() + "-slabfs");
    this.modules = new Modules(sysfs, builtinModules, slab, kasan);
    ctl.setModules(modules);
    if (options.debugKobjectRelease()) {
      enableDelayedKobjectRelease(new Random(options.seed() ^ 0xdeb));
    }
    SimFiles.create(kernfs, this);
    this.hungTask = new HungTaskDetector(lockdep, options.era().release() + "-slabfs",
        options.hungTaskTimeoutSecs(), options.deadlockMode() == BootOptions.DeadlockMode.BREAK);
    dmesg.printk(
        "slabfs: boot set '"
            + options.bootSet().id()
            + "': "
            + created
            + " kmem_cache_create() calls, "
            + slab.caches().size()
            + " caches");
  }

  /**
   * {@code --extra-caches N}: {@code scale_00001}... with a constructor each, so that none
   * merges and every one gets its own directory, in the object sizes of the kmalloc range.
   */
  static List<KmemCacheArgs> extraCaches(int n) {
    List<KmemCacheArgs> out = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      int size = 16 << (i % 9);
      out.add(new KmemCacheArgs(String.format("scale_%05d", i), size - 8 * (i % 3), 0, 0,
          "scale_ctor", 0, 0, -1, 0));
    }
    return out;
  }

  /** Boots a kernel. {@code IOException} only for {@code --boot host} reading the host tree. */
  public static Kernel boot(BootOptions options) throws ErrnoException, IOException {
    return new Kernel(options);
  }

  public BootOptions options() {
    return options;
  }

  public Vfs vfs() {
    return vfs;
  }

  public Dmesg dmesg() {
    return dmesg;
  }

  /** The simulated machine's memory. */
  public PageAlloc pages() {
    return pages;
  }

  public SlabCommon slab() {
    return slab;
  }

  public CpuHotplug hotplug() {
    return hotplug;
  }

  public Sysfs sysfs() {
    return sysfs;
  }

  public KernfsRoot kernfs() {
    return kernfs;
  }

  public Lockdep lockdep() {
    return lockdep;
  }

  /**
   * {@code CONFIG_DEBUG_KOBJECT_RELEASE}: every release of a kobject that was in sysfs runs
   * 1-4 s after its last put, on a kworker, announced in dmesg as the kernel does.
   */
  private void enableDelayedKobjectRelease(Random random) {
    Task worker = new Task(199, "kworker/0:2");
    kobjectReleaser = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(() -> Task.runAs(worker, () -> {
        r.run();
        return null;
      }), "kworker/0:2");
      t.setDaemon(true);
      return t;
    });
    sysfs.setDelayedRelease((name, cleanup) -> {
      long jiffies;
      synchronized (random) {
        jiffies = 250 + 250L * random.nextInt(4); // HZ + HZ * (get_random_int() & 0x3)
      }
      dmesg.printk("kobject: '" + name + "' (" + Kallsyms.address(cleanup, false)
          + "): kobject_release, parent 0000000000000000 (delayed " + jiffies + ")");
      kobjectReleaser.schedule(() -> {
        try (Task.Frame f = Task.enter("kobject_delayed_cleanup")) {
          cleanup.run();
        }
      }, jiffies * 4, java.util.concurrent.TimeUnit.MILLISECONDS);
    });
  }

  /** The loaded (non-built-in) modules. */
  public Modules modules() {
    return modules;
  }

  public Kasan kasan() {
    return kasan;
  }

  /** Before unmounting: blocked system calls fail, so their processes let go of the mount. */
  public void abortBlocked() {
    lockdep.abortAllWaits("slabfs is shutting down");
  }

  public HungTaskDetector hungTask() {
    return hungTask;
  }

  SimCtl ctl() {
    return ctl;
  }

  /**
   * Runs one {@code sim/ctl} command as the current task, as a write to the file would: the
   * command text without a trailing newline is fine.
   */
  public void ctl(String command) throws ErrnoException {
    byte[] b = command.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      ctl.write(java.util.Arrays.copyOf(b, b.length + 1), b.length);
    } catch (io.slabfs.kernel.locking.DeadlockBroken e) {
      throw io.slabfs.kernel.errno.Errno.EDEADLK.with(e.getMessage());
    }
  }

  /** {@code sim/variant}: the era and every behaviour switch in force. */
  public String variant() {
    var era = options.era();
    return "kernel "
        + era.id()
        + "\nrelease "
        + era.release()
        + "\ndestroy_drain "
        + (era.destroyDrainsUnderLocks() ? "under_cpu_hotplug_lock_and_slab_mutex" : "after_unlock")
        + "\nrcu_cache_destroy "
        + era.rcuDestroy().name().toLowerCase()
        + "\ncpu_partial_store "
        + (era.cpuPartialStoreFlushes() ? "set_and_flush_all" : "zero_only_no_lock")
        + "\nleaked_cache "
        + (era.leakedCacheStaysListed() ? "stays_listed" : "unlisted_and_unlinked")
        + "\nsheaf_capacity_file "
        + (era.sheaves() ? "yes" : "no")
        + "\nstatic_caches "
        + era.staticCaches().name().toLowerCase()
        + "\nhung_task_timeout "
        + options.hungTaskTimeoutSecs()
        + "\ndeadlock "
        + options.deadlockMode().name().toLowerCase()
        + "\ndebug_kobject_release "
        + (options.debugKobjectRelease() ? "on" : "off")
        + "\ncpus "
        + options.cpus()
        + "\nnodes "
        + options.nodes()
        + "\nboot "
        + options.bootSet().id()
        + "\nseed "
        + options.seed()
        + "\nmem_pages "
        + options.memPages()
        + "\n";
  }

  /**
   * {@code sim/stats}: what the model holds now. The task reading it is left out of the lock
   * and active-reference counts, so a quiet system reads 0 there.
   */
  public String stats() {
    Task self = Task.current();
    List<Task> others = lockdep.tasks().stream().filter(t -> t != self).toList();
    long ownActive = self.held().stream()
        .filter(h -> h.map().lockClass().name().equals("kn->active")).count();
    return "caches " + slab.caches().size()
        + "\ncaches_released " + slab.releasedCount()
        + "\nkobjects " + sysfs.kobjectCount()
        + "\nkernfs_nodes " + kernfs.nodeCount()
        + "\nactive_refs " + (kernfs.activeRefCount() - ownActive)
        + "\nopen_files " + kernfs.openFileCount()
        + "\nbuiltin_modules " + builtinModules.names().size()
        + "\nmodules " + modules.loadedCount()
        + "\nuse_after_free_reports " + kasan.reportCount()
        + "\ncpus_online " + cpus.numOnline()
        + "\nboot_caches " + bootCaches
        + "\ntasks_holding_locks " + others.stream().filter(t -> !t.held().isEmpty()).count()
        + "\nheld_locks " + others.stream().mapToInt(t -> t.held().size()).sum()
        + "\nblocked_tasks " + others.stream().filter(t -> t.blocked() != null).count()
        + "\nlockdep_classes " + lockdep.classCount()
        + "\nlockdep_dependencies " + lockdep.dependencyCount()
        + "\nlockdep_splats " + lockdep.splatCount()
        + "\nhung_task_reports " + hungTask.hungReports()
        + "\ndeadlocks_broken " + hungTask.deadlocksBroken()
        + "\ndmesg_records " + dmesg.sequence()
        + "\nrequests " + vfs.requestCount()
        + "\nmem_total_pages " + pages.totalPages()
        + "\nmem_slab_pages " + pages.slabPages()
        + "\nmem_free_pages " + pages.freePages()
        + "\npage_alloc_failures " + pages.allocFailures()
        + "\n";
  }

  /**
   * Reports an unexpected Java exception at the system-call edge as the kernel reports a bug:
   * a {@code BUG:} line and a call trace in dmesg.
   */
  public void bug(String operation, Throwable t) {
    StringWriter trace = new StringWriter();
    t.printStackTrace(new PrintWriter(trace));
    StringBuilder sb = new StringBuilder();
    sb.append("BUG: slabfs: unexpected ").append(t).append(" in ").append(operation).append('\n');
    sb.append("Call Trace:\n <TASK>\n");
    int frames = 0;
    for (StackTraceElement e : t.getStackTrace()) {
      if (frames++ == 12) {
        break;
      }
      sb.append(' ').append(e.getClassName().replaceAll(".*\\.", "")).append('.')
          .append(e.getMethodName()).append('\n');
    }
    sb.append(" </TASK>");
    dmesg.printk(sb.toString());
  }

  @Override
  public void close() {
    lockdep.abortAllWaits("slabfs is shutting down");
    if (kobjectReleaser != null) {
      kobjectReleaser.shutdownNow();
    }
    hungTask.close();
    slab.shutdown();
  }
}
