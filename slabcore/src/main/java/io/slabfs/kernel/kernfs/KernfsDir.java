package io.slabfs.kernel.kernfs;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

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

  KernfsDir(KernfsRoot root, KernfsDir parent, String name, int mode) {
    super(root, parent, name, mode);
  }

  /** An active child by name. Caller holds the rwsem (read or write). */
  Optional<KernfsNode> child(String name) {
    KernfsNode kn = children.get(Key.of(name));
    return kn != null && kn.isActive() ? Optional.of(kn) : Optional.empty();
  }

  /** A child by name, active or not. Caller holds the rwsem. */
  KernfsNode childAnyState(String name) {
    return children.get(Key.of(name));
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
