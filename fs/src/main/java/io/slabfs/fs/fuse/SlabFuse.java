package io.slabfs.fs.fuse;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.sim.Kernel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import jnr.ffi.Pointer;
import jnr.ffi.types.mode_t;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseCallbacks;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;

/**
 * The FUSE edge: each operation decodes its arguments, makes one call on the model's {@link Vfs} as
 * the calling process, and encodes the answer. {@link #call} is the only try/catch: an {@link
 * ErrnoException} becomes {@code -errno}; anything else is a bug, reported in {@code sim/dmesg} as
 * {@code BUG:} and answered with {@code -EIO}, so no Java exception ever reaches libfuse. That
 * includes an {@link Error}: an {@code OutOfMemoryError} or {@code StackOverflowError} inside one
 * request fails that request, and every other one, and the unmount, go on. Nothing else in slabfs
 * catches {@code Throwable}.
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
    return new FuseLoop()
        .serve(mountpoint, "slabfs", options, fuseOperations, kernel::abortBlocked);
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
    stat.st_mode.set(fileType(s.type()) | s.mode());
    stat.st_size.set(s.size());
    stat.st_nlink.set(s.nlink());
    stat.st_uid.set(0);
    stat.st_gid.set(0);
    stat.st_blksize.set(4096);
    long sec = s.mtimeMillis() / 1000;
    long nsec = (s.mtimeMillis() % 1000) * 1_000_000;
    stat.st_mtim.tv_sec.set(sec);
    stat.st_mtim.tv_nsec.set(nsec);
    stat.st_ctim.tv_sec.set(sec);
    stat.st_ctim.tv_nsec.set(nsec);
    stat.st_atim.tv_sec.set(sec);
    stat.st_atim.tv_nsec.set(nsec);
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
          byte[] data = vfs.read(fi.fh.get(), offset, (int) Math.min(size, Integer.MAX_VALUE));
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
