package io.slabfs.kernel.kernfs;

/**
 * A kernfs attribute file. {@link #size()} is what {@code stat} reports: {@code PAGE_SIZE} for
 * text attributes, the real size for binary ones.
 */
public final class KernfsFile extends KernfsNode {
  private final KernfsOps ops;
  private final long size;

  KernfsFile(KernfsRoot root, KernfsDir parent, String name, int mode, KernfsOps ops, long size) {
    super(root, parent, name, mode);
    this.ops = ops;
    this.size = size;
  }

  public KernfsOps ops() {
    return ops;
  }

  public long size() {
    return size;
  }
}
