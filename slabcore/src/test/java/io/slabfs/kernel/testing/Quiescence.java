package io.slabfs.kernel.testing;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsNode;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.HeldLock;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.Wait;
import io.slabfs.kernel.sim.Kernel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The state a kernel must be back in once a test has finished with it (the idea of Caffeine's
 * {@code CacheValidationInterceptor}): no task holds a lock or is blocked, no kernfs node has an
 * active reference, no file is open, {@code sim/stats} agrees with the tree and with dmesg, and
 * dmesg holds no {@code BUG:}, {@code WARNING:}, KASAN, lockdep or hung-task line the test did not
 * declare ({@link ExpectDmesg}), while every declared one did appear.
 *
 * <p>One instance follows one kernel: {@link #check} looks at the dmesg records printed since its
 * previous call, so a property test can check after every try without reading a record twice and
 * without missing one the 128 KiB ring later drops.
 */
public final class Quiescence {
  /** How long the check waits for tasks of the test still on their way out. */
  public static final Duration SETTLE = Duration.ofSeconds(10);

  /** Markers of a kernel problem in a dmesg line. */
  static final List<String> PROBLEMS =
      List.of(
          "BUG:",
          "WARNING:",
          "KASAN",
          "possible circular locking dependency",
          "possible recursive locking",
          "inconsistent lock state",
          "bad unlock balance",
          "lock held when returning to user space",
          "blocked for more than",
          "Kernel panic",
          "Oops",
          "general protection fault",
          "UBSAN:");

  private static final Pattern HUNG =
      Pattern.compile("^INFO: task \\S+:\\d+ blocked for more than");
  private static final List<String> SPLATS =
      List.of(
          "WARNING: possible circular locking dependency detected",
          "WARNING: possible recursive locking detected");

  private final Kernel kernel;
  private final List<String> expected;
  private final List<String> tolerated = new ArrayList<>();
  private final Set<String> seen = new HashSet<>();
  private long dmesgChecked;

  /** Records of the whole boot that report a lockdep splat, a hung task, a KASAN report. */
  private int splatRecords;

  private int hungRecords;
  private boolean kasanRecord;

  /** No record was lost to the ring between checks, so dmesg counts can be compared. */
  private boolean dmesgComplete = true;

  public Quiescence(Kernel kernel, List<String> expectedDmesg) {
    this.kernel = kernel;
    this.expected = expectedDmesg; // live: Kernels#expectDmesg may add to it during the test
  }

  /**
   * Lines containing {@code text} may appear and are no failure, but need not appear: for property
   * tests whose random input provokes a kernel {@code WARN()} on some tries.
   */
  public Quiescence tolerate(String text) {
    tolerated.add(text);
    return this;
  }

  public Kernel kernel() {
    return kernel;
  }

  /**
   * Waits (bounded by {@link #SETTLE}) for tasks that still hold a lock, wait or hold an active
   * reference to finish, then returns every way the kernel is not quiet, each naming what leaked;
   * empty when all is well. {@code finalCheck}: also report declared dmesg lines that never
   * appeared.
   */
  public List<String> check(boolean finalCheck) {
    settle();
    List<String> problems = new ArrayList<>();
    Lockdep lockdep = kernel.lockdep();
    for (Task t : lockdep.taskList().tasks()) {
      for (HeldLock h : t.held()) {
        problems.add(
            "held lock: task "
                + t
                + " still holds "
                + h.map().lockClass().withUsage()
                + " at "
                + h.map().address()
                + ", taken at "
                + h.at());
      }
      Wait w = t.blocked();
      if (w != null) {
        problems.add(
            "blocked task: " + t + " is blocked in " + w.sleepFrames()[0] + " on " + w.what());
      }
    }
    KernfsRoot kernfs = kernel.kernfs();
    List<KernfsNode> nodes = new ArrayList<>();
    walk(kernfs, kernfs.rootDir(), nodes);
    long activeInTree = 0;
    for (KernfsNode kn : nodes) {
      int n = kn.activeRefs();
      activeInTree += n;
      if (n != 0) {
        problems.add(
            "active reference: kernfs node "
                + kn.path()
                + " has "
                + n
                + " active reference(s) (kernfs_get_active without kernfs_put_active), held by "
                + names(kn.activeHolders()));
      }
    }
    if (kernfs.activeRefCount() != activeInTree) {
      problems.add(
          "active reference: kernfs_root counts "
              + kernfs.activeRefCount()
              + " active references, the linked nodes "
              + activeInTree
              + " (a reference on a removed node, or a miscounted put)");
    }
    Vfs vfs = kernel.vfs();
    Map<Long, String> handles = vfs.openHandles();
    handles.forEach(
        (fh, path) ->
            problems.add("open file: handle " + fh + " on " + path + " was never released"));
    long fileHandles = handles.values().stream().filter(p -> !p.endsWith("/")).count();
    if (kernfs.openFileCount() != fileHandles) {
      problems.add(
          "open file: kernfs counts "
              + kernfs.openFileCount()
              + " open files, the VFS has "
              + fileHandles
              + " file handles");
    }
    checkDmesg(problems, finalCheck);
    checkStats(problems, nodes.size(), activeInTree, fileHandles);
    return problems;
  }

  /** Fails with an {@link AssertionError} listing every problem {@link #check} finds. */
  public void assertQuiescent(String when, boolean finalCheck) {
    List<String> problems = check(finalCheck);
    if (!problems.isEmpty()) {
      throw new AssertionError(
          "kernel not quiescent " + when + ":\n  - " + String.join("\n  - ", problems));
    }
  }

  /**
   * Waits for the Java threads of tasks that still hold a lock, wait, or hold an active reference:
   * a thread the test started may be on its way out of its last system call when the test's own
   * assertions are done. Bounded; what is still there afterwards is a leak.
   */
  private void settle() {
    long deadline = System.nanoTime() + SETTLE.toNanos();
    Set<Task> busy = new LinkedHashSet<>();
    for (Task t : kernel.lockdep().taskList().tasks()) {
      if (!t.held().isEmpty() || t.blocked() != null) {
        busy.add(t);
      }
    }
    if (kernel.kernfs().activeRefCount() != 0) {
      List<KernfsNode> nodes = new ArrayList<>();
      walk(kernel.kernfs(), kernel.kernfs().rootDir(), nodes);
      nodes.forEach(kn -> busy.addAll(kn.activeHolders()));
    }
    for (Task t : busy) {
      Thread th = t.thread();
      long left = deadline - System.nanoTime();
      if (th == null || th == Thread.currentThread() || left <= 0) {
        continue;
      }
      try {
        th.join(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private static void walk(KernfsRoot root, KernfsDir dir, List<KernfsNode> out) {
    for (KernfsNode kn : root.children(dir)) {
      if (kn instanceof io.slabfs.kernel.kernfs.KernfsLink l && l.isExternal()) {
        continue; // a passthrough name of sim/proc: no node of the tree
      }
      out.add(kn);
      if (kn instanceof KernfsDir d) {
        walk(root, d, out);
      }
    }
  }

  private static String names(Collection<Task> tasks) {
    return tasks.isEmpty() ? "no live task (a put was skipped)" : tasks.toString();
  }

  private void checkDmesg(List<String> problems, boolean finalCheck) {
    List<String> records = kernel.dmesg().messages();
    long seq = kernel.dmesg().sequence();
    long fresh = seq - dmesgChecked;
    if (fresh > records.size()) {
      // the ring wrapped or was cleared (dmesg -C): what is gone cannot be checked, and the
      // counts of sim/stats can no longer be compared with dmesg
      dmesgComplete = false;
    }
    List<String> news =
        records.subList(records.size() - (int) Math.min(fresh, records.size()), records.size());
    dmesgChecked = seq;
    for (String record : news) {
      for (String splat : SPLATS) {
        if (record.contains(splat)) {
          splatRecords++;
        }
      }
      if (record.contains("BUG: KASAN: vmalloc-out-of-bounds")) {
        kasanRecord = true;
      }
      for (String line : record.split("\n")) {
        if (HUNG.matcher(line).find()) {
          hungRecords++;
        }
        for (String e : expected) {
          if (line.contains(e)) {
            seen.add(e);
          }
        }
        if (isProblem(line)
            && expected.stream().noneMatch(line::contains)
            && tolerated.stream().noneMatch(line::contains)) {
          problems.add(
              "dmesg: unexpected line \""
                  + line.strip()
                  + "\" (declare it with @ExpectDmesg if the test provokes it)");
        }
      }
    }
    if (finalCheck) {
      for (String e : expected) {
        if (!seen.contains(e)) {
          problems.add(
              "dmesg: the test declares @ExpectDmesg(\""
                  + e
                  + "\"), but no dmesg line contains it");
        }
      }
    }
  }

  static boolean isProblem(String line) {
    for (String p : PROBLEMS) {
      if (line.contains(p)) {
        return true;
      }
    }
    return false;
  }

  /** {@code sim/stats} as the renderer prints it, against the tree and dmesg. */
  private void checkStats(
      List<String> problems, int nodesInTree, long activeInTree, long fileHandles) {
    Map<String, String> stats = Sim.stats(kernel);
    expect(problems, stats, "kernfs_nodes", nodesInTree, "nodes linked in the kernfs tree");
    expect(problems, stats, "active_refs", activeInTree, "active references on linked nodes");
    expect(problems, stats, "open_files", fileHandles, "file handles of the VFS");
    // the renderer leaves out the task reading sim/stats, so do the counts here
    List<Task> others = new ArrayList<>(kernel.lockdep().taskList().tasks());
    others.remove(Task.current());
    expect(
        problems,
        stats,
        "held_locks",
        others.stream().mapToInt(t -> t.held().size()).sum(),
        "locks the tasks of lockdep hold");
    expect(
        problems,
        stats,
        "tasks_holding_locks",
        others.stream().filter(t -> !t.held().isEmpty()).count(),
        "tasks of lockdep holding locks");
    expect(
        problems,
        stats,
        "blocked_tasks",
        others.stream().filter(t -> t.blocked() != null).count(),
        "tasks of lockdep blocked");
    expect(problems, stats, "caches", kernel.slab().caches().size(), "slab_caches");
    expect(problems, stats, "modules", kernel.modules().loadedCount(), "loaded modules");
    try {
      int listed = kernel.vfs().readdir("/module").size();
      long modules = Long.parseLong(stats.get("modules"));
      long builtin = Long.parseLong(stats.get("builtin_modules"));
      if (listed != modules + builtin) {
        problems.add(
            "sim/stats: modules "
                + modules
                + " + builtin_modules "
                + builtin
                + ", but /sys/module lists "
                + listed);
      }
      String online = Sys.cat(kernel.vfs(), "/devices/system/cpu/online").strip();
      expect(
          problems,
          stats,
          "cpus_online",
          cpulistWeight(online),
          "CPUs in /sys/devices/system/cpu/online (" + online + ")");
    } catch (ErrnoException e) {
      problems.add("sim/stats: cannot read the tree to compare: " + e);
    }
    if (dmesgComplete) {
      expect(problems, stats, "lockdep_splats", splatRecords, "lockdep reports in dmesg");
      expect(
          problems,
          stats,
          "hung_task_reports",
          hungRecords,
          "INFO: task ... blocked for more than ... in dmesg");
      long uaf = Long.parseLong(stats.get("use_after_free_reports"));
      if ((uaf > 0) != kasanRecord) {
        problems.add(
            "sim/stats: use_after_free_reports "
                + uaf
                + ", but dmesg "
                + (kasanRecord ? "has" : "has no")
                + " BUG: KASAN: vmalloc-out-of-bounds report");
      }
    }
  }

  private static void expect(
      List<String> problems, Map<String, String> stats, String key, long want, String what) {
    String got = stats.get(key);
    if (got == null) {
      problems.add("sim/stats: no " + key + " line");
    } else if (Long.parseLong(got) != want) {
      problems.add("sim/stats: " + key + " " + got + ", but " + what + ": " + want);
    }
  }

  /** Number of CPUs in a cpulist such as {@code 0-1,3}. */
  static int cpulistWeight(String list) {
    int n = 0;
    if (list.isEmpty()) {
      return 0;
    }
    for (String part : list.split(",")) {
      String[] r = part.split("-");
      n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
    }
    return n;
  }
}
