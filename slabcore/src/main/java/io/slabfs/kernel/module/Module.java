package io.slabfs.kernel.module;

import io.slabfs.kernel.debug.Kasan;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.Completion;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.slab.StaticOwner;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: include/linux/module.h.
 *
 * <p>A loaded module ({@code struct module}): its state, its reference count, its kobject ({@code
 * mkobj.kobj}, whose release completes {@code kobj_completion}), its memory, and the caches its
 * {@code init()} created.
 *
 * <p>Concurrency: the state and lists are changed under {@code module_mutex} or by the one task
 * loading or unloading the module; the reference count is atomic.
 */
public final class Module implements StaticOwner {
  /** {@code MODULE_REF_BASE}. */
  static final int REF_BASE = 1;

  /** {@code enum module_state}. */
  public enum State {
    LIVE("live"),
    COMING("coming"),
    GOING("going"),
    UNFORMED("unformed");

    final String shown;

    State(String shown) {
      this.shown = shown;
    }
  }

  final String name;
  final KObject<Module> kobj;
  final Kasan.Region memory;
  final AtomicInteger refcnt = new AtomicInteger(REF_BASE);
  final List<Module> uses = new ArrayList<>();
  final List<Module> holders = new ArrayList<>();
  final List<KmemCache> caches = new ArrayList<>();
  final List<KernelParam> params = new ArrayList<>();
  final String srcversion;
  final int coresize;
  volatile int initsize;
  volatile State state = State.UNFORMED;

  /** {@code mkobj.kobj_completion}: completed by the kobject's release. */
  final Completion kobjCompletion;

  Module(String name, Kasan.Region memory, int coresize, int initsize, Lockdep lockdep) {
    this.kobjCompletion = new Completion(lockdep);
    this.name = name;
    this.memory = memory;
    this.coresize = coresize;
    this.initsize = initsize;
    this.srcversion =
        String.format("%023X", Math.abs((long) name.hashCode() * 0x9E3779B97F4A7C15L))
            .substring(0, 23);
    this.kobj = new KObject<>(this, MODULE_KTYPE);
  }

  /** {@code module_ktype}'s release: {@code module_kobj_release} completes the waiter. */
  private static final KType<Module> MODULE_KTYPE =
      new KType<>() {
        @Override
        public void release(KObject<Module> k) {
          k.container().kobjCompletion.complete();
        }

        @Override
        public String sysfsOps() {
          return "module_attr";
        }
      };

  public String name() {
    return name;
  }

  public State state() {
    return state;
  }

  /** {@code module_refcount()}: users, 1 more while coming, -1 once going. */
  public int refcount() {
    return refcnt.get() - REF_BASE;
  }

  @Override
  public String moduleName() {
    return name;
  }

  @Override
  public KObject<?> kobj() {
    return kobj;
  }

  @Override
  public Kasan.Region memory() {
    return memory;
  }

  @Override
  public String toString() {
    return "module " + name;
  }
}
