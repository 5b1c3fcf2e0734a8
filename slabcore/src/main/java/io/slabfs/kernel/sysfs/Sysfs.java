package io.slabfs.kernel.sysfs;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsFile;
import io.slabfs.kernel.kernfs.KernfsLink;
import io.slabfs.kernel.kernfs.KernfsNode;
import io.slabfs.kernel.kernfs.KernfsOpenFile;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.locking.Task;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models: fs/sysfs/file.c (with the few lines of fs/sysfs/dir.c and symlink.c it needs).
 *
 * <p>fs/sysfs: directories, attribute files and links on top of kernfs, with the generic {@code
 * sysfs_kf_seq_show} / {@code sysfs_kf_write} glue between a kernfs file and an {@link Attribute}.
 */
public final class Sysfs {
  private final KernfsRoot kernfs;
  private final Dmesg dmesg;
  private final AtomicInteger kobjects = new AtomicInteger();
  private volatile DelayedRelease delayedRelease;

  /** {@code CONFIG_DEBUG_KOBJECT_RELEASE}: schedules a release to run later. */
  @FunctionalInterface
  public interface DelayedRelease {
    /** Prints the kernel's line and runs {@code cleanup} 1-4 s later on a kworker. */
    void schedule(String name, Runnable cleanup);
  }

  /** Turns on delayed kobject releases ({@code --debug-kobject-release}). */
  public void setDelayedRelease(DelayedRelease d) {
    delayedRelease = d;
  }

  /** The delayed-release hook, or {@code null} when releases run at once. */
  public DelayedRelease delayedRelease() {
    return delayedRelease;
  }

  public Sysfs(KernfsRoot kernfs, Dmesg dmesg) {
    this.kernfs = kernfs;
    this.dmesg = dmesg;
  }

  public KernfsRoot kernfs() {
    return kernfs;
  }

  public Dmesg dmesg() {
    return dmesg;
  }

  /** Number of kobjects added to sysfs and not yet released. */
  public int kobjectCount() {
    return kobjects.get();
  }

  /** Book-keeping for {@code sim/stats}: a kobject was added, or released. */
  public void kobjectAdded() {
    kobjects.incrementAndGet();
  }

  public void kobjectReleased() {
    kobjects.decrementAndGet();
  }

  /** {@code sysfs_create_dir_ns()}: {@code EEXIST} with the kernel's warning if taken. */
  public KernfsDir createDir(KernfsDir parent, String name) throws ErrnoException {
    try {
      return kernfs.createDir(parent, name, 0755);
    } catch (ErrnoException e) {
      warnDup(parent, name, e);
      throw e;
    }
  }

  /** {@code sysfs_create_file()} for one attribute of {@code obj}. */
  public <T> KernfsFile createFile(KernfsDir dir, T obj, Attribute<T> attr) throws ErrnoException {
    return createFile(dir, obj, attr, "kobj_attr");
  }

  /**
   * {@code sysfs_create_file()} whose kobject type's {@code sysfs_ops} is named {@code ops} (e.g.
   * {@code slab_attr}, giving {@code slab_attr_show}/{@code slab_attr_store} frames).
   */
  public <T> KernfsFile createFile(KernfsDir dir, T obj, Attribute<T> attr, String ops)
      throws ErrnoException {
    return createFile(dir, obj, attr, ops, attr);
  }

  /**
   * {@code sysfs_create_file()} of a dynamically allocated attribute whose {@code attr->key} was
   * set by {@code sysfs_attr_init()}: {@code lockKey} is that call site's static key, the {@code
   * kn->active} class of every attribute initialised there.
   */
  public <T> KernfsFile createFile(
      KernfsDir dir, T obj, Attribute<T> attr, String ops, Object lockKey) throws ErrnoException {
    try {
      return kernfs.createFile(
          dir,
          attr.name(),
          attr.mode(),
          new AttrOps<>(obj, attr, ops, lockKey),
          KernfsOpenFile.PAGE_SIZE);
    } catch (ErrnoException e) {
      warnDup(dir, attr.name(), e);
      throw e;
    }
  }

  /** {@code sysfs_create_group()} / {@code sysfs_create_files()}: all or nothing. */
  public <T> void createFiles(KernfsDir dir, T obj, List<Attribute<T>> attrs, String ops)
      throws ErrnoException {
    for (int i = 0; i < attrs.size(); i++) {
      try {
        createFile(dir, obj, attrs.get(i), ops);
      } catch (ErrnoException e) {
        for (int j = 0; j < i; j++) {
          kernfs.removeByName(dir, attrs.get(j).name());
        }
        throw e;
      }
    }
  }

  /** {@code sysfs_create_link()}. */
  public KernfsLink createLink(KernfsDir dir, KernfsNode target, String name)
      throws ErrnoException {
    try {
      return kernfs.createLink(dir, name, target);
    } catch (ErrnoException e) {
      warnDup(dir, name, e);
      throw e;
    }
  }

  /**
   * {@code sysfs_remove_link()}: {@code kernfs_remove_by_name()}, which removes the entry of that
   * name whatever its type (a directory with all below it); silently nothing if there is none.
   */
  public void removeLink(KernfsDir dir, String name) {
    kernfs.removeByName(dir, name);
  }

  /** {@code sysfs_remove_dir()}: removes and drains the directory and all below it. */
  public void removeDir(KernfsDir dir) {
    kernfs.remove(dir);
  }

  /** {@code sysfs_warn_dup()}. */
  private void warnDup(KernfsDir parent, String name, ErrnoException e) {
    if (e.errno() == Errno.EEXIST) {
      String path = parent.path().isEmpty() ? "/" + name : "/" + parent.path() + "/" + name;
      dmesg.printk("sysfs: cannot create duplicate filename '" + path + "'");
      io.slabfs.kernel.locking.Task t = io.slabfs.kernel.locking.Task.current();
      java.util.List<String> frames =
          new java.util.ArrayList<>(
              java.util.List.of(
                  "dump_stack_lvl",
                  "dump_stack",
                  "sysfs_warn_dup",
                  "sysfs_create_dir_ns",
                  "kobject_add_internal"));
      frames.addAll(t.frames());
      frames.addAll(io.slabfs.kernel.debug.DumpStack.entryFrames(dmesg.release(), t.isKthread()));
      dmesg.printkRecords(
          io.slabfs.kernel.debug.DumpStack.dumpStack(
              dmesg.release(), dmesg.taint(), 0, t.pid(), t.comm(), frames));
    }
  }

  /** The kernfs ops of one (object, attribute) file: {@code sysfs_file_kfops_rw} and friends. */
  private final class AttrOps<T> implements KernfsOps {
    private final T obj;
    private final Attribute<T> attr;
    private final String ops;
    private final Object lockKey;

    AttrOps(T obj, Attribute<T> attr, String ops, Object lockKey) {
      this.obj = obj;
      this.attr = attr;
      this.ops = ops;
      this.lockKey = lockKey;
    }

    @Override
    public boolean canRead() {
      return attr.show() != null;
    }

    @Override
    public boolean canWrite() {
      return attr.store() != null;
    }

    /** {@code sysfs_kf_seq_show()}: a page, and the "bad count" clamp. */
    @Override
    public byte[] show() throws ErrnoException {
      if (attr.show() == null) {
        throw Errno.EIO.with(attr.name() + " has no show");
      }
      byte[] out;
      try (Task.Frame a = Task.enter(ops + "_show");
          Task.Frame b = Task.enter(attr.name() + "_show")) {
        // show() text is bytes: a charp parameter gives back exactly what was stored
        out = attr.show().show(obj).getBytes(StandardCharsets.ISO_8859_1);
      }
      if (out.length >= KernfsOpenFile.PAGE_SIZE) {
        dmesg.printk("fill_read_buffer: " + attr.name() + "_show returned bad count");
        byte[] clamped = new byte[KernfsOpenFile.PAGE_SIZE - 1];
        System.arraycopy(out, 0, clamped, 0, clamped.length);
        return clamped;
      }
      return out;
    }

    /** {@code sysfs_kf_write()}: no store for an empty write; {@code -EIO} without a store. */
    @Override
    public int write(byte[] buf, int len) throws ErrnoException {
      if (len == 0) {
        return 0;
      }
      if (attr.store() == null) {
        throw Errno.EIO.with(attr.name() + " has no store");
      }
      try (Task.Frame a = Task.enter(ops + "_store");
          Task.Frame b = Task.enter(attr.name() + "_store")) {
        return attr.store().store(obj, buf, len);
      }
    }

    @Override
    public Object activeKey() {
      return lockKey;
    }
  }
}
