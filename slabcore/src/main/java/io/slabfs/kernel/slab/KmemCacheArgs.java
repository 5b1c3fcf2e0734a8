package io.slabfs.kernel.slab;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;

/**
 * Models: include/linux/slab.h.
 *
 * <p>The arguments of one {@code kmem_cache_create()} ({@code struct kmem_cache_args} plus name,
 * size and flags), and their text form, shared by the boot set files and the {@code sim/ctl}
 * command:
 *
 * <pre>NAME SIZE [align=N] [flags=F|F...] [ctor=SYMBOL] [useroffset=N] [usersize=N]
 *           [freeptr=N] [sheaf=N]</pre>
 *
 * @param ctor the constructor's symbol, or {@code null}
 * @param freeptrOffset {@code args->freeptr_offset}, or -1 when not used
 */
public record KmemCacheArgs(
    String name,
    int size,
    int align,
    long flags,
    String ctor,
    int useroffset,
    int usersize,
    int freeptrOffset,
    int sheafCapacity) {

  /** {@code KMALLOC_MAX_SIZE} on x86_64: order 10 pages. */
  public static final int KMALLOC_MAX_SIZE = 1 << 22;

  /** A plain cache: no ctor, no usercopy region, no freeptr offset, no sheaves. */
  public static KmemCacheArgs of(String name, int size, int align, long flags) {
    return new KmemCacheArgs(name, size, align, flags, null, 0, 0, -1, 0);
  }

  public KmemCacheArgs withFlags(long newFlags) {
    return new KmemCacheArgs(
        name, size, align, newFlags, ctor, useroffset, usersize, freeptrOffset, sheafCapacity);
  }

  public KmemCacheArgs withUsercopy(int offset, int length) {
    return new KmemCacheArgs(
        name, size, align, flags, ctor, offset, length, freeptrOffset, sheafCapacity);
  }

  /** Parses the text form (already split on white space). */
  public static KmemCacheArgs parse(String[] words) throws ErrnoException {
    if (words.length < 2) {
      throw Errno.EINVAL.with("usage: NAME SIZE [align=N] [flags=F|F...] [ctor=SYMBOL] ...");
    }
    String name = words[0];
    checkName(name);
    int size = number("SIZE", words[1]);
    int align = 0;
    long flags = 0;
    String ctor = null;
    int useroffset = 0;
    int usersize = 0;
    int freeptr = -1;
    int sheaf = 0;
    for (int i = 2; i < words.length; i++) {
      String w = words[i];
      int eq = w.indexOf('=');
      if (eq <= 0) {
        throw Errno.EINVAL.with("expected KEY=VALUE, got '" + w + "'");
      }
      String key = w.substring(0, eq);
      String value = w.substring(eq + 1);
      switch (key) {
        case "align" -> align = number(key, value);
        case "flags" -> flags = SlabFlags.parse(value);
        case "ctor" -> ctor = symbol(value);
        case "useroffset" -> useroffset = number(key, value);
        case "usersize" -> usersize = number(key, value);
        case "freeptr" -> freeptr = number(key, value);
        case "sheaf" -> sheaf = number(key, value);
        default -> throw Errno.EINVAL.with("unknown argument '" + key + "'");
      }
    }
    return new KmemCacheArgs(name, size, align, flags, ctor, useroffset, usersize, freeptr, sheaf);
  }

  /**
   * Names must be printable and without white space (sim/ctl's words), and fit a sysfs name. A
   * {@code '/'} is taken, as the kernel takes it: the cache's own directory gets {@code '!'} in its
   * place ({@code kobject_set_name_vargs()}), and an alias link keeps it.
   */
  static void checkName(String name) throws ErrnoException {
    if (name.isEmpty() || name.length() > 255) {
      throw Errno.EINVAL.with("cache name must be 1 to 255 characters");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw Errno.EINVAL.with("cache name has a character sysfs cannot show: '" + name + "'");
      }
    }
    if (name.equals(".") || name.equals("..")) {
      throw Errno.EINVAL.with("cache name '" + name + "' is reserved");
    }
  }

  private static String symbol(String value) throws ErrnoException {
    if (!value.matches("[A-Za-z_][A-Za-z0-9_.]{0,127}(\\+0x[0-9a-f]{1,8}/0x[0-9a-f]{1,8})?")) {
      throw Errno.EINVAL.with("bad ctor symbol '" + value + "'");
    }
    return value;
  }

  private static int number(String what, String value) throws ErrnoException {
    if (!value.matches("[0-9]{1,10}")) {
      throw Errno.EINVAL.with(what + " must be a decimal number, got '" + value + "'");
    }
    long v = Long.parseLong(value);
    if (v > Integer.MAX_VALUE) {
      throw Errno.ERANGE.with(what + " is too large: " + value);
    }
    return (int) v;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(name).append(' ').append(size);
    if (align != 0) {
      sb.append(" align=").append(align);
    }
    if (flags != 0) {
      sb.append(" flags=").append(SlabFlags.names(flags));
    }
    if (ctor != null) {
      sb.append(" ctor=").append(ctor);
    }
    if (usersize != 0) {
      sb.append(" useroffset=").append(useroffset).append(" usersize=").append(usersize);
    }
    if (freeptrOffset >= 0) {
      sb.append(" freeptr=").append(freeptrOffset);
    }
    if (sheafCapacity != 0) {
      sb.append(" sheaf=").append(sheafCapacity);
    }
    return sb.toString();
  }
}
