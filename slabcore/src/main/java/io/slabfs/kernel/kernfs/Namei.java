package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.util.Optional;

/**
 * Models: fs/namei.c.
 *
 * <p>The path walk over a kernfs tree, as {@code link_path_walk()} does it for {@link Vfs}:
 * component by component from the root, symlinks in the middle followed by name (at most {@code
 * MAXSYMLINKS} deep), the last component not followed ({@code O_NOFOLLOW}, {@code lstat}).
 *
 * <p>Concurrency: a walk holds {@link KernfsRoot}'s {@code kernfs_rwsem} for read throughout (the
 * kernel takes it per component in {@code kernfs_iop_lookup()}), so it never sees a half-linked
 * node.
 */
final class Namei {
  /** {@code MAXSYMLINKS}. */
  private static final int MAX_SYMLINK_DEPTH = 40;

  private Namei() {}

  /**
   * Path walk as the VFS does it: every component must be active; symlinks in the middle of the
   * path are followed by name, the last component is not followed. {@code path} is relative to the
   * root, with or without a leading '/'.
   */
  static Optional<KernfsNode> lookup(KernfsRoot root, String path) throws ErrnoException {
    return walk(root, root.rootDir(), path, 0);
  }

  private static Optional<KernfsNode> walk(KernfsRoot root, KernfsDir start, String path, int depth)
      throws ErrnoException {
    KernfsNode cur = start;
    String[] parts = path.split("/");
    root.rwsem().readLock().lock();
    try {
      for (int i = 0; i < parts.length; i++) {
        String part = parts[i];
        if (part.isEmpty() || part.equals(".")) {
          continue;
        }
        if (cur instanceof KernfsLink link) {
          if (link.isExternal()) {
            return Optional.empty(); // the VFS follows it, out of this tree
          }
          if (depth >= MAX_SYMLINK_DEPTH) {
            throw Errno.ELOOP.with(path);
          }
          Optional<KernfsNode> resolved = walk(root, link.parent(), link.targetPath(), depth + 1);
          if (resolved.isEmpty()) {
            return resolved;
          }
          cur = resolved.get();
        }
        if (!(cur instanceof KernfsDir dir)) {
          throw Errno.ENOTDIR.with(path);
        }
        if (part.equals("..")) {
          cur = dir.parent() == null ? dir : dir.parent();
          continue;
        }
        Optional<KernfsNode> next = dir.child(part);
        if (next.isEmpty()) {
          return next;
        }
        cur = next.get();
      }
      return Optional.of(cur);
    } finally {
      root.rwsem().readLock().unlock();
    }
  }

  /** Resolves a node that may be a symlink to what it points at now, by name. */
  static Optional<KernfsNode> follow(KernfsRoot root, KernfsNode kn) throws ErrnoException {
    int depth = 0;
    while (kn instanceof KernfsLink link) {
      if (link.isExternal()) {
        return Optional.empty();
      }
      if (++depth > MAX_SYMLINK_DEPTH) {
        throw Errno.ELOOP.with(kn.path());
      }
      Optional<KernfsNode> next = walk(root, link.parent(), link.targetPath(), depth);
      if (next.isEmpty()) {
        return next;
      }
      kn = next.get();
    }
    return Optional.of(kn);
  }
}
