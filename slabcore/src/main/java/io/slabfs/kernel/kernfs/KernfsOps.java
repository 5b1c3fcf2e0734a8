package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.ErrnoException;

/**
 * Models: include/linux/kernfs.h.
 *
 * <p>{@code struct kernfs_ops} for text attributes: {@code seq_show} and {@code write}. The sysfs
 * layer implements it for each (kobject, attribute) pair.
 */
public interface KernfsOps {
  /** Whether the file has a read operation (checked at open, kernel-model 1.4). */
  boolean canRead();

  /** Whether the file has a write operation. */
  boolean canWrite();

  /**
   * Fills one seq_file record: at most {@code PAGE_SIZE} bytes. Runs with an active reference on
   * the node and the open file's mutex held.
   */
  byte[] show() throws ErrnoException;

  /**
   * One {@code write()}: {@code buf} holds {@code len} bytes (at most {@code PAGE_SIZE}) followed
   * by a NUL. Returns the number of bytes consumed.
   */
  int write(byte[] buf, int len) throws ErrnoException;

  /**
   * The lock class key of this file's {@code kn->active} (the attribute definition), so that every
   * cache's {@code cpu_partial} shares one class.
   */
  Object activeKey();

  /**
   * True for a file whose write stands for a system call of its own rather than a sysfs store
   * ({@code sim/ctl}): the command runs as the writing task without the file's {@code of->mutex} or
   * active reference, as {@code delete_module} or a module's init would.
   */
  default boolean isSyscall() {
    return false;
  }

  /**
   * For a node that serves a character device's file operations instead of a kernfs attribute
   * ({@code sim/kmsg} is {@code /dev/kmsg}): the device's {@code ->open}, whose {@link DeviceFile}
   * serves every later operation on that open file. {@code null} (the default): a kernfs attribute.
   */
  default DeviceFile openDevice(boolean read, boolean write) throws ErrnoException {
    return null;
  }

  /**
   * Whether reads go to a {@code ->read} of their own instead of the seq_file ({@code
   * kernfs_file_read_iter}): a read returns the bytes of {@link #show} at its position, and a
   * reader that reached the end and reads again there gets a fresh rendering, so it sees what was
   * added since ({@code tail -f}); a seq_file answers EOF there until the next read at 0.
   */
  default boolean readsAtPosition() {
    return false;
  }

  /**
   * True for a procfs file ({@code proc_create()}, fs/proc/generic.c): a read runs its {@code
   * seq_file} under the file's {@code &p->lock}, not kernfs's {@code &of->mutex}, and procfs
   * annotates no {@code kn->active} for lockdep (its {@code pde_users} count is not a lock).
   */
  default boolean procfs() {
    return false;
  }

  /**
   * {@code st_size}, or -1 for the size the node was created with. A file of the simulator's own
   * that is not a sysfs attribute ({@code sim/dmesg}) reports the length its content has now, so
   * that {@code tail -f} and {@code sendfile}-based copies see all of it.
   */
  default long size() throws ErrnoException {
    return -1;
  }

  /**
   * True for a sysctl ({@code proc_sys_call_handler()}, fs/proc/proc_sysctl.c): no {@code
   * seq_file}; a read at a position other than 0 reads nothing, a read of {@code count} bytes gets
   * at most {@code count}, and a write hands all its bytes and the file position to the handler.
   * Implies {@link #procfs()}.
   */
  default boolean sysctl() {
    return false;
  }

  /**
   * {@link #show()} for a file opened with {@code file->f_cred} of {@code openerUid}: files whose
   * content depends on who opened them ({@code kallsyms_show_value(file->f_cred)}) override it.
   */
  default byte[] show(int openerUid) throws ErrnoException {
    return show();
  }

  /**
   * One {@code write()} at file position {@code pos}; only sysctls look at the position ({@code
   * sysctl_writes_strict}). {@code len} may exceed {@code PAGE_SIZE} for them.
   */
  default int write(byte[] buf, int len, long pos) throws ErrnoException {
    return write(buf, len);
  }

  /**
   * A file that is only read: {@code show} gives its content, of any length (not a sysfs text
   * attribute: {@code sim/} files, binary module attributes). {@code key} is its lock class.
   */
  static KernfsOps readOnly(Object key, java.util.function.Supplier<byte[]> show) {
    return readOnlyFor(key, uid -> show.get());
  }

  /**
   * {@link #readOnly} for a file whose content depends on the credentials it was opened with
   * ({@code file->f_cred}): {@code show} gets the opener's uid.
   */
  static KernfsOps readOnlyFor(Object key, java.util.function.IntFunction<byte[]> show) {
    return new ReadOnly(key, show);
  }

  /**
   * A file that is only read, whose content {@code show} renders for the opener's uid; {@code key}
   * is its lock class. Subclasses say how the file is read ({@link #procfs}, {@link
   * #readsAtPosition}, {@link #size}).
   */
  class ReadOnly implements KernfsOps {
    private final Object key;
    private final java.util.function.IntFunction<byte[]> show;

    public ReadOnly(Object key, java.util.function.IntFunction<byte[]> show) {
      this.key = key;
      this.show = show;
    }

    @Override
    public boolean canRead() {
      return true;
    }

    @Override
    public boolean canWrite() {
      return false;
    }

    @Override
    public byte[] show() throws ErrnoException {
      return show(0);
    }

    @Override
    public byte[] show(int openerUid) throws ErrnoException {
      return show.apply(openerUid);
    }

    @Override
    public int write(byte[] buf, int len) throws ErrnoException {
      throw io.slabfs.kernel.errno.Errno.EIO.with("read-only");
    }

    @Override
    public Object activeKey() {
      return key;
    }
  }
}
