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
   * A file that is only read: {@code show} gives its content, of any length (not a sysfs text
   * attribute: {@code sim/} files, binary module attributes). {@code key} is its lock class.
   */
  static KernfsOps readOnly(Object key, java.util.function.Supplier<byte[]> show) {
    return new KernfsOps() {
      @Override
      public boolean canRead() {
        return true;
      }

      @Override
      public boolean canWrite() {
        return false;
      }

      @Override
      public byte[] show() {
        return show.get();
      }

      @Override
      public int write(byte[] buf, int len) throws ErrnoException {
        throw io.slabfs.kernel.errno.Errno.EIO.with("read-only");
      }

      @Override
      public Object activeKey() {
        return key;
      }
    };
  }
}
