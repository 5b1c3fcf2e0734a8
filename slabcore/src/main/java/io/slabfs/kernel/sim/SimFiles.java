package io.slabfs.kernel.sim;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.locking.Task;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Ours: simulator.
 *
 * <p>{@code sim/}: the simulator's own window, which real sysfs does not have. Its files are not
 * sysfs attributes: they may be longer than a page ({@code dmesg}), and each reports as {@code
 * st_size} the length its content has at that moment (procfs reports 0, which makes {@code tail -f}
 * see every read as a truncation and {@code sendfile} copy nothing). {@code kmsg} is {@code
 * /dev/kmsg} ({@link DevKmsg}). This class creates them and renders {@code variant} and {@code
 * stats}.
 */
final class SimFiles {
  /** Extra inodes for {@code sim/ctl} commands that run side by side. */
  static final int CTL_CHANNELS = 8;

  private SimFiles() {}

  static void create(KernfsRoot kernfs, Kernel kernel) throws ErrnoException {
    KernfsDir sim = kernfs.createDir(kernfs.rootDir(), "sim", 0755);
    kernfs.createFile(sim, "dmesg", 0400, readOnly(() -> kernel.dmesg().contents()), 0);
    kernfs.createFile(
        sim,
        "variant",
        0444,
        readOnly(() -> bytes(variant(kernel.options(), kernel.hungTask().timeoutSecs()))),
        0);
    kernfs.createFile(
        sim,
        "stats",
        0444,
        readOnly(
            () -> {
              // open_files as sysfs would count it: the files its reader closed are released
              kernel.vfs().awaitEarlierReleases();
              return bytes(stats(kernel));
            }),
        0);
    kernfs.createFile(sim, "kmsg", 0644, kernel.devKmsg(), 0);
    kernfs.createFile(sim, "ctl", 0200, writeOnly(kernel.ctl()), 0);
    // FUSE serialises writes to one inode (i_rwsem), so a command blocked in sim/ctl would
    // hold up every other; these are the same interpreter under other inodes.
    KernfsDir channels = kernfs.createDir(sim, "ctl.d", 0755);
    for (int i = 0; i < CTL_CHANNELS; i++) {
      kernfs.createFile(channels, Integer.toString(i), 0200, writeOnly(kernel.ctl()), 0);
    }
    kernfs.createFile(
        sim, "lockdep", 0400, readOnly(() -> bytes(kernel.lockdep().procLockdep())), 0);
    kernfs.createFile(sim, "lockdep.dot", 0400, readOnly(() -> bytes(kernel.lockdep().dot())), 0);
    kernfs.createFile(
        sim,
        "lockdep_chains",
        0400,
        readOnly(() -> bytes(kernel.lockdep().procLockdepChains())),
        0);
    kernfs.createFile(
        sim, "lockdep_stats", 0400, readOnly(() -> bytes(kernel.lockdep().procLockdepStats())), 0);
    kernfs.createFile(
        sim,
        "held_locks",
        0400,
        readOnly(() -> bytes(kernel.lockdep().showAllLocks(System.nanoTime()))),
        0);
  }

  /**
   * {@code sim/variant}: the era and every behaviour switch in force; {@code hungTaskTimeout} is
   * {@code kernel.hung_task_timeout_secs} now (the boot option, or what was written since). Its
   * last line, {@code daemon_pid}, is the process that simulates this kernel, for tools that watch
   * the daemon itself (its resident memory, its threads).
   */
  static String variant(BootOptions options, long hungTaskTimeout) {
    var era = options.era();
    StringBuilder switches = new StringBuilder();
    for (Enum<?> s : era.switches()) {
      switches.append('\n').append(KernelEra.key(s)).append(' ').append(KernelEra.value(s));
    }
    return "kernel "
        + era.id()
        + "\nrelease "
        + era.release()
        + switches
        + "\nhung_task_timeout "
        + hungTaskTimeout
        + "\ndeadlock "
        + options.deadlockMode().name().toLowerCase(java.util.Locale.ROOT)
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
        + "\ndaemon_pid "
        + ProcessHandle.current().pid()
        + "\n";
  }

  /**
   * {@code sim/stats}: what the model holds now. The task reading it is left out of the lock and
   * active-reference counts, so a quiet system reads 0 there.
   */
  static String stats(Kernel kernel) {
    Task self = Task.current();
    List<Task> others =
        kernel.lockdep().taskList().tasks().stream().filter(t -> t != self).toList();
    long ownActive =
        self.held().stream().filter(h -> h.map().lockClass().name().equals("kn->active")).count();
    return "caches "
        + kernel.slab().caches().size()
        + "\ncaches_released "
        + kernel.slab().releasedCount()
        + "\nkobjects "
        + kernel.sysfs().kobjectCount()
        + "\nkernfs_nodes "
        + kernel.kernfs().nodeCount()
        + "\nactive_refs "
        + (kernel.kernfs().activeRefCount() - ownActive)
        + "\nopen_files "
        + kernel.kernfs().openFileCount()
        + "\nbuiltin_modules "
        + kernel.builtinModules().names().size()
        + "\nmodules "
        + kernel.modules().loadedCount()
        + "\nuse_after_free_reports "
        + kernel.kasan().reportCount()
        + "\ncpus_online "
        + kernel.cpus().numOnline()
        + "\nboot_caches "
        + kernel.bootCaches()
        + "\ntasks_holding_locks "
        + others.stream().filter(t -> !t.held().isEmpty()).count()
        + "\nheld_locks "
        + others.stream().mapToInt(t -> t.held().size()).sum()
        + "\nblocked_tasks "
        + others.stream().filter(t -> t.blocked() != null).count()
        + "\nlockdep_classes "
        + kernel.lockdep().classCount()
        + "\nlockdep_dependencies "
        + kernel.lockdep().dependencyCount()
        + "\nlockdep_splats "
        + kernel.lockdep().splatCount()
        + "\nhung_task_reports "
        + kernel.hungTask().hungReports()
        + "\ndeadlocks_broken "
        + kernel.hungTask().deadlocksBroken()
        + "\ndmesg_records "
        + kernel.dmesg().sequence()
        + "\nrequests "
        + kernel.vfs().requestCount()
        + "\nmem_total_pages "
        + kernel.pages().totalPages()
        + "\nmem_slab_pages "
        + kernel.pages().slabPages()
        + "\nmem_free_pages "
        + kernel.pages().freePages()
        + "\npage_alloc_failures "
        + kernel.pages().allocFailures()
        + "\n";
  }

  private static KernfsOps writeOnly(SimCtl ctl) {
    return new KernfsOps() {
      @Override
      public boolean canRead() {
        return false;
      }

      @Override
      public boolean canWrite() {
        return true;
      }

      @Override
      public byte[] show() throws ErrnoException {
        throw Errno.EIO.with("write-only");
      }

      @Override
      public int write(byte[] buf, int len) throws ErrnoException {
        return ctl.write(buf, len);
      }

      @Override
      public Object activeKey() {
        return this;
      }

      @Override
      public boolean isSyscall() {
        return true;
      }
    };
  }

  /**
   * Each sim file is its own kn->active class; its size is the length of its content now, rendered
   * for each {@code stat}, and each read renders it afresh and returns the bytes at its position.
   */
  private static KernfsOps readOnly(java.util.function.Supplier<byte[]> show) {
    return new KernfsOps.ReadOnly(new Object(), uid -> show.get()) {
      @Override
      public boolean readsAtPosition() {
        return true;
      }

      @Override
      public long size() {
        return show.get().length;
      }
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
