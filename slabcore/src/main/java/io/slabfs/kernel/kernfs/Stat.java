package io.slabfs.kernel.kernfs;

/**
 * Models: fs/kernfs/inode.c.
 *
 * <p>What {@code stat(2)} reports for a kernfs node.
 *
 * @param type directory, regular file or symlink
 * @param size {@code st_size}: 0 for directories and links, {@code PAGE_SIZE} for attributes
 * @param nlink {@code st_nlink}
 * @param attrs mode (permission bits only), owner and times
 * @param ino the kernfs inode number
 */
public record Stat(Type type, long size, int nlink, KernfsNode.Attrs attrs, long ino) {
  /** Permission bits only. */
  public int mode() {
    return attrs.mode();
  }

  /** The node types kernfs has. */
  public enum Type {
    DIRECTORY,
    FILE,
    SYMLINK
  }
}
