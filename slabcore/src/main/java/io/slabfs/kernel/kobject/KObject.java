package io.slabfs.kernel.kobject;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sysfs.Sysfs;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: lib/kobject.c.
 *
 * <p>A {@code struct kobject} (lib/kobject.c), embedded in its container {@code C} (the kernel's
 * {@code container_of}): a name, a parent, a reference count and a sysfs directory.
 *
 * <p>Lifetime. {@link #init} sets the count to 1; {@link #add} takes a reference on the parent and
 * creates the directory with the type's default attributes; {@link #del} removes the directory
 * (draining in-flight show/store) and drops the parent; the last {@link #put} runs {@code
 * kobject_cleanup}: a {@code kobject_del} if still in sysfs, then the type's release, then the
 * parent reference. A release can therefore happen long after the owner thought it destroyed the
 * object, whenever someone else still held a reference.
 *
 * <p>Concurrency: the count is atomic; add/del are called by the owner, serialised by the owner's
 * lock (e.g. {@code slab_mutex}) or by being on the release path.
 */
public final class KObject<C> {
  private final C container;
  private final KType<C> ktype;
  private final AtomicInteger kref = new AtomicInteger();
  private volatile String name;
  private volatile KObject<?> parent;
  private volatile KSet kset;
  private volatile KernfsDir sd;
  private volatile boolean stateInSysfs;
  private volatile boolean released;
  private volatile boolean counted;
  private Sysfs sysfs;

  /** Seed 000: the memory this kobject is embedded in, when that can be freed under it. */
  private volatile io.slabfs.kernel.debug.Kasan.Region residence;

  private volatile String residenceVariable;
  private volatile int residenceOffset;
  private volatile int residenceSize;
  private volatile int residenceKobjOffset;

  /** {@code offsetof(struct kobject, kref)} on x86_64. */
  private static final int KREF_OFFSET = 0x38;

  /**
   * Marks the kobject as embedded at {@code kobjOffset} in the container {@code variable} of {@code
   * variableSize} bytes, placed at {@code variableOffset} inside {@code region} (a static {@code
   * struct kmem_cache} in module data), so every get and put checks that memory.
   */
  public void setResidence(
      io.slabfs.kernel.debug.Kasan.Region region,
      String variable,
      int variableOffset,
      int variableSize,
      int kobjOffset) {
    this.residenceVariable = variable;
    this.residenceOffset = variableOffset;
    this.residenceSize = variableSize;
    this.residenceKobjOffset = kobjOffset;
    this.residence = region;
  }

  private void touch(String function) {
    io.slabfs.kernel.debug.Kasan.Region r = residence;
    if (r != null) {
      Task t = Task.current();
      // kref_get/kref_put: an atomic read-modify-write of the refcount_t at kobj->kref,
      // which instrumented atomics check as a write of 4 bytes
      r.touch(
          residenceVariable,
          residenceOffset,
          residenceSize,
          residenceKobjOffset + KREF_OFFSET,
          4,
          true,
          t.isKthread(),
          function,
          t.comm(),
          t.pid(),
          t.frames());
    }
  }

  public KObject(C container, KType<C> ktype) {
    this.container = Objects.requireNonNull(container);
    this.ktype = Objects.requireNonNull(ktype);
  }

  /** {@code kobject_init()}: the first reference. */
  public KObject<C> init() {
    kref.set(1);
    return this;
  }

  /**
   * {@code kobject_add()} (with {@code kobj->kset} set beforehand, or a parent): creates {@code
   * /sys/.../name} with the default attributes. On failure the kobject is not in sysfs and the
   * parent reference is dropped again.
   */
  public void add(Sysfs sysfs, KObject<?> parent, KSet kset, String name) throws ErrnoException {
    this.sysfs = sysfs;
    // kobject_set_name_vargs(): "ewww... some of these buggers have '/' in the name"
    name = name.replace('/', '!');
    this.name = name;
    this.kset = kset;
    KObject<?> p = parent != null ? parent : kset != null ? kset.kobj() : null;
    if (p != null) {
      p.get();
    }
    this.parent = p;
    KernfsDir parentDir = p != null ? p.sd() : sysfs.kernfs().rootDir();
    try {
      KernfsDir dir = sysfs.createDir(parentDir, name);
      try {
        sysfs.createFiles(dir, container, ktype.defaultAttrs(), ktype.sysfsOps());
      } catch (ErrnoException e) {
        sysfs.removeDir(dir);
        throw e;
      }
      sd = dir;
    } catch (ErrnoException e) {
      this.parent = null;
      if (p != null) {
        p.put();
      }
      // kobject_add_internal()
      if (e.errno() == io.slabfs.kernel.errno.Errno.EEXIST) {
        // lib/kobject.c has pr_fmt "kobject: " in 6.12 (not in 6.1)
        String prefix =
            io.slabfs.kernel.debug.KernelVersion.parse(sysfs.dmesg().release()).atLeast(6, 12)
                ? "kobject: "
                : "";
        sysfs
            .dmesg()
            .printk(
                prefix
                    + "kobject_add_internal failed for "
                    + name
                    + " with -EEXIST, don't "
                    + "try to register things with the same name in the same directory.");
      } else {
        sysfs
            .dmesg()
            .printk(
                (io.slabfs.kernel.debug.KernelVersion.parse(sysfs.dmesg().release()).atLeast(6, 12)
                        ? "kobject: "
                        : "")
                    + "kobject_add_internal failed for "
                    + name
                    + " (error: -"
                    + e.errno().number()
                    + " parent: "
                    + (p != null ? p.name : "<NULL>")
                    + ")");
      }
      throw e;
    }
    if (kset != null) {
      kset.join(this);
    }
    stateInSysfs = true;
    counted = true;
    sysfs.kobjectAdded();
  }

  /** {@code kobject_init_and_add()}. */
  public KObject<C> initAndAdd(Sysfs sysfs, KObject<?> parent, KSet kset, String name)
      throws ErrnoException {
    init();
    add(sysfs, parent, kset, name);
    return this;
  }

  /** {@code kobject_get()}. */
  public KObject<C> get() {
    touch("kobject_get");
    int v = kref.getAndIncrement();
    if (v <= 0) {
      throw new IllegalStateException("kobject_get on released kobject '" + name + "'");
    }
    return this;
  }

  /** {@code kobject_put()}: the last put runs {@code kobject_release}. */
  public void put() {
    touch("kobject_put");
    int v = kref.decrementAndGet();
    if (v < 0) {
      throw new IllegalStateException("kobject_put underflow on '" + name + "'");
    }
    if (v == 0) {
      Sysfs.DelayedRelease delayed = sysfs == null ? null : sysfs.delayedRelease();
      if (delayed != null && counted) {
        delayed.schedule(name, this::cleanup);
      } else {
        cleanup();
      }
    }
  }

  /** {@code kobject_del()}: unlink from sysfs now; the memory stays until the last put. */
  public void del() {
    KObject<?> p = parent;
    try (Task.Frame a = Task.enter("kobject_del");
        Task.Frame b = Task.enter("__kobject_del")) {
      delInternal();
    }
    parent = null;
    if (p != null) {
      p.put();
    }
  }

  private void delInternal() {
    if (!stateInSysfs) {
      return;
    }
    stateInSysfs = false;
    KernfsDir dir = sd;
    if (dir != null) {
      sysfs.removeDir(dir);
    }
    KSet s = kset;
    if (s != null) {
      s.leave(this);
    }
  }

  /** {@code kobject_cleanup()}. */
  private void cleanup() {
    KObject<?> p = parent;
    if (stateInSysfs) {
      delInternal();
    }
    released = true;
    ktype.release(this);
    if (counted) {
      sysfs.kobjectReleased();
    }
    parent = null;
    if (p != null) {
      p.put();
    }
  }

  public C container() {
    return container;
  }

  public String name() {
    return name;
  }

  public KObject<?> parent() {
    return parent;
  }

  /** The sysfs directory ({@code kobj->sd}); kept after removal, like the kernel's pointer. */
  public KernfsDir sd() {
    return sd;
  }

  public boolean stateInSysfs() {
    return stateInSysfs;
  }

  /** True once the release has run. */
  public boolean isReleased() {
    return released;
  }

  /** The current reference count ({@code kref_read}). */
  public int refcount() {
    return kref.get();
  }

  @Override
  public String toString() {
    return "kobject '" + name + "'";
  }
}
