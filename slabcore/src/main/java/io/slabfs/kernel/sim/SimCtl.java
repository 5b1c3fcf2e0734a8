package io.slabfs.kernel.sim;

import io.slabfs.kernel.cpu.CpuHotplug;
import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.slab.SlabCommon;
import io.slabfs.kernel.sysfs.Kstrtox;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code sim/ctl}: one command per {@code write()}, run by the writing process, which blocks for as
 * long as the kernel operation blocks. A failure is the write's errno, with a one-line reason in
 * dmesg ({@code slabfs: ctl: ...}).
 *
 * <p>Names. The kernel's {@code kmem_cache_*} calls take a pointer; {@code sim/ctl} takes the name
 * a cache was created as (at boot, by a module's init, or by {@code kmem_cache_create}), which may
 * be the name of several live caches. A name means the newest live cache created as it, for every
 * command: {@code alloc}, {@code free}, {@code kobject_get} and {@code kmem_cache_destroy} use it,
 * and a destroy makes the name mean the one created before. A merged creation means the cache it
 * merged into. {@code kobject_put NAME} drops a reference taken with {@code kobject_get NAME}: the
 * newest creation of that name that holds one, destroyed or not (its release may be what the put
 * completes). A destroy after which the name still means an older cache says so in dmesg ({@code
 * slabfs: ctl:}).
 *
 * <p>Grammar: {@link #COMMANDS}, one {@link Command} (name, usage, argument counts, handler) a
 * command; the {@code usage:} errors and {@link #help} come from it.
 *
 * <p>Ours: simulator (no kernel file has a {@code sim/ctl}). Why one class of about 700 lines: the
 * handlers and the name table they share (creations, their owners and extra references) change
 * together under this object's monitor.
 *
 * <p>Concurrency: the name table and the per-creation count of extra kobject references are guarded
 * by this object's monitor, held only around table updates, never across a kernel operation, so one
 * blocked command never blocks another.
 */
final class SimCtl {
  /** Largest COUNT of one alloc/free, so a typo cannot exhaust the daemon's heap. */
  static final long MAX_OBJECTS = 10_000_000L;

  private final SlabCommon slab;
  private final CpuHotplug hotplug;
  private final Dmesg dmesg;
  private final Random random;
  private final io.slabfs.kernel.locking.Lockdep lockdep;

  /** Woken by every printk, for {@code await_dmesg}. */
  private final io.slabfs.kernel.locking.WaitQueueHead dmesgLogged;

  /** Live creations by name, newest first. */
  private final Map<String, ArrayDeque<Creation>> byName = new HashMap<>();

  /** Destroyed creations whose {@code kobject_get} references are still held. */
  private final List<Creation> destroyedHeld = new ArrayList<>();

  /** Who made a creation, and so who may destroy it. */
  private enum Owner {
    /** The slab allocator's own caches: never destroyed. */
    KERNEL,
    /** The boot set and {@code kmem_cache_create}: {@code kmem_cache_destroy}. */
    CTL,
    /** A module's init(): only its exit() destroys it. */
    MODULE
  }

  /**
   * One {@code kmem_cache_create()} as {@code sim/ctl} knows it: the name it was called with, the
   * pointer it returned, and the {@code kobject_get} references taken through it.
   */
  private static final class Creation {
    final String name;
    final KmemCache cache;
    final Owner owner;
    final String module;
    final long serial;
    int extraRefs;

    Creation(String name, KmemCache cache, Owner owner, String module, long serial) {
      this.name = name;
      this.cache = cache;
      this.owner = owner;
      this.module = module;
      this.serial = serial;
    }

    /** The cache as dmesg shows it: its sysfs directory. */
    String describe() {
      return cache.kobj().name() + " (object size " + cache.objectSize() + ")";
    }
  }

  private long serials;
  private io.slabfs.kernel.module.Modules modules;

  void setModules(io.slabfs.kernel.module.Modules m) {
    this.modules = m;
  }

  private io.slabfs.kernel.kernfs.Vfs vfs;

  void setVfs(io.slabfs.kernel.kernfs.Vfs v) {
    this.vfs = v;
  }

  SimCtl(
      SlabCommon slab,
      CpuHotplug hotplug,
      io.slabfs.kernel.locking.Lockdep lockdep,
      Random random) {
    this.lockdep = lockdep;
    this.slab = slab;
    this.hotplug = hotplug;
    this.dmesg = slab.dmesg();
    this.random = random;
    this.dmesgLogged = new io.slabfs.kernel.locking.WaitQueueHead(lockdep);
    dmesg.onPrintk(dmesgLogged::wakeUpAll);
  }

  /** Caches created by the slab code itself: they can be used but not destroyed. */
  synchronized void registerKernelOwned(KmemCache s) {
    push(new Creation(s.name(), s, Owner.KERNEL, null, serials++));
  }

  /** A cache created as {@code name} at boot or by {@code kmem_cache_create}. */
  synchronized void register(String name, KmemCache s) {
    push(new Creation(name, s, Owner.CTL, null, serials++));
  }

  private void push(Creation c) {
    byName.computeIfAbsent(c.name, k -> new ArrayDeque<>()).push(c);
  }

  /** One {@code write()} to {@code sim/ctl}. */
  int write(byte[] buf, int len) throws ErrnoException {
    try (Task.Frame f = Task.enter("sim_ctl_write")) {
      return command(buf, len);
    }
  }

  private int command(byte[] buf, int len) throws ErrnoException {
    String line = new String(buf, 0, Kstrtox.length(buf), StandardCharsets.UTF_8).strip();
    try {
      if (Kstrtox.length(buf) != len) {
        throw Errno.EINVAL.with("command contains a NUL byte");
      }
      run(line.split("\\s+"));
      return len;
    } catch (ErrnoException e) {
      String shown = line.length() > 80 ? line.substring(0, 80) + "..." : line;
      dmesg.printk(
          "slabfs: ctl: '"
              + printable(shown)
              + "' by "
              + Task.current()
              + ": "
              + e.errno().name()
              + ": "
              + e.why());
      throw e;
    }
  }

  /** A {@code sim/ctl} command's handler, given the words after the command's name. */
  @FunctionalInterface
  private interface Handler {
    void run(SimCtl ctl, String[] args) throws ErrnoException;
  }

  /**
   * One command of the {@code sim/ctl} grammar: {@code args} words after its name, from {@code
   * minArgs} to {@code maxArgs} ({@link #ANY} for no limit), else {@code EINVAL} with {@code usage:
   * <usage>}. Where {@code minArgs} is 0 and {@code maxArgs} {@link #ANY} the handler checks its
   * words itself.
   */
  record Command(String name, String usage, int minArgs, int maxArgs, Handler handler) {
    void check(String[] args) throws ErrnoException {
      if (args.length < minArgs || (maxArgs != ANY && args.length > maxArgs)) {
        throw usageError();
      }
    }

    ErrnoException usageError() {
      return Errno.EINVAL.with("usage: " + usage);
    }
  }

  /** {@link Command#maxArgs} of a command that takes any number of words. */
  private static final int ANY = -1;

  /** The grammar of {@code sim/ctl}, in the order {@link #help} lists it. */
  private static final Map<String, Command> COMMANDS =
      table(
          // KmemCacheArgs.parse() checks the words and says its own usage
          new Command(
              "kmem_cache_create",
              "kmem_cache_create NAME SIZE [align=N] [flags=F|F...] "
                  + "[ctor=SYM] [useroffset=N] [usersize=N]",
              0,
              ANY,
              SimCtl::create),
          new Command("kmem_cache_destroy", "kmem_cache_destroy NAME", 1, 1, SimCtl::destroy),
          new Command("alloc", "alloc NAME COUNT [cpu=N]", 2, 3, (c, a) -> c.allocOrFree(a, true)),
          new Command("free", "free NAME COUNT [cpu=N]", 2, 3, (c, a) -> c.allocOrFree(a, false)),
          new Command("kobject_get", "kobject_get NAME", 1, 1, SimCtl::kobjectGet),
          new Command("kobject_put", "kobject_put NAME", 1, 1, SimCtl::kobjectPut),
          new Command(
              "cpu_down", "cpu_down|cpu_up N", 1, 1, (c, a) -> c.hotplug.cpuDown(c.cpuArg(a))),
          new Command("cpu_up", "cpu_down|cpu_up N", 1, 1, (c, a) -> c.hotplug.cpuUp(c.cpuArg(a))),
          new Command(
              "insmod",
              "insmod MODULE [cache=NAME:SIZE[:FLAGS[:CTOR]]]... "
                  + "[static_cache=NAME:SIZE[:FLAGS]]... [param=KEY=VALUE]... [depends=MODULE,...]",
              1,
              ANY,
              SimCtl::insmod),
          new Command("rmmod", "rmmod MODULE", 1, 1, SimCtl::rmmod),
          new Command("module_get", "module_get MODULE", 1, 1, (c, a) -> c.modules.moduleGet(a[0])),
          new Command("module_put", "module_put MODULE", 1, 1, (c, a) -> c.modules.modulePut(a[0])),
          new Command("sysfs_notify", "sysfs_notify PATH", 1, 1, (c, a) -> c.vfs.notify(a[0])),
          new Command("dmesg_clear", "dmesg_clear", 0, 0, (c, a) -> c.dmesg.clear()),
          new Command("lockdep_reset", "lockdep_reset", 0, 0, (c, a) -> c.lockdep.reset()),
          new Command("pause", "pause POINT", 1, 1, (c, a) -> c.slab.waitPoints().arm(point(a[0]))),
          new Command(
              "resume", "resume POINT", 1, 1, (c, a) -> c.slab.waitPoints().resume(point(a[0]))),
          new Command("await", "await POINT [timeout=S]", 1, 2, SimCtl::await),
          new Command("await_blocked", "await_blocked N [timeout=S]", 1, 2, SimCtl::awaitBlocked),
          new Command("await_dmesg", "await_dmesg TEXT [timeout=S]", 1, ANY, SimCtl::awaitDmesg),
          new Command(
              "await_open_files", "await_open_files N [timeout=S]", 1, 2, SimCtl::awaitOpenFiles),
          new Command("replay_steps", "replay_steps STEP...", 1, ANY, SimCtl::replaySteps),
          new Command("replay_begin", "replay_begin [timeout=S]", 0, 1, SimCtl::replayBegin),
          new Command("replay_task", "replay_task NAME [OPERATION...]", 1, ANY, SimCtl::replayTask),
          new Command("replay_exit", "replay_exit NAME", 1, 1, (c, a) -> c.replay().exit(a[0])),
          new Command("replay_wait", "replay_wait [timeout=S]", 0, 1, SimCtl::replayWait),
          new Command("replay_end", "replay_end", 0, 0, (c, a) -> c.abandonReplay("replay_end")));

  private static Map<String, Command> table(Command... commands) {
    Map<String, Command> t = new java.util.LinkedHashMap<>();
    for (Command c : commands) {
      t.put(c.name(), c);
    }
    return java.util.Collections.unmodifiableMap(t);
  }

  /** The commands' usages, one a line, in table order (a usage shared by two shown once). */
  static String help() {
    StringBuilder sb = new StringBuilder();
    new java.util.LinkedHashSet<>(COMMANDS.values().stream().map(Command::usage).toList())
        .forEach(u -> sb.append(u).append('\n'));
    return sb.toString();
  }

  private void run(String[] w) throws ErrnoException {
    if (w.length == 0 || w[0].isEmpty()) {
      throw Errno.EINVAL.with("empty command");
    }
    Command c = COMMANDS.get(w[0]);
    if (c == null) {
      throw Errno.EINVAL.with("unknown command '" + w[0] + "'");
    }
    String[] args = Arrays.copyOfRange(w, 1, w.length);
    c.check(args);
    c.handler().run(this, args);
  }

  // ---- slabfs replay --mount (LiveReplay) ----------------------------------------------------

  /** Guards {@link #replay} and {@link #pendingSteps}. */
  private final Object replayLock = new Object();

  private LiveReplay replay;
  private final List<LiveReplay.Step> pendingSteps = new ArrayList<>();
  private io.slabfs.kernel.locking.WaitQueueHead replayEnded;

  /**
   * {@code replay_steps STEP...}: adds steps to the schedule that {@code replay_begin} installs.
   */
  private void replaySteps(String[] args) throws ErrnoException {
    List<LiveReplay.Step> add = new ArrayList<>();
    for (String a : args) {
      add.add(LiveReplay.Step.parse(a));
    }
    synchronized (replayLock) {
      if (replay != null && !replay.over()) {
        throw Errno.EBUSY.with("a replay is running (replay_end ends it)");
      }
      if (pendingSteps.size() + add.size() > 100_000) {
        throw Errno.EINVAL.with("at most 100000 steps");
      }
      pendingSteps.addAll(add);
    }
  }

  /** {@code replay_begin [timeout=S]}: installs the schedule; S bounds each step (default 30). */
  private void replayBegin(String[] args) throws ErrnoException {
    long timeout = timeout(args, 0);
    LiveReplay r;
    synchronized (replayLock) {
      if (replay != null && !replay.over()) {
        throw Errno.EBUSY.with("a replay is running (replay_end ends it)");
      }
      if (pendingSteps.isEmpty()) {
        throw Errno.EINVAL.with("no steps (replay_steps STEP... first)");
      }
      if (replayEnded == null) {
        replayEnded = new io.slabfs.kernel.locking.WaitQueueHead(lockdep);
      }
      if (lockdep.taskList().scheduler() != null) {
        throw Errno.EBUSY.with("another scheduler runs this kernel");
      }
      r = new LiveReplay(lockdep.taskList(), dmesg, pendingSteps, timeout, replayEnded);
      pendingSteps.clear();
      replay = r;
    }
    r.start();
  }

  private LiveReplay replay() throws ErrnoException {
    synchronized (replayLock) {
      if (replay == null) {
        throw Errno.ECANCELED.with("no replay was installed (replay_begin)");
      }
      return replay;
    }
  }

  private void replayTask(String[] args) throws ErrnoException {
    replay().task(args[0], String.join(" ", Arrays.copyOfRange(args, 1, args.length)));
  }

  /**
   * {@code replay_wait [timeout=S]}: until the replay is over; fails with {@code ECANCELED} if it
   * was abandoned (why: in dmesg), {@code ETIMEDOUT} if it still runs.
   */
  private void replayWait(String[] args) throws ErrnoException {
    LiveReplay r = replay();
    long timeout = args.length > 0 ? timeout(args, 0) : 300_000;
    if (!replayEnded.waitEventKillableTimeout(r::over, timeout, "the replay")) {
      throw Errno.ETIMEDOUT.with("the replay still runs");
    }
    if (!"done".equals(r.outcome())) {
      throw Errno.ECANCELED.with("abandoned at " + r.outcome());
    }
  }

  /** {@code replay_end}, unmount: ends a running replay; its stopped tasks go on unsteered. */
  void abandonReplay(String why) {
    LiveReplay r;
    synchronized (replayLock) {
      r = replay;
      pendingSteps.clear();
    }
    if (r != null) {
      r.abandon(why);
    }
  }

  private void await(String[] args) throws ErrnoException {
    String name = point(args[0]);
    if (!slab.waitPoints().awaitParked(name, timeout(args, 1))) {
      throw Errno.ETIMEDOUT.with("no task reached " + name);
    }
  }

  private void awaitDmesg(String[] args) throws ErrnoException {
    int n = args.length;
    long timeout = n > 1 && args[n - 1].startsWith("timeout=") ? timeout(args, n - 1) : 30_000;
    int words = n > 0 && args[n - 1].startsWith("timeout=") ? n - 1 : n;
    if (words < 1) {
      throw COMMANDS.get("await_dmesg").usageError();
    }
    String text = String.join(" ", java.util.Arrays.copyOfRange(args, 0, words));
    if (!dmesgLogged.waitEventKillableTimeout(
        () -> dmesg.contains(text), timeout, "'" + text + "'")) {
      throw Errno.ETIMEDOUT.with("no dmesg line with '" + printable(text) + "'");
    }
  }

  /**
   * Until the open files other than the writer's own (the {@code sim/ctl} it writes to, and any
   * other it opened) number N: {@code close(2)} returns before FUSE's release reaches slabfs.
   */
  private void awaitOpenFiles(String[] args) throws ErrnoException {
    long n = number(args[0], "N");
    if (n > 1_000_000) {
      throw Errno.EINVAL.with("N is at most 1000000");
    }
    if (!vfs.awaitOpenFiles((int) n, timeout(args, 1))) {
      throw Errno.ETIMEDOUT.with(
          vfs.openFilesExcept(Task.current().pid()) + " open files, not " + n);
    }
  }

  private void awaitBlocked(String[] args) throws ErrnoException {
    long n = number(args[0], "N");
    if (n > 100_000) {
      throw Errno.EINVAL.with("N is at most 100000");
    }
    if (!lockdep.awaitBlocked((int) n, timeout(args, 1))) {
      throw Errno.ETIMEDOUT.with("fewer than " + n + " tasks blocked");
    }
  }

  private void create(String[] args) throws ErrnoException {
    KmemCacheArgs a = KmemCacheArgs.parse(args);
    KmemCache s = slab.create(a);
    register(a.name(), s);
  }

  private void destroy(String[] args) throws ErrnoException {
    Creation c;
    synchronized (this) {
      c = newest(args[0]);
      if (c.owner == Owner.KERNEL) {
        throw Errno.EPERM.with(args[0] + " belongs to the slab allocator itself");
      }
      if (c.owner == Owner.MODULE) {
        throw Errno.EPERM.with(
            args[0] + " belongs to module " + c.module + " (its exit destroys it: rmmod)");
      }
      remove(c);
    }
    try {
      slab.destroy(c.cache);
    } catch (ErrnoException e) {
      synchronized (this) {
        restore(c);
      }
      throw e;
    }
    synchronized (this) {
      if (c.extraRefs > 0) {
        destroyedHeld.add(c);
      }
      ArrayDeque<Creation> left = byName.get(args[0]);
      if (left != null) {
        Creation now = left.peek();
        dmesg.printk(
            "slabfs: ctl: destroyed "
                + args[0]
                + " = "
                + c.describe()
                + "; "
                + args[0]
                + " now means the "
                + args[0]
                + " created before it, "
                + now.describe());
      }
    }
  }

  /** The newest live creation of {@code name}; the caller holds this object's monitor. */
  private Creation newest(String name) throws ErrnoException {
    ArrayDeque<Creation> stack = byName.get(name);
    if (stack == null || stack.isEmpty()) {
      throw Errno.ENOENT.with("no cache was created as '" + name + "'");
    }
    return stack.peek();
  }

  private void remove(Creation c) {
    ArrayDeque<Creation> stack = byName.get(c.name);
    stack.remove(c);
    if (stack.isEmpty()) {
      byName.remove(c.name);
    }
  }

  /** Puts a creation whose destroy failed back in its place by age. */
  private void restore(Creation c) {
    ArrayDeque<Creation> stack = byName.computeIfAbsent(c.name, k -> new ArrayDeque<>());
    List<Creation> all = new ArrayList<>(stack);
    all.add(c);
    all.sort((a, b) -> Long.compare(b.serial, a.serial));
    stack.clear();
    stack.addAll(all);
  }

  /** What {@code name} means now (see the class comment). */
  private KmemCache lookup(String name) throws ErrnoException {
    synchronized (this) {
      return newest(name).cache;
    }
  }

  private void allocOrFree(String[] args, boolean alloc) throws ErrnoException {
    Command command = COMMANDS.get(alloc ? "alloc" : "free");
    KmemCache s = lookup(args[0]);
    long count = number(args[1], "COUNT");
    if (count < 1 || count > MAX_OBJECTS) {
      throw Errno.EINVAL.with("COUNT must be 1 to " + MAX_OBJECTS);
    }
    int cpu;
    if (args.length == 3) {
      if (!args[2].startsWith("cpu=")) {
        throw command.usageError();
      }
      long n = number(args[2].substring(4), "cpu");
      if (n >= slab.cpus().nrPossible() || !slab.cpus().isOnline((int) n)) {
        throw Errno.EINVAL.with("cpu" + n + " is not online");
      }
      cpu = (int) n;
    } else {
      int[] online = slab.cpus().onlineMask().stream().toArray();
      synchronized (random) {
        cpu = online[random.nextInt(online.length)];
      }
    }
    if (alloc) {
      s.alloc(cpu, count);
    } else {
      synchronized (random) {
        s.free(cpu, count, random);
      }
    }
  }

  private void kobjectGet(String[] args) throws ErrnoException {
    synchronized (this) {
      Creation c = newest(args[0]);
      if (c.cache.kobj().isReleased() || c.cache.kobj().refcount() == 0) {
        throw Errno.ENOENT.with(args[0] + " has been released");
      }
      c.cache.kobj().get();
      c.extraRefs++;
    }
  }

  private void kobjectPut(String[] args) throws ErrnoException {
    KmemCache s;
    synchronized (this) {
      Creation c = findHeld(args[0]);
      if (--c.extraRefs == 0) {
        destroyedHeld.remove(c);
      }
      s = c.cache;
    }
    s.kobj().put();
  }

  /**
   * The creation whose extra reference {@code kobject_put NAME} drops: the newest creation of that
   * name holding one, live or destroyed (its release is what the put completes).
   */
  private Creation findHeld(String name) throws ErrnoException {
    Creation best = null;
    ArrayDeque<Creation> stack = byName.get(name);
    List<Creation> candidates = new ArrayList<>(stack == null ? List.of() : stack);
    candidates.addAll(destroyedHeld);
    for (Creation c : candidates) {
      if (c.name.equals(name) && c.extraRefs > 0 && (best == null || c.serial > best.serial)) {
        best = c;
      }
    }
    if (best == null) {
      throw Errno.EINVAL.with("no reference on '" + name + "' was taken with kobject_get");
    }
    return best;
  }

  /** A wait point name argument. */
  private static String point(String name) throws ErrnoException {
    if (!io.slabfs.kernel.locking.WaitPoints.NAMES.contains(name)) {
      throw Errno.EINVAL.with(
          "unknown wait point '"
              + printable(name)
              + "' (one of "
              + new java.util.TreeSet<>(io.slabfs.kernel.locking.WaitPoints.NAMES)
              + ")");
    }
    return name;
  }

  /** {@code timeout=S} at {@code args[i]}, in milliseconds; 30 s when absent. */
  private static long timeout(String[] args, int i) throws ErrnoException {
    if (args.length <= i) {
      return 30_000;
    }
    if (!args[i].startsWith("timeout=")) {
      throw Errno.EINVAL.with("expected timeout=S, got '" + printable(args[i]) + "'");
    }
    long s = number(args[i].substring(8), "timeout");
    if (s > 3600) {
      throw Errno.EINVAL.with("timeout is at most 3600 s");
    }
    return s * 1000;
  }

  /**
   * {@code insmod MODULE [cache=NAME:SIZE[:FLAGS[:CTOR]]]... [static_cache=NAME:SIZE[:FLAGS]]...
   * [param=KEY=VALUE]... [depends=MODULE,...]}.
   */
  private void insmod(String[] args) throws ErrnoException {
    java.util.List<KmemCacheArgs> caches = new java.util.ArrayList<>();
    java.util.List<KmemCacheArgs> statics = new java.util.ArrayList<>();
    Map<String, String> params = new java.util.LinkedHashMap<>();
    java.util.List<String> depends = new java.util.ArrayList<>();
    for (int i = 1; i < args.length; i++) {
      String a = args[i];
      if (a.startsWith("cache=")) {
        caches.add(cacheSpec(a.substring(6), true));
      } else if (a.startsWith("static_cache=")) {
        statics.add(cacheSpec(a.substring(13), false));
      } else if (a.startsWith("param=") && a.indexOf('=', 6) > 6) {
        String kv = a.substring(6);
        String key = kv.substring(0, kv.indexOf('='));
        if (!key.matches("[a-z_][a-z0-9_]{0,63}")) {
          throw Errno.EINVAL.with("bad parameter name '" + printable(key) + "'");
        }
        params.put(key, kv.substring(kv.indexOf('=') + 1));
      } else if (a.startsWith("depends=")) {
        depends.addAll(java.util.Arrays.asList(a.substring(8).split(",")));
      } else {
        throw Errno.EINVAL.with("unknown insmod argument '" + printable(a) + "'");
      }
    }
    io.slabfs.kernel.module.Module m =
        modules.insmod(
            new io.slabfs.kernel.module.Modules.Spec(
                args[0],
                caches,
                statics,
                params,
                new java.util.ArrayList<>(new java.util.LinkedHashSet<>(depends))));
    // init() creates the caches in spec order; a cache may have merged into another, so it is
    // known under the name it was created as, not the merge target's
    java.util.List<KmemCache> created = modules.caches(m.name());
    java.util.List<KmemCacheArgs> asked = new java.util.ArrayList<>(caches);
    asked.addAll(statics);
    synchronized (this) {
      for (int i = 0; i < created.size(); i++) {
        push(new Creation(asked.get(i).name(), created.get(i), Owner.MODULE, m.name(), serials++));
      }
    }
  }

  /** {@code NAME:SIZE[:FLAGS[:CTOR]]} in the kmem_cache_create grammar. */
  private static KmemCacheArgs cacheSpec(String spec, boolean ctorAllowed) throws ErrnoException {
    String[] p = spec.split(":", -1);
    if (p.length < 2 || p.length > (ctorAllowed ? 4 : 3)) {
      throw Errno.EINVAL.with(
          "cache spec must be NAME:SIZE[:FLAGS"
              + (ctorAllowed ? "[:CTOR]" : "")
              + "], got '"
              + printable(spec)
              + "'");
    }
    java.util.List<String> words = new java.util.ArrayList<>(java.util.List.of(p[0], p[1]));
    if (p.length > 2 && !p[2].isEmpty()) {
      words.add("flags=" + p[2]);
    }
    if (p.length > 3 && !p[3].isEmpty()) {
      words.add("ctor=" + p[3]);
    }
    return KmemCacheArgs.parse(words.toArray(new String[0]));
  }

  private void rmmod(String[] args) throws ErrnoException {
    modules.rmmod(args[0]);
    synchronized (this) {
      for (ArrayDeque<Creation> stack : byName.values()) {
        for (Creation c : stack) {
          if (c.owner == Owner.MODULE && c.module.equals(args[0]) && c.extraRefs > 0) {
            destroyedHeld.add(c);
          }
        }
        stack.removeIf(c -> c.owner == Owner.MODULE && c.module.equals(args[0]));
      }
      byName.values().removeIf(ArrayDeque::isEmpty);
    }
  }

  private int cpuArg(String[] args) throws ErrnoException {
    long n = number(args[0], "N");
    if (n >= slab.cpus().nrPossible()) {
      throw Errno.EINVAL.with("cpu" + n + " is not present");
    }
    return (int) n;
  }

  private static long number(String s, String what) throws ErrnoException {
    if (!s.matches("[0-9]{1,12}")) {
      throw Errno.EINVAL.with(what + " must be a decimal number, got '" + printable(s) + "'");
    }
    return Long.parseLong(s);
  }

  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      sb.append(c >= ' ' && c < 0x7f ? c : '?');
    }
    return sb.toString();
  }
}
