package io.slabfs.kernel.kernfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Models: fs/kernfs/dir.c.
 *
 * <p>A kernfs directory. Children are kept sorted by name (the kernel sorts by name hash; tools
 * must not depend on the order, and a sorted listing is easier to read and to test).
 *
 * <p>Concurrency: {@link #children} is guarded by the root's {@code kernfs_rwsem}.
 */
public final class KernfsDir extends KernfsNode {
  private final TreeMap<String, KernfsNode> children = new TreeMap<>();
  private int subdirs;

  KernfsDir(KernfsRoot root, KernfsDir parent, String name, int mode) {
    super(root, parent, name, mode);
  }

  /** An active child by name. Caller holds the rwsem (read or write). */
  Optional<KernfsNode> child(String name) {
    KernfsNode kn = children.get(name);
    return kn != null && kn.isActive() ? Optional.of(kn) : Optional.empty();
  }

  /** A child by name, active or not. Caller holds the rwsem. */
  KernfsNode childAnyState(String name) {
    return children.get(name);
  }

  /** Active children in listing order. Caller holds the rwsem. */
  List<KernfsNode> activeChildren() {
    List<KernfsNode> out = new ArrayList<>(children.size());
    for (KernfsNode kn : children.values()) {
      if (kn.isActive()) {
        out.add(kn);
      }
    }
    return out;
  }

  /** All children, active or not. Caller holds the rwsem. */
  List<KernfsNode> allChildren() {
    return new ArrayList<>(children.values());
  }

  /** {@code st_nlink}: 2 plus the number of subdirectories. Caller holds the rwsem. */
  int nlink() {
    return 2 + subdirs;
  }

  void link(KernfsNode kn) {
    children.put(kn.name(), kn);
    if (kn instanceof KernfsDir) {
      subdirs++;
    }
  }

  void unlink(KernfsNode kn) {
    if (children.remove(kn.name(), kn) && kn instanceof KernfsDir) {
      subdirs--;
    }
  }
}
