package io.slabfs.kernel.module;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.Kasan;
import io.slabfs.kernel.debug.KptrRestrict;
import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.slab.SlabCommon;
import io.slabfs.kernel.sysfs.Sysfs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models: kernel/module/main.c.
 *
 * <p>{@code load_module} / {@code delete_module} for the simulated modules; their {@code
 * /sys/module/NAME} directories are {@link ModuleSysfs} (kernel/module/sysfs.c).
 *
 * <p>Concurrency: {@link #modules} is guarded by {@code module_mutex}, which is held only for the
 * list changes, never across a module's {@code init()} or {@code exit()}, as in the kernel. The
 * final wait of an unload ({@code mod_kobject_put}) is an uninterruptible wait for the module
 * kobject's release, visible to the hung-task detector.
 *
 * <p>Why one class of a little over 400 lines: load and unload share {@code module_mutex}, the
 * module list and the dependency references, as kernel/module/main.c's halves do.
 */
public final class Modules {
  private final ModuleSysfs moduleSysfs;
  private final SlabCommon slab;
  private final Lockdep lockdep;
  private final Kasan kasan;
  private final Dmesg dmesg;
  private final KernelEra era;
  private final Mutex moduleMutex;

  /** The static key of {@code mutex_init()} in {@code init_param_lock()}. */
  private final Object paramLockKey;

  private final Map<String, Module> modules = new LinkedHashMap<>();
  private boolean tainted;

  /** {@code print_modules()}'s list, newest first; readable without module_mutex (a WARN). */
  private final java.util.concurrent.CopyOnWriteArrayList<String> linkedIn =
      new java.util.concurrent.CopyOnWriteArrayList<>();

  public Modules(
      Sysfs sysfs, BuiltinModules builtin, SlabCommon slab, Kasan kasan, KptrRestrict kptr) {
    this.moduleSysfs = new ModuleSysfs(sysfs, builtin.moduleKset(), kptr);
    this.slab = slab;
    this.lockdep = sysfs.kernfs().lockdep();
    this.kasan = kasan;
    this.dmesg = sysfs.dmesg();
    this.era = slab.era();
    this.moduleMutex = new Mutex(lockdep, "module_mutex");
    this.paramLockKey = new Object();
  }

  /** What {@code insmod} loads: the caches its init() creates, its parameters, its deps. */
  public record Spec(
      String name,
      List<KmemCacheArgs> caches,
      List<KmemCacheArgs> staticCaches,
      Map<String, String> params,
      List<String> depends) {}

  /** {@code print_modules()}: {@code Modules linked in:} names with their taint, newest first. */
  public List<String> linkedIn() {
    return List.copyOf(linkedIn);
  }

  /** Loaded modules now. */
  public int loadedCount() {
    moduleMutex.lock();
    try {
      return modules.size();
    } finally {
      moduleMutex.unlock();
    }
  }

  // --------------------------------------------------------------------------------- load

  /** {@code init_module(2)} → {@code load_module()} → {@code do_init_module()}. */
  public Module insmod(Spec spec) throws ErrnoException {
    try (Task.Frame a = Task.enter("__do_sys_finit_module");
        Task.Frame b = Task.enter("load_module")) {
      return load(spec);
    }
  }

  private Module load(Spec spec) throws ErrnoException {
    String name = spec.name().replace('-', '_');
    if (!name.matches("[A-Za-z0-9_]{1,55}")) {
      throw Errno.EINVAL.with("bad module name '" + spec.name() + "'");
    }
    if (!spec.staticCaches().isEmpty() && era.staticCaches() == KernelEra.StaticCaches.REFUSED) {
      // before the series, a static struct kmem_cache in a module does not even build
      throw Errno.ENOEXEC.with(
          name
              + ": static kmem_cache '"
              + spec.staticCaches().get(0).name()
              + "' needs the static-cache series (--kernel v7+static-cache)");
    }
    Module m =
        new Module(
            name, kasan.region(name, 0x4000), 16384 + 4096 * spec.caches().size(), 4096, lockdep);
    // add_unformed_module(), under module_mutex
    moduleMutex.lock();
    try {
      if (modules.containsKey(name)) {
        throw Errno.EEXIST.with("module " + name + " is already loaded");
      }
      for (String dep : spec.depends()) {
        Module d = modules.get(dep);
        if (d == null || d.state != Module.State.LIVE) {
          throw Errno.ENOENT.with(name + ": Unknown symbol (module " + dep + " is not loaded)");
        }
        m.uses.add(d);
      }
      // resolve_symbol() -> ref_module(): each dependency is held (its refcnt counts users,
      // lsmod's "Used by") and lists this module among its holders, until this one is freed
      for (Module d : m.uses) {
        d.refcnt.incrementAndGet();
        synchronized (d) {
          d.holders.add(m);
        }
      }
      modules.put(name, m);
      linkedIn.add(0, name + "(O)");
      m.state = Module.State.COMING;
      m.refcnt.incrementAndGet(); // the reference held while coming
    } finally {
      moduleMutex.unlock();
    }
    // module_augment_kernel_taints(), right after add_unformed_module(): no "intree" tag, so
    // TAINT_OOT_MODULE; the taint stays if the load fails later
    if (!tainted) {
      tainted = true;
      dmesg.printk(name + ": loading out-of-tree module taints kernel.");
    }
    dmesg.taint().add('O');
    try {
      // init_param_lock(): mutex_init() there has one static key for every module's lock
      Mutex paramLock = new Mutex(lockdep, paramLockKey, "&mod->param_lock");
      for (Map.Entry<String, String> p : spec.params().entrySet()) {
        ParamType type = paramType(p.getValue());
        try {
          // parse_args(): the value goes through the type's ->set first
          type.set(p.getValue().getBytes(StandardCharsets.ISO_8859_1));
        } catch (ErrnoException e) {
          dmesg.printk(
              name
                  + ": `"
                  + (p.getValue().length() > 40
                      ? p.getValue().substring(0, 40) + "..."
                      : p.getValue())
                  + "' "
                  + (e.errno() == Errno.ENOSPC ? "too large" : "invalid")
                  + " for parameter `"
                  + p.getKey()
                  + "'");
          throw e;
        }
        KernelParam kp = new KernelParam(p.getKey(), type, 0644, p.getValue(), paramLock);
        kp.setWaitPoints(slab.waitPoints());
        m.params.add(kp);
      }
      moduleSysfs.setup(m);
    } catch (ErrnoException | RuntimeException e) {
      undoSysfsSetup(m);
      forget(m);
      throw e;
    }
    try (Task.Frame f = Task.enter("do_init_module");
        Task.Frame g = Task.enter(name + "_init")) {
      slab.waitPoints().pass("module_init");
      for (KmemCacheArgs c : spec.caches()) {
        m.caches.add(slab.create(c, name));
      }
      for (KmemCacheArgs c : spec.staticCaches()) {
        m.caches.add(slab.createStatic(c, m));
      }
    } catch (ErrnoException e) {
      dmesg.printk(name + ": init failed: " + e.why());
      exitCaches(m);
      m.state = Module.State.GOING;
      freeModule(m);
      throw e;
    }
    m.state = Module.State.LIVE;
    m.initsize = 0;
    m.refcnt.decrementAndGet();
    return m;
  }

  private static ParamType paramType(String value) {
    if (value.matches("-?[0-9]{1,18}")) {
      return ParamType.parse("long");
    }
    if (value.matches("[YNyn]")) {
      return ParamType.parse("bool");
    }
    return ParamType.parse("charp");
  }

  // ------------------------------------------------------------------------------- unload

  /** {@code delete_module(2)}. */
  public void rmmod(String name) throws ErrnoException {
    try (Task.Frame f = Task.enter("__do_sys_delete_module")) {
      unload(name);
    }
  }

  private void unload(String name) throws ErrnoException {
    Module m;
    moduleMutex.lock();
    try {
      m = modules.get(name);
      if (m == null) {
        throw Errno.ENOENT.with("module " + name + " is not loaded");
      }
      synchronized (m) {
        if (!m.holders.isEmpty()) {
          throw Errno.EWOULDBLOCK.with(
              "module " + name + " is in use by " + m.holders.stream().map(Module::name).toList());
        }
      }
      if (m.state != Module.State.LIVE) {
        throw Errno.EBUSY.with("module " + name + " is " + m.state.shown);
      }
      // try_stop_module(): the count must go from the base to 0
      if (!m.refcnt.compareAndSet(Module.REF_BASE, 0)) {
        throw Errno.EWOULDBLOCK.with("module " + name + " has " + m.refcount() + " users");
      }
      m.state = Module.State.GOING;
    } finally {
      moduleMutex.unlock();
    }
    try (Task.Frame f = Task.enter(name + "_exit")) {
      slab.waitPoints().pass("module_exit");
      exitCaches(m);
    }
    freeModule(m);
  }

  /** The module's {@code exit()}: destroys its caches, newest first. */
  private void exitCaches(Module m) {
    for (int i = m.caches.size() - 1; i >= 0; i--) {
      try {
        slab.destroy(m.caches.get(i));
      } catch (ErrnoException e) {
        dmesg.printk(m.name + ": exit: " + e.why());
      }
    }
    m.caches.clear();
  }

  /**
   * {@code free_module()}: {@code mod_sysfs_teardown()}, then {@code mod_kobject_put()}, which
   * waits, uninterruptibly, for the module kobject's release; only then is the module's memory
   * freed.
   */
  private void freeModule(Module m) {
    try (Task.Frame f = Task.enter("free_module")) {
      moduleSysfs.teardown(m);
      m.state = Module.State.UNFORMED;
      releaseDependencies(m); // module_unload_free()
      // free_mod_mem(): lockdep_free_key_range() over the module's memory zaps the classes
      // of the keys that live there (the module's own static locks)
      lockdep.freeKeyRange(key -> key == m || key == m.memory);
      m.memory.free();
      forget(m);
    }
  }

  /** The error path of {@code mod_sysfs_setup()}: whatever was made is removed again. */
  private void undoSysfsSetup(Module m) {
    moduleSysfs.delUsageLinks(m);
    releaseDependencies(m);
    moduleSysfs.dropKobject(m);
  }

  /** {@code module_unload_free()}: drop the references taken on the dependencies. */
  private void releaseDependencies(Module m) {
    for (Module d : m.uses) {
      synchronized (d) {
        if (!d.holders.remove(m)) {
          continue;
        }
      }
      d.refcnt.decrementAndGet();
    }
  }

  private void forget(Module m) {
    moduleMutex.lock();
    try {
      modules.remove(m.name, m);
      linkedIn.remove(m.name + "(O)");
    } finally {
      moduleMutex.unlock();
    }
  }

  // ------------------------------------------------------------------------- references

  /**
   * {@code try_module_get()}: {@code module_is_live(mod) && atomic_inc_not_zero(&mod->refcnt)}. The
   * increment must not resurrect a count that {@code try_stop_module()} has just taken to 0: a get
   * that read LIVE before an rmmod's compare-and-set would otherwise succeed on a module that is
   * being unloaded.
   */
  public void moduleGet(String name) throws ErrnoException {
    Module m = find(name);
    int v;
    do {
      v = m.refcnt.get();
      if (m.state != Module.State.LIVE || v == 0) {
        // v == 0: try_stop_module() has won, state GOING follows under module_mutex
        throw Errno.ENODEV.with(
            "module " + name + " is " + (v == 0 ? Module.State.GOING : m.state).shown);
      }
      // seen live, not yet counted: an rmmod can run to completion here, and the
      // compare-and-set below then fails and sees the 0
      slab.waitPoints().pass("try_module_get");
    } while (!m.refcnt.compareAndSet(v, v + 1));
  }

  /** {@code module_put()}. */
  public void modulePut(String name) throws ErrnoException {
    Module m = find(name);
    int v;
    do {
      v = m.refcnt.get();
      if (v <= Module.REF_BASE) {
        throw Errno.EINVAL.with("module " + name + " has no reference to put");
      }
    } while (!m.refcnt.compareAndSet(v, v - 1));
  }

  /** The caches a loaded module's init() created. */
  public List<KmemCache> caches(String name) throws ErrnoException {
    return new ArrayList<>(find(name).caches);
  }

  /**
   * {@code /proc/modules} (kernel/module/procfs.c): under {@code module_mutex} ({@code m_start} to
   * {@code m_stop}), one line per module on the {@code modules} list, newest first, unformed ones
   * left out: name, {@code module_total_size()}, {@code module_refcount()}, the modules using it
   * ({@code source_list}, newest first, each with a trailing comma) or {@code -}, the state, the
   * address of its text ({@code %px}, {@code NULL} unless {@code showValue}: {@code
   * kallsyms_show_value(file->f_cred)} at open), and its taint flags with {@code +} while loading
   * and {@code -} while unloading ({@code module_flags()}; every simulated module is out of tree,
   * {@code O}).
   */
  public String procModules(boolean showValue) {
    StringBuilder sb = new StringBuilder();
    try (Task.Frame f = Task.enter("m_start")) {
      moduleMutex.lock();
    }
    try {
      List<Module> list = new ArrayList<>(modules.values());
      for (int i = list.size() - 1; i >= 0; i--) {
        Module m = list.get(i);
        Module.State state = m.state;
        if (state == Module.State.UNFORMED) {
          continue;
        }
        sb.append(m.name).append(' ').append(m.coresize + m.initsize);
        sb.append(' ').append(m.refcount()).append(' ');
        List<Module> holders;
        synchronized (m) {
          holders = new ArrayList<>(m.holders);
        }
        if (holders.isEmpty()) {
          sb.append('-');
        }
        for (int h = holders.size() - 1; h >= 0; h--) {
          sb.append(holders.get(h).name).append(',');
        }
        sb.append(
            switch (state) {
              case GOING -> " Unloading";
              case COMING -> " Loading";
              default -> " Live";
            });
        sb.append(" 0x").append(KptrRestrict.px(showValue ? m.memory.base() : 0));
        sb.append(" (O")
            .append(state == Module.State.GOING ? "-" : state == Module.State.COMING ? "+" : "")
            .append(")\n");
      }
    } finally {
      moduleMutex.unlock();
    }
    return sb.toString();
  }

  private Module find(String name) throws ErrnoException {
    moduleMutex.lock();
    try {
      Module m = modules.get(name);
      if (m == null) {
        throw Errno.ENOENT.with("module " + name + " is not loaded");
      }
      return m;
    } finally {
      moduleMutex.unlock();
    }
  }
}
