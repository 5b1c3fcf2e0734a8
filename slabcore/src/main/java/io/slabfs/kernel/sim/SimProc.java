package io.slabfs.kernel.sim;

import io.slabfs.kernel.debug.KernelVersion;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.locking.HungTaskDetector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;
import java.util.stream.Stream;

/**
 * Ours: simulator (the entries are fs/proc's, kernel/sysctl.c's and their subsystems').
 *
 * <p>{@code sim/proc/}: a procfs root for tools, {@code slabfs shell} bind-mounts it over {@code
 * /proc}. The simulated kernel's own entries ({@code slabinfo}, {@code modules}, {@code lockdep},
 * {@code lockdep_chains}, {@code lockdep_stats}, {@code stat}, and under {@code sys/kernel/} the
 * hung-task sysctls, {@code tainted} and {@code kptr_restrict}) are procfs files with procfs's
 * modes and locking. Every other name the real {@code /proc} has at each of these three levels is a
 * symlink to {@code /run/slabfs/proc/<the same path>}, where {@code slabfs shell} mounts the real
 * procfs: the names are read from the real {@code /proc} at every lookup and listing, and a
 * simulated entry shadows the real one of its name.
 */
final class SimProc {
  /** Where {@code slabfs shell} mounts the real procfs, the passthrough links' target. */
  static final String REAL_PROC_MOUNT = "/run/slabfs/proc";

  private SimProc() {}

  static void create(KernfsRoot kernfs, KernfsDir sim, Kernel kernel) throws ErrnoException {
    KernfsDir proc = kernfs.createDir(sim, "proc", 0555);
    proc.setPassthrough(new RealProc(Path.of("/proc"), ""));
    // fs/proc/cpuinfo.c: proc_create("cpuinfo", 0, ...): 0444; lscpu cannot do without it
    kernfs.createFile(proc, "cpuinfo", 0444, procFile(uid -> bytes(kernel.cpuInfo().render())), 0);
    // mm/slab_common.c: proc_create("slabinfo", SLABINFO_RIGHTS (0400), ...)
    kernfs.createFile(proc, "slabinfo", 0400, procFile(uid -> bytes(kernel.slab().slabinfo())), 0);
    // kernel/module/procfs.c: proc_create("modules", 0, ...): 0444
    kernfs.createFile(
        proc,
        "modules",
        0444,
        procFile(
            uid -> bytes(kernel.modules().procModules(kernel.kptrRestrict().showValue(uid == 0)))),
        0);
    // kernel/locking/lockdep_proc.c: proc_create_seq("lockdep", S_IRUSR, ...)
    kernfs.createFile(
        proc, "lockdep", 0400, procFile(uid -> bytes(kernel.lockdep().procLockdep())), 0);
    kernfs.createFile(
        proc,
        "lockdep_chains",
        0400,
        procFile(uid -> bytes(kernel.lockdep().procLockdepChains())),
        0);
    kernfs.createFile(
        proc,
        "lockdep_stats",
        0400,
        procFile(uid -> bytes(kernel.lockdep().procLockdepStats())),
        0);
    long bootEpochSecs =
        (kernel.options().wallClockMillis().getAsLong()
                - kernel.options().clock().nanosSinceBoot() / 1_000_000L)
            / 1000L;
    // fs/proc/stat.c: proc_create("stat", 0, ...)
    kernfs.createFile(
        proc,
        "stat",
        0444,
        procFile(
            uid -> bytes(ProcStat.show(kernel.cpus(), kernel.lockdep().taskList(), bootEpochSecs))),
        0);
    KernfsDir sys = kernfs.createDir(proc, "sys", 0555);
    sys.setPassthrough(new RealProc(Path.of("/proc/sys"), "sys/"));
    KernfsDir k = kernfs.createDir(sys, "kernel", 0555);
    k.setPassthrough(new RealProc(Path.of("/proc/sys/kernel"), "sys/kernel/"));
    createSysctls(kernfs, k, kernel);
  }

  /** The sysctls of {@code /proc/sys/kernel} the model uses, as their ctl_tables declare them. */
  private static void createSysctls(KernfsRoot kernfs, KernfsDir k, Kernel kernel)
      throws ErrnoException {
    HungTaskDetector hung = kernel.hungTask();
    long max = HungTaskDetector.TIMEOUT_MAX;
    // kernel/hung_task.c hung_task_sysctls[]
    kernfs.createFile(
        k,
        "hung_task_check_interval_secs",
        0644,
        new Sysctl(Sysctl.Type.ULONG, null, max, false, hung::intervalSecs, hung::setIntervalSecs),
        0);
    kernfs.createFile(
        k,
        "hung_task_timeout_secs",
        0644,
        new Sysctl(Sysctl.Type.ULONG, null, max, false, hung::timeoutSecs, hung::setTimeoutSecs),
        0);
    kernfs.createFile(
        k,
        "hung_task_warnings",
        0644,
        new Sysctl(
            Sysctl.Type.INT, -1L, null, false, hung::warnings, v -> hung.setWarnings((int) v)),
        0);
    // kernel/printk/sysctl.c: proc_dointvec_minmax_sysadmin, SYSCTL_ZERO..SYSCTL_TWO
    kernfs.createFile(
        k,
        "kptr_restrict",
        0644,
        new Sysctl(
            Sysctl.Type.INT,
            0L,
            2L,
            true,
            () -> kernel.kptrRestrict().get(),
            v -> kernel.kptrRestrict().set((int) v)),
        0);
    // kernel/sysctl.c: proc_taint
    KernelVersion version = KernelVersion.parse(kernel.options().era().release());
    kernfs.createFile(
        k,
        "tainted",
        0644,
        new Sysctl(
            Sysctl.Type.ULONG,
            null,
            null,
            true,
            () -> kernel.dmesg().taint().mask(),
            v -> kernel.dmesg().taint().addMask(v, version)),
        0);
  }

  /** A read-only procfs file: {@code show} gets the uid of {@code file->f_cred}. */
  private static KernfsOps procFile(IntFunction<byte[]> show) {
    return new KernfsOps.ReadOnly(new Object(), show) {
      @Override
      public boolean procfs() {
        return true;
      }

      @Override
      public int write(byte[] buf, int len) throws ErrnoException {
        throw io.slabfs.kernel.errno.Errno.EIO.with("no ->proc_write");
      }
    };
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A directory of the real {@code /proc}, read at every call. */
  private record RealProc(Path dir, String prefix) implements KernfsDir.Passthrough {
    @Override
    public List<String> names() {
      List<String> out = new ArrayList<>();
      try (Stream<Path> s = Files.list(dir)) {
        s.forEach(p -> out.add(p.getFileName().toString()));
      } catch (IOException | UncheckedIOException e) {
        // unreadable now (a process exited mid-listing is not one of these): no names
      }
      return out;
    }

    @Override
    public boolean exists(String name) {
      if (name.isEmpty() || name.contains("/") || name.equals(".") || name.equals("..")) {
        return false;
      }
      return Files.exists(dir.resolve(name), LinkOption.NOFOLLOW_LINKS);
    }

    @Override
    public String target(String name) {
      return REAL_PROC_MOUNT + "/" + prefix + name;
    }
  }
}
