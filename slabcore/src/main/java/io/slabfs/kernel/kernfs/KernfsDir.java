package io.slabfs.kernel.kernfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Models: fs/kernfs/dir.c.
 *
 * <p>A kernfs directory. Children are kept in the kernel's rbtree order: by {@link #nameHash}, then
 * by name ({@code kernfs_name_compare()}; sysfs has no namespaces here), which is the order {@code
 * getdents} lists them in, so {@code ls -f} and {@code os.listdir} see what they see on /sys.
 *
 * <p>Concurrency: {@link #children} is guarded by the root's {@code kernfs_rwsem}.
 */
public final class KernfsDir extends KernfsNode {
  private final TreeMap<Key, KernfsNode> children = new TreeMap<>();
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
    KernfsNode kn = children.get(Key.of(name));
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
    return children.get(Key.of(name));
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
        if (!children.containsKey(Key.of(n))) {
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
    children.put(Key.of(kn.name()), kn);
    if (kn instanceof KernfsDir) {
      subdirs++;
    }
  }

  void unlink(KernfsNode kn) {
    if (children.remove(Key.of(kn.name()), kn) && kn instanceof KernfsDir) {
      subdirs--;
    }
  }

  /**
   * {@code kernfs_name_hash(name, NULL)}: {@code partial_name_hash()} over the bytes (a {@code
   * char}, signed on x86), {@code end_name_hash()} = {@code hash_64(hash, 32)} with {@code
   * GOLDEN_RATIO_64}, 31 bits, 0, 1 and {@code INT_MAX} reserved.
   */
  static int nameHash(String name) {
    long hash = 0;
    for (byte b : name.getBytes(StandardCharsets.UTF_8)) {
      long c = b; // sign-extended, as the kernel's char is
      hash = (hash + (c << 4) + (c >>> 4)) * 11;
    }
    long h = (hash * 0x61C8864680B583EBL) >>> 32;
    h &= 0x7fffffffL;
    if (h < 2) {
      h += 2;
    }
    if (h >= Integer.MAX_VALUE) {
      h = Integer.MAX_VALUE - 1;
    }
    return (int) h;
  }

  /** A child's place in the rbtree: {@code kn->hash}, then {@code strcmp()} of the names. */
  private static final class Key implements Comparable<Key> {
    private final int hash;
    private final byte[] name;

    private Key(int hash, byte[] name) {
      this.hash = hash;
      this.name = name;
    }

    static Key of(String name) {
      return new Key(nameHash(name), name.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public int compareTo(Key o) {
      int c = Integer.compare(hash, o.hash);
      return c != 0 ? c : Arrays.compareUnsigned(name, o.name);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && compareTo(k) == 0;
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
