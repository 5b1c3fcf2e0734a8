package io.slabfs.kernel.kernfs;

/**
 * Models: include/linux/fs.h {@code struct iattr}, as {@code kernfs_iop_setattr()} receives it.
 *
 * <p>A {@code chmod}, {@code chown} or {@code utimensat}: {@code valid} says which fields count
 * ({@code ATTR_MODE}, {@code ATTR_UID}, ...). Times are nanoseconds since the epoch. The caller's
 * right to make the change ({@code setattr_prepare()}) has been checked by the VFS before.
 *
 * @param valid the {@code ATTR_*} bits
 * @param mode permission bits, for {@code ATTR_MODE}
 * @param uid the new owner, for {@code ATTR_UID}
 * @param gid the new group, for {@code ATTR_GID}
 * @param atimeNanos for {@code ATTR_ATIME} with {@code ATTR_ATIME_SET}
 * @param mtimeNanos for {@code ATTR_MTIME} with {@code ATTR_MTIME_SET}
 */
public record Iattr(int valid, int mode, int uid, int gid, long atimeNanos, long mtimeNanos) {
  public static final int ATTR_MODE = 1;
  public static final int ATTR_UID = 1 << 1;
  public static final int ATTR_GID = 1 << 2;
  public static final int ATTR_ATIME = 1 << 4;
  public static final int ATTR_MTIME = 1 << 5;

  /** The atime given is the one to set; without it, {@code ATTR_ATIME} means "now". */
  public static final int ATTR_ATIME_SET = 1 << 7;

  /** As {@link #ATTR_ATIME_SET}, for mtime. */
  public static final int ATTR_MTIME_SET = 1 << 8;

  /** {@code chmod(2)}. */
  public static Iattr mode(int mode) {
    return new Iattr(ATTR_MODE, mode, 0, 0, 0, 0);
  }

  /** {@code chown(2)}; -1 leaves that id as it is. */
  public static Iattr owner(int uid, int gid) {
    int valid = (uid != -1 ? ATTR_UID : 0) | (gid != -1 ? ATTR_GID : 0);
    return new Iattr(valid, 0, uid, gid, 0, 0);
  }

  /** {@code utimensat(2)} with both times given. */
  public static Iattr times(long atimeNanos, long mtimeNanos) {
    return new Iattr(
        ATTR_ATIME | ATTR_MTIME | ATTR_ATIME_SET | ATTR_MTIME_SET, 0, 0, 0, atimeNanos, mtimeNanos);
  }

  /** {@code touch}: both times now. */
  public static Iattr touch() {
    return new Iattr(ATTR_ATIME | ATTR_MTIME, 0, 0, 0, 0, 0);
  }

  boolean has(int attr) {
    return (valid & attr) != 0;
  }
}
