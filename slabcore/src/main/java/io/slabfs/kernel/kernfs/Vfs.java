package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.DeadlockBroken;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ours: simulator (the system calls of fs/open.c, fs/read_write.c and fs/stat.c as one face).
 *
 * <p>The VFS-shaped face of the model: path-based {@code stat}, {@code readdir}, {@code readlink},
 * {@code truncate}, and handle-based {@code open}/{@code read}/{@code write}/{@code release}, each
 * answering with a value or an {@link ErrnoException}. Paths are as FUSE passes them (absolute from
 * the mount root); the last component is never followed.
 *
 * <p>Concurrency: open files live in a concurrent map; everything else is delegated to kernfs.
 */
public final class Vfs {
  /** {@code O_ACCMODE} values. */
  public static final int O_RDONLY = 0;

  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;

  private final KernfsRoot root;
  private final Map<Long, KernfsOpenFile> files = new ConcurrentHashMap<>();
  private final Map<Long, KernfsDir> dirs = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);
  private final AtomicLong requests = new AtomicLong();
  private volatile Runnable earlierReleases = () -> {};

  public Vfs(KernfsRoot root) {
    this.root = root;
  }

  public KernfsRoot root() {
    return root;
  }

  /** Number of requests served so far. */
  public long requestCount() {
    return requests.get();
  }

  private KernfsNode resolve(String path) throws ErrnoException {
    requests.incrementAndGet();
    Optional<KernfsNode> kn = Namei.lookup(root, path);
    if (kn.isEmpty()) {
      throw Errno.ENOENT.with(path);
    }
    return kn.get();
  }

  /**
   * {@code lstat(2)}, and also {@code fstat(2)}: FUSE sends an fstat as a GETATTR by path. When a
   * file's whole directory was removed, no lookup can reach its path any more, so a GETATTR for
   * that path comes from a process holding the file open; sysfs answers that from the cached inode,
   * and so does this.
   */
  public Stat stat(String path) throws ErrnoException {
    try {
      return stat(resolve(path));
    } catch (ErrnoException e) {
      if (e.errno() == Errno.ENOENT) {
        String wanted = path.startsWith("/") ? path.substring(1) : path;
        for (KernfsOpenFile of : files.values()) {
          KernfsFile kn = of.node();
          if (kn.isRemoved() && kn.parent().isRemoved() && kn.path().equals(wanted)) {
            return stat(kn);
          }
        }
      }
      throw e;
    }
  }

  private static Stat.Type type(KernfsNode kn) {
    if (kn instanceof KernfsDir) {
      return Stat.Type.DIRECTORY;
    }
    return kn instanceof KernfsFile ? Stat.Type.FILE : Stat.Type.SYMLINK;
  }

  private Stat stat(KernfsNode kn) throws ErrnoException {
    if (kn instanceof KernfsDir dir) {
      return new Stat(Stat.Type.DIRECTORY, 0, root.nlink(dir), dir.attrs(), dir.ino());
    } else if (kn instanceof KernfsFile file) {
      return new Stat(Stat.Type.FILE, file.size(), 1, file.attrs(), file.ino());
    }
    return new Stat(Stat.Type.SYMLINK, 0, 1, kn.attrs(), kn.ino());
  }

  /**
   * {@code sysfs_notify()} on the attribute at {@code path} (a symlink on the way is followed), as
   * a driver calls it when the value changed: its pollers see {@code EPOLLERR|EPOLLPRI} and wake.
   */
  public void notify(String path) throws ErrnoException {
    KernfsNode kn = resolve(path);
    if (kn instanceof KernfsLink) {
      kn = Namei.follow(root, kn).orElseThrow(() -> Errno.ENOENT.with(path + " dangles"));
    }
    if (!(kn instanceof KernfsFile file) || file.procfs()) {
      throw Errno.EINVAL.with(path + " is not a sysfs attribute");
    }
    file.notifyPollers();
  }

  /**
   * {@code kernfs_iop_setattr()} for {@code chmod}, {@code chown} and {@code touch} on the node at
   * {@code path} itself (the VFS has already followed a symlink where the call follows one, and
   * checked the caller's right to the change). A removed node answers {@code ENOENT} by path.
   */
  public void setattr(String path, Iattr iattr) throws ErrnoException {
    KernfsNode kn = resolve(path);
    root.setattr(kn, iattr);
  }

  /**
   * {@code fstat(2)} on an open file: answered from the inode the file holds, so it works even
   * after the node was removed.
   */
  public Stat fstat(long fh) throws ErrnoException {
    return stat(file(fh).node());
  }

  /** {@code getdents(2)}: names of the active children, without "." and "..". */
  public List<String> readdir(String path) throws ErrnoException {
    KernfsNode kn = resolve(path);
    if (!(kn instanceof KernfsDir dir)) {
      throw Errno.ENOTDIR.with(path);
    }
    List<String> names = new ArrayList<>();
    for (KernfsNode child : root.children(dir)) {
      names.add(child.name());
    }
    return names;
  }

  /** {@code opendir(3)}: a handle on the directory, for {@link #readdir(long)}. */
  public long opendir(String path) throws ErrnoException {
    KernfsNode kn = resolve(path);
    if (kn instanceof KernfsLink) {
      kn = Namei.follow(root, kn).orElseThrow(() -> Errno.ENOENT.with(path + " dangles"));
    }
    if (!(kn instanceof KernfsDir dir)) {
      throw Errno.ENOTDIR.with(path);
    }
    long fh = nextHandle.getAndIncrement();
    dirs.put(fh, dir);
    return fh;
  }

  /**
   * {@code getdents(2)} on an open directory: its active children now; none once the directory has
   * been removed.
   */
  public List<Dirent> readdir(long fh) throws ErrnoException {
    requests.incrementAndGet();
    KernfsDir dir = dirs.get(fh);
    if (dir == null) {
      throw Errno.EBADF.with("no open directory " + fh);
    }
    List<Dirent> entries = new ArrayList<>();
    for (KernfsNode child : root.children(dir)) {
      entries.add(new Dirent(child.name(), type(child)));
    }
    return entries;
  }

  /** A directory entry with its {@code d_type}, which tools such as slabinfo rely on. */
  public record Dirent(String name, Stat.Type type) {}

  /** {@code closedir(3)}. */
  public void releasedir(long fh) {
    dirs.remove(fh);
  }

  /** {@code readlink(2)}: the link's text, still readable when the link dangles. */
  public String readlink(String path) throws ErrnoException {
    KernfsNode kn = resolve(path);
    if (!(kn instanceof KernfsLink link)) {
      throw Errno.EINVAL.with(path + " is not a symlink");
    }
    return link.targetPath();
  }

  /**
   * {@code open(2)} of an attribute: {@code EISDIR} for a directory, the kernfs permission check
   * (1.4), and a handle for the other calls.
   */
  public long open(String path, int flags) throws ErrnoException {
    KernfsNode kn = resolve(path);
    if (kn instanceof KernfsLink) {
      Optional<KernfsNode> target = Namei.follow(root, kn);
      if (target.isEmpty()) {
        throw Errno.ENOENT.with(path + " dangles");
      }
      kn = target.get();
    }
    int acc = flags & 3;
    if (kn instanceof KernfsDir) {
      throw Errno.EISDIR.with(path);
    }
    KernfsFile file = (KernfsFile) kn;
    KernfsOpenFile of =
        KernfsOpenFile.open(
            file, acc == O_RDONLY || acc == O_RDWR, acc == O_WRONLY || acc == O_RDWR);
    long fh = nextHandle.getAndIncrement();
    files.put(fh, of);
    return fh;
  }

  private KernfsOpenFile file(long fh) throws ErrnoException {
    requests.incrementAndGet();
    KernfsOpenFile of = files.get(fh);
    if (of == null) {
      throw Errno.EBADF.with("no open file " + fh);
    }
    return of;
  }

  /** {@code pread(2)}. */
  public byte[] read(long fh, long offset, int size) throws ErrnoException {
    return read(fh, offset, size, 0);
  }

  /** {@code pread(2)} on a file whose {@code f_flags} are {@code flags} ({@code O_NONBLOCK}). */
  public byte[] read(long fh, long offset, int size, int flags) throws ErrnoException {
    try {
      return file(fh).read(offset, size, flags);
    } catch (DeadlockBroken e) {
      throw Errno.EDEADLK.with(e.getMessage());
    }
  }

  /**
   * {@code pwrite(2)}: the offset is ignored, as sysfs does. A write whose task was chosen to break
   * a deadlock fails with {@code EDEADLK}.
   */
  public int write(long fh, byte[] data, int len) throws ErrnoException {
    return write(fh, 0, data, len);
  }

  /**
   * {@code pwrite(2)} at {@code offset}: sysfs ignores it; a sysctl looks at it ({@code
   * sysctl_writes_strict}).
   */
  public int write(long fh, long offset, byte[] data, int len) throws ErrnoException {
    try {
      return file(fh).write(data, len, offset);
    } catch (DeadlockBroken e) {
      throw Errno.EDEADLK.with(e.getMessage());
    }
  }

  /**
   * {@code poll(2)} on an open file: the events ready now; {@code wake}, if not null, runs once
   * when the file's wait queue is next woken ({@code poll_wait}).
   */
  public int poll(long fh, Runnable wake) throws ErrnoException {
    return file(fh).poll(wake);
  }

  /**
   * Ours: simulator ({@code sim/ctl await_open_files}). Waits until the open files other than those
   * the calling task opened number {@code n} (true), or {@code timeoutMillis} pass (false); {@code
   * EINTR} if the caller gets a signal. Every release wakes it: {@code close(2)} on FUSE returns
   * before the release reaches slabfs, so a count read right after a close can still hold the
   * closed file, and this waits for the release instead.
   */
  public boolean awaitOpenFiles(int n, long timeoutMillis) throws ErrnoException {
    int self = io.slabfs.kernel.locking.Task.current().pid();
    return root.openFilesChanged()
        .waitEventKillableTimeout(
            () -> openFilesExcept(self) == n, timeoutMillis, n + " open files");
  }

  /**
   * Ours: simulator. Sets how {@link #awaitEarlierReleases} waits: the FUSE edge's wait for the
   * releases of files closed before the current request (sysfs releases in {@code close(2)}, FUSE
   * after it).
   */
  public void setEarlierReleases(Runnable await) {
    this.earlierReleases = await;
  }

  /**
   * Ours: simulator. Returns once every file closed before the current request was made has been
   * released, so a count of open files reads as it would on sysfs. Nothing to wait for in the model
   * alone.
   */
  public void awaitEarlierReleases() {
    earlierReleases.run();
  }

  /** Open files not opened by task {@code pid}. */
  public int openFilesExcept(int pid) {
    long own = files.values().stream().filter(of -> of.opener() == pid).count();
    return root.openFileCount() - (int) own;
  }

  /** {@code close(2)}: always succeeds. */
  public void release(long fh) {
    KernfsOpenFile of = files.remove(fh);
    if (of != null) {
      of.release();
    }
  }

  /**
   * {@code truncate(2)} / the {@code O_TRUNC} of {@code echo >}: kernfs accepts and ignores it on
   * attributes; directories answer {@code EISDIR}.
   */
  public void truncate(String path) throws ErrnoException {
    KernfsNode kn = resolve(path);
    Optional<KernfsNode> target = Namei.follow(root, kn);
    if (target.isEmpty()) {
      throw Errno.ENOENT.with(path + " dangles");
    }
    if (target.get() instanceof KernfsDir) {
      throw Errno.EISDIR.with(path);
    }
  }

  /** The node an open handle refers to (for tests and reports). */
  public Optional<KernfsFile> nodeOf(long fh) {
    KernfsOpenFile of = files.get(fh);
    return of == null ? Optional.empty() : Optional.of(of.node());
  }

  /**
   * The handles not yet released, by handle, to the path they were opened at ({@code /proc/PID/fd}
   * for tests and reports); a directory's path ends in {@code /}.
   */
  public Map<Long, String> openHandles() {
    Map<Long, String> out = new java.util.TreeMap<>();
    files.forEach((fh, of) -> out.put(fh, of.node().path()));
    dirs.forEach((fh, dir) -> out.put(fh, dir.path() + "/"));
    return out;
  }
}
