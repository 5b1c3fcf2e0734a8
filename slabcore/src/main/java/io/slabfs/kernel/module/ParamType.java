package io.slabfs.kernel.module;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.sysfs.Kstrtox;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Models: kernel/params.c.
 *
 * <p>A {@code struct kernel_param_ops} of kernel/params.c: how a module parameter's value is set
 * from text ({@code ->set}) and printed ({@code ->get}). Values are kept as their canonical text
 * between the two, so {@code get(set(x))} is what the kernel would print.
 */
sealed interface ParamType {
  /** {@code ->set}: parses {@code val} (the store buffer, up to its NUL) to the stored value. */
  String set(byte[] val) throws ErrnoException;

  /**
   * {@code ->set} for a parameter that holds {@code old} now: hands {@code store} what the
   * parameter holds afterwards. Arrays keep the elements not given, and store element by element,
   * so a failing element leaves the ones before it set ({@code param_array()}).
   */
  default void set(byte[] val, String old, Consumer<String> store) throws ErrnoException {
    store.accept(set(val));
  }

  /** {@code ->get}: the text {@code cat} shows, with its newline. */
  String get(String stored);

  /** Parses a TYPE word of builtin-modules.txt. */
  static ParamType parse(String type) {
    if (type.startsWith("string:")) {
      return new StringType(Integer.parseInt(type.substring(7)));
    }
    if (type.startsWith("array:")) {
      return new ArrayType((Scalar) parse(type.substring(6)));
    }
    return switch (type) {
      case "bool" -> new Bool(false);
      case "bint" -> new Bint();
      case "invbool" -> new Bool(true);
      case "charp" -> new Charp();
      case "byte" -> new Num(0, 0xFFL, false, false);
      case "short" -> new Num(Short.MIN_VALUE, Short.MAX_VALUE, true, false);
      case "ushort" -> new Num(0, 0xFFFFL, false, false);
      case "int" -> new Num(Integer.MIN_VALUE, Integer.MAX_VALUE, true, false);
      case "uint" -> new Num(0, 0xFFFF_FFFFL, false, false);
      case "hexint" -> new Num(0, 0xFFFF_FFFFL, false, true);
      case "long" -> new Num(Long.MIN_VALUE, Long.MAX_VALUE, true, false);
      case "aspm_policy" ->
          new SysfsMatch(List.of("default", "performance", "powersave", "powersupersave"), true);
      case "online_policy" -> new SysfsMatch(List.of("contig-zones", "auto-movable"), false);
      case "wq_affn_scope" -> new AffinityScope();
      case "zswap_compressor" -> new ZswapCompressor(List.of("deflate", "lzo", "lzo-rle"));
      case "ulong" -> new Num(0, -1L, false, false);
      default -> throw new IllegalArgumentException("unknown param type " + type);
    };
  }

  /** Types that can be array elements. */
  sealed interface Scalar extends ParamType permits Bool, Bint, Num {}

  /**
   * {@code param_ops_bint}: set as a bool ({@code param_set_bint} re-uses {@code param_set_bool}),
   * kept in an int and shown by {@code param_get_int}: {@code 0} or {@code 1}.
   */
  record Bint() implements Scalar {
    @Override
    public String set(byte[] val) throws ErrnoException {
      return Kstrtox.kstrtobool(val) ? "1" : "0";
    }

    @Override
    public String get(String stored) {
      return stored + "\n";
    }
  }

  /** {@code param_ops_bool} / {@code invbool}: {@code kstrtobool}, shown Y/N. */
  record Bool(boolean inverted) implements Scalar {
    @Override
    public String set(byte[] val) throws ErrnoException {
      boolean v = Kstrtox.kstrtobool(val);
      return (v ^ inverted) ? "Y" : "N";
    }

    @Override
    public String get(String stored) {
      boolean v = stored.equals("Y") ^ inverted;
      return (v ? "Y" : "N") + "\n";
    }
  }

  /**
   * The integer ops: {@code kstrto*(val, 0, ...)}, so {@code 0x} and octal prefixes work, at most
   * one trailing newline, {@code ERANGE} for the type's bounds.
   */
  record Num(long min, long max, boolean signed, boolean hex) implements Scalar {
    @Override
    public String set(byte[] val) throws ErrnoException {
      if (signed) {
        long v = Kstrtox.kstrtoll(val, 0);
        if (v < min || v > max) {
          throw Errno.ERANGE.with("value out of range");
        }
        return Long.toString(v);
      }
      long v = Kstrtox.kstrtoull(val, 0);
      if (max != -1L && Long.compareUnsigned(v, max) > 0) {
        throw Errno.ERANGE.with("value out of range");
      }
      return Long.toUnsignedString(v);
    }

    @Override
    public String get(String stored) {
      if (hex) {
        return hexint(Long.parseUnsignedLong(stored)) + "\n";
      }
      return stored + "\n";
    }
  }

  /**
   * {@code param_get_hexint}'s {@code "%#08x"} as the kernel's vsnprintf prints it: the {@code 0x}
   * counts in the width of 8, and zero has no prefix at all ({@code 00000000}).
   */
  static String hexint(long v) {
    if (v == 0) {
      return "00000000";
    }
    String digits = Long.toHexString(v);
    return "0x" + "0".repeat(Math.max(0, 6 - digits.length())) + digits;
  }

  /**
   * Own ops that take one of fixed names with {@code sysfs_match_string()} (equal, or equal but for
   * one trailing newline; {@code EINVAL} otherwise): {@code pcie_aspm.policy} (its get lists every
   * policy with the current one in brackets, each followed by a space) and {@code
   * memory_hotplug.online_policy} (its get prints the name).
   */
  record SysfsMatch(List<String> names, boolean listAll) implements ParamType {
    @Override
    public String set(byte[] val) throws ErrnoException {
      String text = new String(val, 0, Kstrtox.length(val), StandardCharsets.ISO_8859_1);
      for (String name : names) {
        if (text.equals(name) || text.equals(name + "\n")) {
          return name;
        }
      }
      throw Errno.EINVAL.with("'" + text.strip() + "' is none of " + names);
    }

    @Override
    public String get(String stored) {
      if (!listAll) {
        return stored + "\n";
      }
      StringBuilder out = new StringBuilder();
      for (String name : names) {
        out.append(name.equals(stored) ? "[" + name + "] " : name + " ");
      }
      return out.append('\n').toString();
    }
  }

  /**
   * {@code workqueue.default_affinity_scope} (kernel/workqueue.c {@code wq_affn_dfl_set}): the
   * first scope name the value starts with, ignoring case ({@code strncasecmp} over the name's
   * length); {@code default} itself, or no match, is {@code EINVAL}.
   */
  record AffinityScope() implements ParamType {
    private static final List<String> NAMES =
        List.of("default", "cpu", "smt", "cache", "numa", "system");

    @Override
    public String set(byte[] val) throws ErrnoException {
      String text = new String(val, 0, Kstrtox.length(val), StandardCharsets.ISO_8859_1);
      for (String name : NAMES) {
        if (text.regionMatches(true, 0, name, 0, name.length())) {
          if (name.equals("default")) {
            break;
          }
          return name;
        }
      }
      throw Errno.EINVAL.with("'" + text.strip() + "' is no affinity scope but default");
    }

    @Override
    public String get(String stored) {
      return stored + "\n";
    }
  }

  /**
   * {@code zswap.compressor} (mm/zswap.c {@code __zswap_param_set}): the value stripped of
   * surrounding whitespace must name a compression algorithm the crypto API has ({@code
   * crypto_has_acomp}), else {@code ENOENT}; then it is kept as {@code param_set_charp} keeps it.
   */
  record ZswapCompressor(List<String> available) implements ParamType {
    @Override
    public String set(byte[] val) throws ErrnoException {
      String s = strim(new String(val, 0, Kstrtox.length(val), StandardCharsets.ISO_8859_1));
      if (!available.contains(s)) {
        throw Errno.ENOENT.with("compressor " + s + " not available");
      }
      return s;
    }

    @Override
    public String get(String stored) {
      return stored + "\n";
    }
  }

  /** {@code strim()}: without leading and trailing {@code isspace()} bytes (lib/ctype.c). */
  static String strim(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isspace(s.charAt(b))) {
      b++;
    }
    while (e > b && isspace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(b, e);
  }

  /** lib/ctype.c's {@code _S}: tab to carriage return, space, and Latin-1's 0xa0. */
  private static boolean isspace(char c) {
    return (c >= 9 && c <= 13) || c == ' ' || c == 0xa0;
  }

  /** {@code param_ops_charp}: keeps the text as written (an echo's newline included). */
  record Charp() implements ParamType {
    @Override
    public String set(byte[] val) throws ErrnoException {
      int n = Kstrtox.length(val);
      if (n > 1024) {
        throw Errno.ENOSPC.with("charp parameter longer than 1024 bytes");
      }
      return new String(val, 0, n, StandardCharsets.ISO_8859_1); // bytes, not characters
    }

    @Override
    public String get(String stored) {
      return stored + "\n";
    }
  }

  /** {@code param_ops_string} ({@code module_param_string}): a fixed buffer of {@code max}. */
  record StringType(int max) implements ParamType {
    @Override
    public String set(byte[] val) throws ErrnoException {
      int n = Kstrtox.length(val);
      if (n + 1 > max) {
        throw Errno.ENOSPC.with("string doesn't fit in " + (max - 1) + " chars");
      }
      return new String(val, 0, n, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String get(String stored) {
      return stored + "\n";
    }
  }

  /**
   * {@code param_array_ops}: comma-separated elements of a scalar type, at most the array's
   * capacity; elements not given keep their values, and all of them are shown (arrays declared
   * without a count, such as {@code vt.default_red}).
   */
  record ArrayType(Scalar element) implements ParamType {
    @Override
    public String set(byte[] val) throws ErrnoException {
      String[] out = new String[1];
      set(val, null, v -> out[0] = v);
      return out[0];
    }

    @Override
    public void set(byte[] val, String old, Consumer<String> store) throws ErrnoException {
      int n = Kstrtox.length(val);
      String text = new String(val, 0, n, StandardCharsets.ISO_8859_1);
      String[] parts = text.split(",", -1);
      String[] out = old == null ? parts.clone() : old.split(",", -1);
      if (parts.length > out.length) {
        throw Errno.EINVAL.with("can only take " + out.length + " arguments");
      }
      for (int i = 0; i < parts.length; i++) {
        try {
          out[i] = element.set(parts[i].getBytes(StandardCharsets.ISO_8859_1));
        } finally {
          store.accept(String.join(",", out));
        }
      }
    }

    @Override
    public String get(String stored) {
      StringBuilder out = new StringBuilder();
      for (String part : stored.split(",", -1)) {
        String shown = element.get(part);
        out.append(out.length() == 0 ? "" : ",").append(shown, 0, shown.length() - 1);
      }
      return out.append('\n').toString();
    }
  }
}
