package io.slabfs.kernel.errno;

/**
 * Models: include/uapi/asm-generic/errno.h.
 *
 * <p>Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h) with their strerror text.
 */
public enum Errno {
  EPERM(1, "Operation not permitted"),
  ENOENT(2, "No such file or directory"),
  EINTR(4, "Interrupted system call"),
  EIO(5, "Input/output error"),
  E2BIG(7, "Argument list too long"),
  ENOEXEC(8, "Exec format error"),
  EBADF(9, "Bad file descriptor"),
  EAGAIN(11, "Resource temporarily unavailable"),
  ENOMEM(12, "Cannot allocate memory"),
  EACCES(13, "Permission denied"),
  EFAULT(14, "Bad address"),
  EBUSY(16, "Device or resource busy"),
  EEXIST(17, "File exists"),
  ENODEV(19, "No such device"),
  ENOTDIR(20, "Not a directory"),
  EISDIR(21, "Is a directory"),
  EINVAL(22, "Invalid argument"),
  ENOSPC(28, "No space left on device"),
  EROFS(30, "Read-only file system"),
  EPIPE(32, "Broken pipe"),
  ERANGE(34, "Numerical result out of range"),
  EDEADLK(35, "Resource deadlock avoided"),
  ENAMETOOLONG(36, "File name too long"),
  ENOSYS(38, "Function not implemented"),
  ENOTEMPTY(39, "Directory not empty"),
  ELOOP(40, "Too many levels of symbolic links"),
  ENODATA(61, "No data available"),
  EOPNOTSUPP(95, "Operation not supported"),
  ETIMEDOUT(110, "Connection timed out"),
  ECANCELED(125, "Operation canceled");

  /** EWOULDBLOCK is EAGAIN on Linux. */
  public static final Errno EWOULDBLOCK = EAGAIN;

  private final int number;
  private final String description;

  Errno(int number, String description) {
    this.number = number;
    this.description = description;
  }

  /** The positive errno number, as user space sees it in {@code errno}. */
  public int number() {
    return number;
  }

  /** The text {@code strerror()} gives, as bash prints it after "write error: ". */
  public String description() {
    return description;
  }

  /** A new exception carrying this errno and a one-line reason. */
  public ErrnoException with(String why) {
    return new ErrnoException(this, why);
  }
}
