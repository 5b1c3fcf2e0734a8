package io.slabfs.kernel.kernfs;

import java.util.HashSet;
import java.util.Set;

/**
 * Models: fs/kernfs/symlink.c.
 *
 * <p>A kernfs symlink. It keeps its target node (the kernel holds a reference on it), so after the
 * target is removed the link still reads the same text but no longer resolves: it dangles.
 */
public final class KernfsLink extends KernfsNode {
  private final KernfsNode target;

  /** For a link out of the tree: its absolute target text; else {@code null}. */
  private final String external;

  KernfsLink(KernfsRoot root, KernfsDir parent, String name, KernfsNode target) {
    super(root, parent, name, 0777);
    this.target = target;
    this.external = null;
  }

  /** A link to an absolute path outside this tree (a passthrough name, see {@link KernfsDir}). */
  KernfsLink(KernfsRoot root, KernfsDir parent, String name, String absoluteTarget) {
    super(root, parent, name, 0777);
    this.target = null;
    this.external = absoluteTarget;
  }

  /** The target node; {@code null} for a link out of the tree. */
  public KernfsNode target() {
    return target;
  }

  /** Whether the link points out of this tree (the VFS resolves it, not kernfs). */
  public boolean isExternal() {
    return external != null;
  }

  /**
   * {@code kernfs_get_target_path()}: one {@code ../} per level from the link's directory up to the
   * first common ancestor, then the target's path below it. A sibling is just its name.
   */
  public String targetPath() {
    if (external != null) {
      return external;
    }
    Set<KernfsNode> targetAncestors = new HashSet<>();
    for (KernfsNode kn = target.parent(); kn != null; kn = kn.parent()) {
      targetAncestors.add(kn);
    }
    StringBuilder up = new StringBuilder();
    KernfsNode base = parent();
    while (base != null && !targetAncestors.contains(base)) {
      up.append("../");
      base = base.parent();
    }
    StringBuilder down = new StringBuilder(target.name());
    for (KernfsNode kn = target.parent(); kn != null && kn != base; kn = kn.parent()) {
      down.insert(0, kn.name() + "/");
    }
    return up.append(down).toString();
  }
}
