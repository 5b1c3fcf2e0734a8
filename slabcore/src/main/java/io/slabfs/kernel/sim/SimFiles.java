package io.slabfs.kernel.sim;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.kernfs.KernfsRoot;
import java.nio.charset.StandardCharsets;

/**
 * {@code sim/}: the simulator's own window, which real sysfs does not have. Its files are not
 * sysfs attributes: they may be longer than a page ({@code dmesg}), and like procfs files they
 * report size 0.
 */
final class SimFiles {
  /** Extra inodes for {@code sim/ctl} commands that run side by side. */
  static final int CTL_CHANNELS = 8;

  private SimFiles() {}

  static void create(KernfsRoot kernfs, Kernel kernel) throws ErrnoException {
    KernfsDir sim = kernfs.createDir(kernfs.rootDir(), "sim", 0755);
    kernfs.createFile(sim, "dmesg", 0400, readOnly(() -> kernel.dmesg().contents()), 0);
    kernfs.createFile(sim, "variant", 0444, readOnly(() -> bytes(kernel.variant())), 0);
    kernfs.createFile(sim, "stats", 0444, readOnly(() -> bytes(kernel.stats())), 0);
    kernfs.createFile(sim, "ctl", 0200, writeOnly(kernel.ctl()), 0);
    // FUSE serialises writes to one inode (i_rwsem), so a command blocked in sim/ctl would
    // hold up every other; these are the same interpreter under other inodes.
    KernfsDir channels = kernfs.createDir(sim, "ctl.d", 0755);
    for (int i = 0; i < CTL_CHANNELS; i++) {
      kernfs.createFile(channels, Integer.toString(i), 0200, writeOnly(kernel.ctl()), 0);
    }
    kernfs.createFile(sim, "lockdep", 0400, readOnly(() -> bytes(kernel.lockdep().procLockdep())),
        0);
    kernfs.createFile(sim, "lockdep.dot", 0400, readOnly(() -> bytes(kernel.lockdep().dot())), 0);
    kernfs.createFile(sim, "held_locks", 0400,
        readOnly(() -> bytes(kernel.lockdep().showAllLocks(System.nanoTime()))), 0);
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

  /** Each sim file is its own kn->active class. */
  private static KernfsOps readOnly(java.util.function.Supplier<byte[]> show) {
    return KernfsOps.readOnly(new Object(), show);
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
