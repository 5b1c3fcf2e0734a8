package io.slabfs.fs.fuse;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Iattr;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.Kernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.gid_t;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import jnr.ffi.types.uid_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseCallbacks;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.FusePollhandle;
import ru.serce.jnrfuse.struct.Timespec;

/**
 * The FUSE edge: each operation decodes its arguments, makes one call on the model's {@link Vfs} as
 * the calling process, and encodes the answer. {@link #call} is the only try/catch: an {@link
 * ErrnoException} becomes {@code -errno}; anything else is a bug, reported in {@code sim/dmesg} as
 * {@code BUG:} and answered with {@code -EIO}, so no Java exception ever reaches libfuse. That
 * includes an {@link Error}: an {@code OutOfMemoryError} or {@code StackOverflowError} inside one
 * request fails that request, and every other one, and the unmount, go on. Nothing else in slabfs
 * catches {@code Throwable}.
 *
 * <p>Why one class of about 480 lines: one method of about ten lines per FUSE operation slabfs
 * answers (jnr-fuse's {@code FuseStubFS} shape) around the one try/catch; no state to split.
 */
public final class SlabFuse extends FuseStubFS {
  private static final Logger log = LoggerFactory.getLogger(SlabFuse.class);

  private static final ThreadLocal<FileStat> STAT_VIEW =
      ThreadLocal.withInitial(() -> new FileStat(jnr.ffi.Runtime.getSystemRuntime()));
  private static final ThreadLocal<FuseFileInfo> FILE_INFO_VIEW = new ThreadLocal<>();

  // Set before any request can arrive: by the constructor, or by serve before it mounts.
  private Kernel kernel;
  private Vfs vfs;
  private final CountDownLatch initialized = new CountDownLatch(1);
  private final CountDownLatch destroyed = new CountDownLatch(1);

  /**
   * The FUSE operations alone, for {@link #serve}. Building them (jnr-fuse generates a native
   * callback per operation) takes about as long as booting the default kernel, so the daemon does
   * both at once.
   */
  public SlabFuse() {
    // jnr-fuse's own callbacks map a new FileStat or FuseFileInfo (a dozen to two dozen
    // objects) per call. The requests of a stat or a cat (LOOKUP and GETATTR, OPEN, READ,
    // RELEASE) go through these instead, which move one view per thread onto libfuse's struct.
    fuseOperations.getattr.set(
        (FuseCallbacks.GetAttrCallback)
            (path, buf) -> {
              FileStat view = STAT_VIEW.get();
              view.useMemory(buf);
              return getattr(path, view);
            });
    fuseOperations.open.set((FuseCallbacks.OpenCallback) (path, fi) -> open(path, fileInfo(fi)));
    fuseOperations.read.set(
        (FuseCallbacks.ReadCallback)
            (path, buf, size, offset, fi) -> read(path, buf, size, offset, fileInfo(fi)));
    fuseOperations.poll.set(
        (FuseCallbacks.PollCallback)
            (path, fi, ph, reventsp) -> poll(path, fileInfo(fi), ph, reventsp));
    fuseOperations.release.set(
        (FuseCallbacks.ReleaseCallback) (path, fi) -> release(path, fileInfo(fi)));
  }

  private static FuseFileInfo fileInfo(Pointer fi) {
    FuseFileInfo view = FILE_INFO_VIEW.get();
    if (view == null) {
      view = FuseFileInfo.of(fi); // its constructor is not public
      FILE_INFO_VIEW.set(view);
    } else {
      view.useMemory(fi);
    }
    return view;
  }

  /** Operations on {@code kernel}, called directly (tests). */
  public SlabFuse(Kernel kernel) {
    this();
    this.kernel = kernel;
    this.vfs = kernel.vfs();
  }

  /**
   * Mounts at {@code mountpoint} and serves {@code kernel} until it is unmounted; see {@link
   * FuseLoop} for why this is not jnr-fuse's {@code mount}. Returns 0, or 1 if libfuse refused the
   * mount (its reason is on stderr).
   */
  public int serve(Kernel kernel, Path mountpoint, String[] options) {
    this.kernel = kernel;
    this.vfs = kernel.vfs();
    // FuseLoop's workers start after these writes, so they see them. Once the connection is
    // gone, a request blocked in the model can never be answered: fail its waits, as
    // slabfs umount does before unmounting.
    FuseLoop loop = new FuseLoop();
    vfs.setEarlierReleases(loop::awaitEarlierReleases);
    return loop.serve(mountpoint, "slabfs", options, fuseOperations, kernel::abortBlocked);
  }

  /** Counted down when the kernel's FUSE_INIT has been answered. */
  public CountDownLatch initialized() {
    return initialized;
  }

  /** Counted down when libfuse calls {@code destroy} at unmount. */
  public CountDownLatch destroyed() {
    return destroyed;
  }

  @FunctionalInterface
  interface Op {
    int run() throws ErrnoException;
  }

  /** Runs one request as the calling process; the one place where errors are translated. */
  int call(String op, String path, Op body) {
    try {
      Task task = Caller.task(FuseLoop.callerPid()).withUid(FuseLoop.callerUid());
      try {
        return Task.runAs(task, body::run);
      } finally {
        // lockdep_sys_exit(): a request that returns holding a modeled lock is a kernel bug
        kernel.lockdep().checkReturnToUser(task);
      }
    } catch (ErrnoException e) {
      if (log.isDebugEnabled()) {
        log.debug("{} {} -> {} ({})", op, path, e.errno(), e.why());
      }
      return -e.errno().number();
    } catch (Throwable t) {
      log.error("BUG in {} {}", op, path, t);
      try {
        kernel.bug(op + " " + path, t);
      } catch (Throwable ignored) {
        // the report itself failed; the log line above is all there is
      }
      return -Errno.EIO.number();
    }
  }

  @Override
  public int getattr(String path, FileStat stat) {
    return call(
        "getattr",
        path,
        () -> {
          fill(stat, vfs.stat(path));
          return 0;
        });
  }

  /** An fstat(2) on an open file (GETATTR with a handle): no path needed, works after removal. */
  @Override
  public int fgetattr(String path, FileStat stat, FuseFileInfo fi) {
    return call(
        "fgetattr",
        path,
        () -> {
          fill(stat, vfs.fstat(fi.fh.get()));
          return 0;
        });
  }

  static int fileType(Stat.Type t) {
    return switch (t) {
      case DIRECTORY -> FileStat.S_IFDIR;
      case FILE -> FileStat.S_IFREG;
      case SYMLINK -> FileStat.S_IFLNK;
    };
  }

  static void fill(FileStat stat, Stat s) {
    var a = s.attrs();
    stat.st_mode.set(fileType(s.type()) | a.mode());
    stat.st_size.set(s.size());
    stat.st_nlink.set(s.nlink());
    stat.st_uid.set(a.uid());
    stat.st_gid.set(a.gid());
    stat.st_blksize.set(4096);
    stat.st_atim.tv_sec.set(Math.floorDiv(a.atime(), NANOS));
    stat.st_atim.tv_nsec.set(Math.floorMod(a.atime(), NANOS));
    stat.st_mtim.tv_sec.set(Math.floorDiv(a.mtime(), NANOS));
    stat.st_mtim.tv_nsec.set(Math.floorMod(a.mtime(), NANOS));
    stat.st_ctim.tv_sec.set(Math.floorDiv(a.ctime(), NANOS));
    stat.st_ctim.tv_nsec.set(Math.floorMod(a.ctime(), NANOS));
  }

  private static final long NANOS = 1_000_000_000L;

  /** {@code utimensat(2)}'s special {@code tv_nsec} values. */
  private static final long UTIME_NOW = (1L << 30) - 1;

  private static final long UTIME_OMIT = (1L << 30) - 2;

  /** chmod(2); the kernel has checked that the caller owns the node or is root. */
  @Override
  public int chmod(String path, @mode_t long mode) {
    return call(
        "chmod",
        path,
        () -> {
          vfs.setattr(path, Iattr.mode((int) (mode & 07777)));
          return 0;
        });
  }

  /** chown(2), lchown(2) (a symlink's own owner); -1 leaves an id as it is. */
  @Override
  public int chown(String path, @uid_t long uid, @gid_t long gid) {
    return call(
        "chown",
        path,
        () -> {
          vfs.setattr(path, Iattr.owner((int) uid, (int) gid));
          return 0;
        });
  }

  /** utimensat(2), as {@code touch} calls it: {@code UTIME_NOW} and {@code UTIME_OMIT} honoured. */
  @Override
  public int utimens(String path, Timespec[] timespec) {
    return call(
        "utimens",
        path,
        () -> {
          long[] t = new long[2];
          int valid = 0;
          for (int i = 0; i < 2; i++) {
            long nsec = timespec[i].tv_nsec.longValue();
            if (nsec == UTIME_OMIT) {
              continue;
            }
            valid |= i == 0 ? Iattr.ATTR_ATIME : Iattr.ATTR_MTIME;
            if (nsec != UTIME_NOW) {
              valid |= i == 0 ? Iattr.ATTR_ATIME_SET : Iattr.ATTR_MTIME_SET;
              t[i] = timespec[i].tv_sec.get() * NANOS + nsec;
            }
          }
          vfs.setattr(path, new Iattr(valid, 0, 0, 0, t[0], t[1]));
          return 0;
        });
  }

  /** sysfs nodes carry no extended attributes until one is set: an empty list. */
  @Override
  public int listxattr(String path, Pointer list, @size_t long size) {
    return call(
        "listxattr",
        path,
        () -> {
          vfs.stat(path);
          return 0;
        });
  }

  @Override
  public int getxattr(String path, String name, Pointer value, @size_t long size) {
    return call(
        "getxattr",
        path,
        () -> {
          vfs.stat(path);
          throw Errno.ENODATA.with(name + " is not set on " + path);
        });
  }

  @Override
  public int opendir(String path, FuseFileInfo fi) {
    return call(
        "opendir",
        path,
        () -> {
          fi.fh.set(vfs.opendir(path));
          return 0;
        });
  }

  /** By handle: with {@code nopath}, libfuse passes no path to readdir. */
  @Override
  public int readdir(
      String path, Pointer buf, FuseFillDir filter, @off_t long offset, FuseFileInfo fi) {
    return call(
        "readdir",
        path,
        () -> {
          var entries = vfs.readdir(fi.fh.get());
          FileStat type = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
          type.st_mode.set(FileStat.S_IFDIR);
          filter.apply(buf, ".", type, 0);
          filter.apply(buf, "..", type, 0);
          for (Vfs.Dirent e : entries) {
            if (e.name().indexOf('/') >= 0) {
              // kernfs lists an alias link named like its cache ("a/b"), but the kernel's FUSE
              // fails the whole getdents with EIO on a name with '/': leave it out
              continue;
            }
            type.st_mode.set(fileType(e.type()));
            if (filter.apply(buf, e.name(), type, 0) != 0) {
              break;
            }
          }
          return 0;
        });
  }

  @Override
  public int releasedir(String path, FuseFileInfo fi) {
    return call(
        "releasedir",
        path,
        () -> {
          vfs.releasedir(fi.fh.get());
          return 0;
        });
  }

  @Override
  public int readlink(String path, Pointer buf, @size_t long size) {
    return call(
        "readlink",
        path,
        () -> {
          byte[] text = vfs.readlink(path).getBytes(StandardCharsets.UTF_8);
          int n = (int) Math.min(text.length, size - 1);
          buf.put(0, text, 0, n);
          buf.putByte(n, (byte) 0);
          return 0;
        });
  }

  @Override
  public int open(String path, FuseFileInfo fi) {
    return call(
        "open",
        path,
        () -> {
          fi.fh.set(vfs.open(path, fi.flags.get()));
          return 0;
        });
  }

  @Override
  public int read(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return call(
        "read",
        path,
        () -> {
          // fi->flags of a READ are the file's f_flags now (O_NONBLOCK for /dev/kmsg)
          byte[] data =
              vfs.read(
                  fi.fh.get(), offset, (int) Math.min(size, Integer.MAX_VALUE), fi.flags.get());
          buf.put(0, data, 0, data.length);
          return data.length;
        });
  }

  @Override
  public int write(
      String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
    return call(
        "write",
        path,
        () -> {
          int n = (int) Math.min(size, Integer.MAX_VALUE);
          byte[] data = new byte[n];
          buf.get(0, data, 0, n);
          return vfs.write(fi.fh.get(), offset, data, n);
        });
  }

  @Override
  public int truncate(String path, @off_t long size) {
    return call(
        "truncate",
        path,
        () -> {
          vfs.truncate(path);
          return 0;
        });
  }

  @Override
  public int release(String path, FuseFileInfo fi) {
    return call(
        "release",
        path,
        () -> {
          vfs.release(fi.fh.get());
          return 0;
        });
  }

  /**
   * {@code poll(2)}: the file's ready events; when none is ready and the kernel asked to be told
   * ({@code ph} set, {@code FUSE_POLL_SCHEDULE_NOTIFY}), {@code fuse_notify_poll(ph)} at the next
   * wake-up of the file's wait queue. A file without {@code ->poll} answers {@code
   * DEFAULT_POLLMASK}, as the kernel does.
   */
  @Override
  public int poll(String path, FuseFileInfo fi, FusePollhandle ph, Pointer reventsp) {
    return poll(path, fi, ph == null ? null : Struct.getMemory(ph), reventsp);
  }

  /** {@link #poll} with the handle as libfuse passes it: {@code NULL} when no notify is wanted. */
  private int poll(String path, FuseFileInfo fi, Pointer phPointer, Pointer reventsp) {
    return call(
        "poll",
        path,
        () -> {
          Runnable wake = null;
          if (phPointer != null && phPointer.address() != 0) {
            FusePollhandle ph = FusePollhandle.of(phPointer);
            wake =
                () -> {
                  libFuse.fuse_notify_poll(ph);
                  libFuse.fuse_pollhandle_destroy(ph);
                };
          }
          reventsp.putInt(0, vfs.poll(fi.fh.get(), wake));
          return 0;
        });
  }

  /** Creating a file in a kernfs directory: no {@code ->create}, so {@code EACCES}. */
  @Override
  public int create(String path, @mode_t long mode, FuseFileInfo fi) {
    return -ErrorCodes.EACCES();
  }

  /** kernfs directories of sysfs have no {@code ->mkdir}/{@code ->unlink}/...: {@code EPERM}. */
  @Override
  public int mkdir(String path, @mode_t long mode) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public int rmdir(String path) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public int unlink(String path) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public int rename(String oldpath, String newpath) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public int symlink(String oldpath, String newpath) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public int link(String oldpath, String newpath) {
    return -ErrorCodes.EPERM();
  }

  @Override
  public Pointer init(Pointer conn) {
    initialized.countDown();
    return null;
  }

  @Override
  public void destroy(Pointer initResult) {
    destroyed.countDown();
  }
}
