package io.slabfs.kernel.kernfs;

/**
 * Models: fs/kernfs/inode.c.
 *
 * <p>What {@code stat(2)} reports for a kernfs node.
 *
 * @param type directory, regular file or symlink
 * @param mode permission bits only
 * @param size {@code st_size}: 0 for directories and links, {@code PAGE_SIZE} for attributes
 * @param nlink {@code st_nlink}
 * @param mtimeMillis creation time of the node, in milliseconds since the epoch
 * @param ino the kernfs inode number
 */
public record Stat(Type type, int mode, long size, int nlink, long mtimeMillis, long ino) {
  /** The node types kernfs has. */
  public enum Type {
    DIRECTORY,
    FILE,
    SYMLINK
  }
}
