package io.slabfs.kernel.sim;

import io.slabfs.kernel.cpu.CpuHotplug;
import io.slabfs.kernel.cpu.CpuInfo;
import io.slabfs.kernel.cpu.CpuSysfs;
import io.slabfs.kernel.cpu.Cpus;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Kallsyms;
import io.slabfs.kernel.debug.Kasan;
import io.slabfs.kernel.debug.KptrRestrict;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.HungTaskDetector;
import io.slabfs.kernel.locking.LockClass;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitPoints;
import io.slabfs.kernel.locking.Workqueue;
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
 * Models: init/main.c.
 *
 * <p>The simulated machine ({@code start_kernel()}): boots the subsystems in kernel order and is
 * the facade the FUSE adapter and the tests use ({@link Vfs}, the subsystems, {@code sim/ctl}). One
 * instance is one boot. The {@code sim/} files are {@link SimFiles}.
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
  private final DevKmsg devKmsg;
  private final Cpus cpus;
  private final CpuHotplug hotplug;
  private final CpuInfo cpuInfo;
  private final SlabCommon slab;
  private final PageAlloc pages;
  private final BuiltinModules builtinModules;
  private final Modules modules;
  private final Kasan kasan;
  private final KptrRestrict kptrRestrict = new KptrRestrict();
  private Workqueue kobjectReleaser;
  private final SimCtl ctl;
  private final int bootCaches;

  private Kernel(BootOptions options) throws ErrnoException, IOException {
    this.options = options;
    this.dmesg = new Dmesg(options.clock());
    dmesg.setRelease(options.era().release() + "-slabfs");
    dmesg.printk(
        "Linux version "
            + options.era().release()
            + "-slabfs (slabfs@simulator) #1 SMP PREEMPT_DYNAMIC (era "
            + options.era().id()
            + ")");
    dmesg.printk("slabfs: random seed " + options.seed());
    this.lockdep = new Lockdep(dmesg, options.era().release() + "-slabfs");
    // Each file_system_type has its own sb_writers class (s_writers_key), all named
    // "sb_writers"; those written before sysfs's register first, so sysfs's prints as
    // sb_writers#N. The reference 6.0-rc1 report (QEMU) has sb_writers#7: six before it.
    for (String fs : List.of("rootfs", "devtmpfs", "ext4", "tmpfs", "proc", "cgroup2")) {
      lockdep.classFor("s_writers_key of " + fs, "sb_writers", LockClass.Kind.PERCPU_READ);
    }
    this.kernfs = new KernfsRoot(lockdep, options.wallClockMillis());
    this.sysfs = new Sysfs(kernfs, dmesg);
    this.vfs = new Vfs(kernfs);
    this.cpus = new Cpus(options.cpus(), options.nodes(), options.clock()::nanosSinceBoot);
    this.waitPoints = new WaitPoints(lockdep);
    this.hotplug = new CpuHotplug(cpus, dmesg, lockdep, waitPoints);
    this.cpuInfo = CpuInfo.fromHost(cpus, java.nio.file.Path.of("/proc/cpuinfo"));
    KObject<Object> kernelKobj =
        new KObject<>(new Object(), PLAIN).initAndAdd(sysfs, null, null, "kernel");
    KSet devices = KSet.createAndAdd(sysfs, "devices", null);
    KSet bus = KSet.createAndAdd(sysfs, "bus", null);
    this.pages =
        new PageAlloc(
            options.memPages(), dmesg, options.clock(), options.era().release() + "-slabfs");
    this.slab =
        new SlabCommon(
            sysfs,
            kernelKobj,
            hotplug,
            options.era(),
            new Random(options.seed()),
            waitPoints,
            pages);
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
        ctl.register(args.name(), slab.createAtBoot(args));
        created++;
      } catch (ErrnoException e) {
        dmesg.printk("slabfs: boot cache " + args.name() + " not created: " + e.why());
      }
    }
    this.bootCaches = created;
    slab.populate(options.seed());
    CpuSysfs.init(sysfs, devices.kobj(), bus, hotplug);
    this.builtinModules = BuiltinModules.init(sysfs);
    this.kasan = new Kasan(dmesg, options.era().release() + "-slabfs");
    this.modules = new Modules(sysfs, builtinModules, slab, kasan, kptrRestrict);
    ctl.setModules(modules);
    ctl.setVfs(vfs);
    slab.setModulesLinkedIn(modules::linkedIn);
    if (options.debugKobjectRelease()) {
      enableDelayedKobjectRelease(new Random(options.seed() ^ 0xdeb));
    }
    this.devKmsg = new DevKmsg(dmesg, lockdep, options.clock());
    SimFiles.create(kernfs, this);
    this.hungTask =
        new HungTaskDetector(
            lockdep,
            options.era().release() + "-slabfs",
            options.hungTaskTimeoutSecs(),
            options.deadlockMode() == BootOptions.DeadlockMode.BREAK);
    SimProc.create(
        kernfs,
        (io.slabfs.kernel.kernfs.KernfsDir) kernfs.child(kernfs.rootDir(), "sim").orElseThrow(),
        this);
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
   * {@code --extra-caches N}: {@code scale_00001}... with a constructor each, so that none merges
   * and every one gets its own directory, in the object sizes of the kmalloc range.
   */
  static List<KmemCacheArgs> extraCaches(int n) {
    List<KmemCacheArgs> out = new ArrayList<>(n);
    for (int i = 1; i <= n; i++) {
      int size = 16 << (i % 9);
      out.add(
          new KmemCacheArgs(
              String.format("scale_%05d", i), size - 8 * (i % 3), 0, 0, "scale_ctor", 0, 0, -1, 0));
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
   * {@code CONFIG_DEBUG_KOBJECT_RELEASE}: every release of a kobject that was in sysfs runs 1-4 s
   * after its last put, on a kworker, announced in dmesg as the kernel does.
   */
  private void enableDelayedKobjectRelease(Random random) {
    kobjectReleaser = new Workqueue(lockdep, "events", new Task(199, "kworker/0:2"));
    sysfs.setDelayedRelease(
        (name, cleanup) -> {
          long jiffies;
          synchronized (random) {
            jiffies = 250 + 250L * random.nextInt(4); // HZ + HZ * (get_random_int() & 0x3)
          }
          dmesg.printk(
              "kobject: '"
                  + name
                  + "' ("
                  + Kallsyms.address(cleanup, false)
                  + "): kobject_release, parent 0000000000000000 (delayed "
                  + jiffies
                  + ")");
          kobjectReleaser.queueDelayed(
              () -> {
                try (Task.Frame f = Task.enter("kobject_delayed_cleanup")) {
                  cleanup.run();
                }
              },
              jiffies * 4);
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
    ctl.abandonReplay("slabfs is shutting down");
    lockdep.taskList().abortAllWaits("slabfs is shutting down");
    devKmsg.shutdown();
  }

  /** {@code /dev/kmsg}, served as {@code sim/kmsg}. */
  DevKmsg devKmsg() {
    return devKmsg;
  }

  public HungTaskDetector hungTask() {
    return hungTask;
  }

  /** {@code kernel.kptr_restrict}. */
  public KptrRestrict kptrRestrict() {
    return kptrRestrict;
  }

  SimCtl ctl() {
    return ctl;
  }

  Cpus cpus() {
    return cpus;
  }

  /** {@code /proc/cpuinfo} of the simulated CPUs. */
  public CpuInfo cpuInfo() {
    return cpuInfo;
  }

  BuiltinModules builtinModules() {
    return builtinModules;
  }

  /** The {@code kmem_cache_create()} calls of the boot set that succeeded. */
  int bootCaches() {
    return bootCaches;
  }

  /**
   * Runs one {@code sim/ctl} command as the current task, as a write to the file would: the command
   * text without a trailing newline is fine.
   */
  public void ctl(String command) throws ErrnoException {
    byte[] b = command.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      ctl.write(java.util.Arrays.copyOf(b, b.length + 1), b.length);
    } catch (io.slabfs.kernel.locking.DeadlockBroken e) {
      throw io.slabfs.kernel.errno.Errno.EDEADLK.with(e.getMessage());
    }
  }

  /**
   * {@code sim/stats}: what the model holds now (rendered by {@link SimFiles#stats}). The task
   * reading it is left out of the lock and active-reference counts.
   */
  public String stats() {
    return SimFiles.stats(this);
  }

  /**
   * Reports an unexpected Java exception at the system-call edge as the kernel reports a bug: a
   * {@code BUG:} line and a call trace in dmesg.
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
      sb.append(' ')
          .append(e.getClassName().replaceAll(".*\\.", ""))
          .append('.')
          .append(e.getMethodName())
          .append('\n');
    }
    sb.append(" </TASK>");
    dmesg.printk(sb.toString());
  }

  @Override
  public void close() {
    ctl.abandonReplay("slabfs is shutting down");
    lockdep.taskList().abortAllWaits("slabfs is shutting down");
    devKmsg.shutdown();
    if (kobjectReleaser != null) {
      kobjectReleaser.close();
    }
    hungTask.close();
    slab.shutdown();
  }
}
