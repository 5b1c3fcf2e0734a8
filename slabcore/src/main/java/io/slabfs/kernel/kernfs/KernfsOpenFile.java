package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.LockClass;
import io.slabfs.kernel.locking.LockMap;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.locking.Task;
import java.util.Arrays;

/**
 * Models: fs/kernfs/file.c.
 *
 * <p>A {@code struct kernfs_open_file} with its single-record {@code seq_file}: what one {@code
 * open()} of an attribute gives.
 *
 * <p>Reads follow {@code seq_read_iter} (kernel-model 4.4): a read at position 0 resets the
 * iterator and calls {@code show()} again; a read at a position other than the remembered one
 * regenerates and skips ({@code traverse}); sequential reads are served from the buffer; once the
 * record is consumed the next read calls {@code start} again, which takes an active reference, so a
 * removed file answers {@code ENODEV} even after EOF. Writes follow {@code kernfs_fop_write_iter}
 * (1.4): at most {@code PAGE_SIZE} bytes per call, one store per call.
 *
 * <p>Concurrency: {@link #mutex} ({@code of->mutex}) serialises the operations of this one open
 * file; the file holds an active reference only inside a read or write, never in between.
 *
 * <p>Why one class of about 460 lines: fs/kernfs/file.c's open file here serves the three kinds of
 * node that share its state (the file's lock, position and buffer, the poll event and the count of
 * open files): sysfs attributes, procfs seq files and sysctls, and device files ({@code sim/kmsg});
 * split by kind, each part would repeat the open, read and release bookkeeping.
 */
public final class KernfsOpenFile {
  public static final int PAGE_SIZE = 4096;

  private final KernfsFile kn;
  private final boolean readable;
  private final boolean writable;
  private final Mutex mutex;
  private final LockMap sbWriters;

  /** The pid of the task that opened it (ours: simulator, for {@link Vfs#awaitOpenFiles}). */
  private final int opener = Task.current().pid();

  /** The device's open file, for a node that serves one ({@link KernfsOps#openDevice}). */
  private final DeviceFile device;

  /** {@code file->f_cred}'s fsuid: who opened the file. */
  private final int openerUid;

  /** {@code of->event}: the node's event count when this file last read it. */
  private volatile int event;

  // seq_file state, guarded by mutex
  private byte[] buf = new byte[0];
  private int from;
  private int count;
  private long index;
  private long readPos;
  private boolean released;

  private KernfsOpenFile(KernfsFile kn, boolean readable, boolean writable, DeviceFile device) {
    this.kn = kn;
    this.device = device;
    this.readable = readable;
    this.writable = writable;
    KernfsRoot root = kn.root();
    this.openerUid = Task.current().uid();
    this.mutex =
        kn.procfs()
            ? new Mutex(root.lockdep(), root.seqFileLockKey, "&p->lock")
            : new Mutex(root.lockdep(), root.ofMutexKey, "&of->mutex");
    Object sbKey = kn.procfs() ? KernfsRoot.PROC_SB_WRITERS_KEY : root.sbWritersKey;
    this.sbWriters =
        new LockMap(
            root.lockdep().classFor(sbKey, "sb_writers", LockClass.Kind.PERCPU_READ), sbKey, false);
  }

  /**
   * {@code kernfs_fop_open()}: the extra permission check of sysfs roots (refuse a mode bit or an
   * operation that is missing, even for root), then a brief active reference.
   */
  public static KernfsOpenFile open(KernfsFile kn, boolean read, boolean write)
      throws ErrnoException {
    try (KernfsNode.Active a = kn.getActive()) {
      if (kn.procfs() && !kn.ops().sysctl()) {
        // proc_reg_open(): the VFS's own permission check is all (root may open a 0444 file
        // for writing); a write without ->proc_write then fails with EIO (pde_write)
        kn.root().openedFile();
        return new KernfsOpenFile(kn, read, write, null);
      }
      if (kn.ops().sysctl()) {
        // proc_sys_permission() -> sysctl_perm(): the table's mode, not even root exempt
        if (!sysctlPerm(kn, read, write)) {
          throw Errno.EACCES.with(kn.path() + ": sysctl mode " + Integer.toOctalString(kn.mode()));
        }
        kn.root().openedFile();
        return new KernfsOpenFile(kn, read, write, null);
      }
      if (write && ((kn.mode() & 0222) == 0 || !kn.ops().canWrite())) {
        throw Errno.EACCES.with(kn.path() + " is not writable");
      }
      if (read && ((kn.mode() & 0444) == 0 || !kn.ops().canRead())) {
        throw Errno.EACCES.with(kn.path() + " is not readable");
      }
      DeviceFile device = kn.ops().openDevice(read, write);
      kn.root().openedFile();
      return new KernfsOpenFile(kn, read, write, device);
    }
  }

  /**
   * {@code test_perm()} of fs/proc/proc_sysctl.c: root gets the owner's bits, anyone else the
   * others' (the model has no groups).
   */
  private static boolean sysctlPerm(KernfsFile kn, boolean read, boolean write) {
    int mode = Task.current().uid() == 0 ? kn.mode() >> 6 : kn.mode();
    return (!read || (mode & 4) != 0) && (!write || (mode & 2) != 0);
  }

  public KernfsFile node() {
    return kn;
  }

  /** The pid of the task that opened it. */
  int opener() {
    return opener;
  }

  /** {@code read(2)}/{@code pread(2)} of up to {@code size} bytes at {@code pos}. */
  public byte[] read(long pos, int size) throws ErrnoException {
    return read(pos, size, 0);
  }

  /**
   * {@code read(2)}/{@code pread(2)} of up to {@code size} bytes at {@code pos}, the file's {@code
   * f_flags} being {@code flags} ({@code O_NONBLOCK} matters to a device).
   */
  public byte[] read(long pos, int size, int flags) throws ErrnoException {
    if (!readable) {
      throw Errno.EBADF.with("not open for reading");
    }
    if (device != null) {
      try (Task.Frame a = Task.enter("ksys_read");
          Task.Frame b = Task.enter("vfs_read")) {
        return device.read(size, flags);
      }
    }
    if (size <= 0) {
      return new byte[0];
    }
    if (kn.ops().sysctl()) {
      return sysctlRead(pos, size);
    }
    if (kn.procfs()) {
      // slabinfo, modules...: proc_ops with .proc_read = seq_read
      try (Task.Frame a = Task.enter("ksys_read");
          Task.Frame b = Task.enter("vfs_read");
          Task.Frame c = Task.enter("proc_reg_read");
          Task.Frame d = Task.enter("seq_read");
          Task.Frame e = Task.enter("seq_read_iter")) {
        return seqReadIter(pos, size);
      }
    }
    if (kn.ops().readsAtPosition()) {
      try (Task.Frame a = Task.enter("ksys_read");
          Task.Frame b = Task.enter("vfs_read");
          Task.Frame c = Task.enter("kernfs_file_read_iter")) {
        return readAt(pos, size);
      }
    }
    try (Task.Frame a = Task.enter("ksys_read");
        Task.Frame b = Task.enter("vfs_read");
        Task.Frame c = Task.enter("kernfs_fop_read_iter");
        Task.Frame d = Task.enter("seq_read_iter")) {
      return seqReadIter(pos, size);
    }
  }

  /**
   * {@code kernfs_file_read_iter()}: under the mutex and an active reference, the bytes at {@code
   * pos}. A read that goes on where the previous one ended is served from that rendering while it
   * lasts, so one pass of {@code cat} sees one consistent rendering; any other read, and a read at
   * the end of it, renders afresh.
   */
  private byte[] readAt(long pos, int size) throws ErrnoException {
    mutex.lock();
    try {
      if (pos == 0 || pos != readPos || pos >= buf.length) {
        try (KernfsNode.Active a = kn.getActive()) {
          event = kn.event(); // kernfs_file_read_iter(): of->event = on->event
          buf = kn.ops().show();
        }
      }
      readPos = pos;
      if (pos >= buf.length) {
        return new byte[0];
      }
      byte[] out = Arrays.copyOfRange(buf, (int) pos, (int) Math.min(buf.length, pos + size));
      readPos += out.length;
      return out;
    } finally {
      mutex.unlock();
    }
  }

  /** {@code seq_read_iter()}: under the open file's mutex, from the buffer or a new show(). */
  private byte[] seqReadIter(long pos, int size) throws ErrnoException {
    mutex.lock();
    try {
      if (pos == 0) {
        index = 0;
        count = 0;
      }
      if (pos != readPos) {
        traverse(pos);
        readPos = pos;
      }
      byte[] out = new byte[size];
      int copied = 0;
      if (count > 0) {
        int n = Math.min(count, size);
        System.arraycopy(buf, from, out, 0, n);
        from += n;
        count -= n;
        copied = n;
        if (count > 0 || copied == size) {
          readPos += copied;
          return Arrays.copyOf(out, copied);
        }
      }
      from = 0;
      ErrnoException err = null;
      try {
        if (showNext()) {
          int n = Math.min(count, size - copied);
          System.arraycopy(buf, 0, out, copied, n);
          from = n;
          count -= n;
          copied += n;
        }
      } catch (ErrnoException e) {
        err = e;
      }
      if (copied == 0 && err != null) {
        throw err;
      }
      readPos += copied;
      return Arrays.copyOf(out, copied);
    } finally {
      mutex.unlock();
    }
  }

  /**
   * {@code kernfs_seq_start()} + {@code single_start}, {@code kernfs_seq_show()}, {@code
   * kernfs_seq_stop()}: under an active reference, runs {@code show()} if there is a record at the
   * current index (the first); returns false at EOF.
   */
  private boolean showNext() throws ErrnoException {
    try (KernfsNode.Active a = kn.getActive()) {
      if (index != 0) {
        return false;
      }
      try (Task.Frame f = Task.enter(kn.procfs() ? "seq_read_iter" : "kernfs_seq_show")) {
        event = kn.event(); // kernfs_seq_show(): of->event = on->event
        byte[] record = kn.ops().show(openerUid);
        buf = record;
        count = record.length;
        index++;
      }
      return true;
    }
  }

  /**
   * {@code proc_sys_read()} → {@code proc_sys_call_handler()}: the handler formats the value into a
   * buffer of {@code size} bytes; a read at a non-zero position reads nothing ({@code *ppos &&
   * !write}).
   */
  private byte[] sysctlRead(long pos, int size) throws ErrnoException {
    try (Task.Frame a = Task.enter("ksys_read");
        Task.Frame b = Task.enter("vfs_read");
        Task.Frame c = Task.enter("proc_sys_read");
        Task.Frame d = Task.enter("proc_sys_call_handler");
        KernfsNode.Active active = kn.getActive()) {
      if (!sysctlPerm(kn, true, false)) {
        throw Errno.EPERM.with(kn.path() + ": not readable by uid " + Task.current().uid());
      }
      if (pos != 0) {
        return new byte[0];
      }
      byte[] all = kn.ops().show(openerUid);
      return all.length <= size ? all : Arrays.copyOf(all, size);
    }
  }

  /**
   * {@code proc_sys_write()} → {@code proc_sys_call_handler()}: every byte of the write (with a NUL
   * after them) and the file position go to the handler, under procfs's {@code sb_writers}.
   */
  private int sysctlWrite(byte[] data, int len, long pos) throws ErrnoException {
    byte[] buffer = Arrays.copyOf(data, len + 1);
    buffer[len] = 0;
    Lockdep lockdep = kn.root().lockdep();
    try (Task.Frame a = Task.enter("ksys_write")) {
      lockdep.acquire(sbWriters, 1, false); // file_start_write()
      try (Task.Frame b = Task.enter("vfs_write");
          Task.Frame c = Task.enter("proc_sys_write");
          Task.Frame d = Task.enter("proc_sys_call_handler");
          KernfsNode.Active active = kn.getActive()) {
        if (!sysctlPerm(kn, false, true)) {
          throw Errno.EPERM.with(kn.path() + ": not writable by uid " + Task.current().uid());
        }
        return len == 0 ? 0 : kn.ops().write(buffer, len, pos);
      } finally {
        lockdep.release(sbWriters);
      }
    }
  }

  /** {@code traverse()}: regenerate from the start and skip to {@code offset}. */
  private void traverse(long offset) throws ErrnoException {
    index = 0;
    count = 0;
    from = 0;
    if (offset == 0) {
      return;
    }
    if (showNext()) {
      if (offset < count) {
        from = (int) offset;
        count -= from;
      } else {
        count = 0;
      }
    }
  }

  /**
   * {@code write(2)}: the first {@code min(len, PAGE_SIZE)} bytes go to one {@code store()} with a
   * NUL after them; an empty write returns 0 without a store.
   */
  public int write(byte[] data, int len) throws ErrnoException {
    return write(data, len, 0);
  }

  /** {@code pwrite(2)} at {@code pos}: only a sysctl looks at the position. */
  public int write(byte[] data, int len, long pos) throws ErrnoException {
    if (!writable) {
      throw Errno.EBADF.with("not open for writing");
    }
    if (device != null) {
      try (Task.Frame a = Task.enter("ksys_write");
          Task.Frame b = Task.enter("vfs_write")) {
        return device.write(Arrays.copyOf(data, len), len);
      }
    }
    if (kn.ops().sysctl()) {
      return sysctlWrite(data, len, pos);
    }
    if (kn.procfs()) {
      // proc_reg_write() -> pde_write(): no ->proc_write, so -EIO
      try (KernfsNode.Active active = kn.getActive()) {
        return kn.ops().write(Arrays.copyOf(data, len + 1), len, pos);
      }
    }
    int n = Math.min(len, PAGE_SIZE);
    byte[] buffer = Arrays.copyOf(data, n + 1);
    buffer[n] = 0; // buf[len] = '\0', even when more was written
    if (kn.ops().isSyscall()) {
      try (Task.Frame a = Task.enter("ksys_write")) {
        return n == 0 ? 0 : kn.ops().write(buffer, n);
      }
    }
    Lockdep lockdep = kn.root().lockdep();
    try (Task.Frame a = Task.enter("ksys_write")) {
      lockdep.acquire(sbWriters, 1, false); // file_start_write()
      try (Task.Frame b = Task.enter("vfs_write");
          Task.Frame c = Task.enter("kernfs_fop_write_iter")) {
        mutex.lock();
        try (KernfsNode.Active active = kn.getActive()) {
          return n == 0 ? 0 : kn.ops().write(buffer, n);
        } finally {
          mutex.unlock();
        }
      } finally {
        lockdep.release(sbWriters);
      }
    }
  }

  /** {@code llseek}: needs an active reference, like every other operation on the file. */
  public void checkAlive() throws ErrnoException {
    try (KernfsNode.Active a = kn.getActive()) {
      // only whether it could be taken
    }
  }

  /** {@code DEFAULT_POLLMASK}: {@code EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM}. */
  static final int DEFAULT_POLLMASK = DeviceFile.POLLIN | DeviceFile.POLLRDNORM | 0x4 | 0x100;

  /** {@code EPOLLERR | EPOLLPRI}: what sysfs pollers wait for. */
  static final int POLLERR_PRI = 0x8 | 0x2;

  /**
   * {@code poll(2)}: a device's {@code ->poll}; for an attribute, {@code kernfs_fop_poll()} →
   * {@code kernfs_generic_poll()}: {@code DEFAULT_POLLMASK}, plus {@code EPOLLERR|EPOLLPRI} when
   * the node has been notified since this file last read it (so before its first read too: {@code
   * on->event} starts at 1, {@code of->event} at 0) or when the node is gone. {@code wake}, if not
   * null, runs at the node's next {@link KernfsFile#notifyPollers notify} ({@code poll_wait}). A
   * procfs file without {@code ->proc_poll} answers {@code DEFAULT_POLLMASK}.
   */
  public int poll(Runnable wake) {
    if (device != null) {
      return device.poll(wake);
    }
    if (kn.procfs()) {
      return DEFAULT_POLLMASK;
    }
    try (KernfsNode.Active a = kn.getActive()) {
      if (wake != null) {
        kn.pollWait(wake);
      }
      return event != kn.event() ? DEFAULT_POLLMASK | POLLERR_PRI : DEFAULT_POLLMASK;
    } catch (ErrnoException e) {
      return DEFAULT_POLLMASK | POLLERR_PRI;
    }
  }

  /** {@code kernfs_fop_release()}: always succeeds, even after the node was removed. */
  public void release() {
    if (device != null) {
      synchronized (this) {
        if (!releaseOnce()) {
          return;
        }
      }
      device.release();
      return;
    }
    if (kn.procfs()) {
      // seq_release()/proc_sys's release: no lock of the file's
      synchronized (this) {
        releaseOnce();
      }
      return;
    }
    mutex.lock();
    try {
      releaseOnce();
    } finally {
      mutex.unlock();
    }
  }

  /** Counts the file as closed, once; false if it was already. */
  private boolean releaseOnce() {
    if (released) {
      return false;
    }
    released = true;
    kn.root().releasedFile();
    return true;
  }
}
