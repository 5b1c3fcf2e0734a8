package io.slabfs.kernel.kernfs;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

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

  /**
   * Ours: simulator. The names of a directory outside the tree that this one shows as symlinks to
   * it (the passthrough names of {@code sim/proc}), read at every lookup and listing.
   */
  public interface Passthrough {
    /** The names there now, in their listing order; empty if it cannot be read. */
    List<String> names();

    /** Whether {@code name} is there now. */
    boolean exists(String name);

    /** The absolute target of the link that stands for {@code name}. */
    String target(String name);
  }

  private volatile Passthrough passthrough;

  /** The links standing for passthrough names, kept so that a name keeps its inode. */
  private final Map<String, KernfsLink> passthroughLinks = new ConcurrentHashMap<>();

  KernfsDir(KernfsRoot root, KernfsDir parent, String name, int mode) {
    super(root, parent, name, mode);
  }

  /**
   * Makes every name of {@code p} that no child of this directory has appear here as a symlink to
   * {@link Passthrough#target}: children shadow passthrough names.
   */
  public void setPassthrough(Passthrough p) {
    this.passthrough = p;
  }

  /** An active child by name. Caller holds the rwsem (read or write). */
  Optional<KernfsNode> child(String name) {
    KernfsNode kn = children.get(name);
    if (kn != null && kn.isActive()) {
      return Optional.of(kn);
    }
    Passthrough p = passthrough;
    if (kn == null && p != null && p.exists(name)) {
      return Optional.of(passthroughLink(p, name));
    }
    return Optional.empty();
  }

  private KernfsLink passthroughLink(Passthrough p, String name) {
    return passthroughLinks.computeIfAbsent(
        name,
        n -> {
          KernfsLink l = new KernfsLink(root(), this, n, p.target(n));
          l.activate();
          return l;
        });
  }

  /** A child by name, active or not. Caller holds the rwsem. */
  KernfsNode childAnyState(String name) {
    return children.get(name);
  }

  /**
   * Active children in listing order, then the passthrough names no child shadows, in their own
   * order. Caller holds the rwsem.
   */
  List<KernfsNode> activeChildren() {
    List<KernfsNode> out = new ArrayList<>(children.size());
    for (KernfsNode kn : children.values()) {
      if (kn.isActive()) {
        out.add(kn);
      }
    }
    Passthrough p = passthrough;
    if (p != null) {
      List<String> names = p.names();
      passthroughLinks.keySet().retainAll(new java.util.HashSet<>(names));
      for (String n : names) {
        if (!children.containsKey(n)) {
          out.add(passthroughLink(p, n));
        }
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
