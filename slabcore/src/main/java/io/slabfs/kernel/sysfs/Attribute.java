package io.slabfs.kernel.sysfs;

import io.slabfs.kernel.errno.ErrnoException;

/**
 * Models: include/linux/sysfs.h.
 *
 * <p>A sysfs attribute definition ({@code struct attribute} plus its show/store), typed on the
 * object it shows, e.g. {@code Attribute<KmemCache>} for {@code slab_attrs[]}. One definition is
 * shared by every object's file, so its identity is the {@code kn->active} lock class key.
 *
 * @param name file name, the ABI name
 * @param mode octal mode bits, e.g. {@code 0400}
 * @param show {@code ->show}, or {@code null}
 * @param store {@code ->store}, or {@code null}
 */
public record Attribute<T>(String name, int mode, Show<T> show, Store<T> store) {

  /** {@code ->show}: returns the text, at most a page. */
  @FunctionalInterface
  public interface Show<T> {
    String show(T obj) throws ErrnoException;
  }

  /**
   * {@code ->store}: {@code buf} holds {@code len} bytes followed by a NUL (so {@code buf.length ==
   * len + 1}); returns the bytes consumed.
   */
  @FunctionalInterface
  public interface Store<T> {
    int store(T obj, byte[] buf, int len) throws ErrnoException;
  }

  /** {@code __ATTR_RO_MODE(name, mode)}. */
  public static <T> Attribute<T> ro(String name, int mode, Show<T> show) {
    return new Attribute<>(name, mode, show, null);
  }

  /** {@code __ATTR_RW_MODE(name, mode)}. */
  public static <T> Attribute<T> rw(String name, int mode, Show<T> show, Store<T> store) {
    return new Attribute<>(name, mode, show, store);
  }

  /** {@code __ATTR_WO(name)}: mode 0200. */
  public static <T> Attribute<T> wo(String name, Store<T> store) {
    return new Attribute<>(name, 0200, null, store);
  }

  // Identity semantics: each definition is its own lock class.
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }
}
