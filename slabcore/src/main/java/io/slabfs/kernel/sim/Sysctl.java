package io.slabfs.kernel.sim;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.locking.Task;
import java.nio.charset.StandardCharsets;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;

/**
 * Models: kernel/sysctl.c ({@code proc_doulongvec_minmax}, {@code proc_dointvec_minmax}) behind
 * fs/proc/proc_sysctl.c.
 *
 * <p>One {@code struct ctl_table} entry holding one value: its handler's read ({@code "%lu\n"} or
 * {@code "%d\n"}) and write. A write skips leading blanks, takes one number as {@code
 * proc_get_long()} does (an optional {@code -}, then digits in base 0: {@code 0x} hex, {@code 0}
 * octal; fewer than 21 characters; followed by the end, a blank, a tab or a newline), converts and
 * range-checks it, stores it, and consumes the blanks after it; anything else is {@code EINVAL} and
 * leaves the value as it was. With {@code sysctl_writes_strict} (1, the default), a write at a
 * non-zero file position is accepted and ignored. Only the first {@code PAGE_SIZE - 1} bytes of a
 * write are looked at; a write returns the number of bytes consumed.
 */
final class Sysctl implements KernfsOps {
  private static final int PAGE_SIZE = 4096;

  /** {@code TMPBUFLEN} of proc_get_long(). */
  private static final int TMPBUFLEN = 22;

  /** The two handlers the model's sysctls use. */
  enum Type {
    /** {@code proc_doulongvec_minmax}: unsigned long, no sign. */
    ULONG,
    /** {@code proc_dointvec_minmax}: int, sign allowed. */
    INT
  }

  private final Type type;
  private final Long min;
  private final Long max;
  private final boolean sysadmin;
  private final LongSupplier get;
  private final LongConsumer set;
  private final Object key = new Object();

  /**
   * @param min {@code extra1}, or null
   * @param max {@code extra2}, or null
   * @param sysadmin a write needs {@code CAP_SYS_ADMIN} ({@code proc_taint}, {@code
   *     proc_dointvec_minmax_sysadmin}), else {@code EPERM}
   * @param set stores a value that passed every check (and does what the handler does after)
   */
  Sysctl(Type type, Long min, Long max, boolean sysadmin, LongSupplier get, LongConsumer set) {
    this.type = type;
    this.min = min;
    this.max = max;
    this.sysadmin = sysadmin;
    this.get = get;
    this.set = set;
  }

  @Override
  public boolean canRead() {
    return true;
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public boolean sysctl() {
    return true;
  }

  @Override
  public Object activeKey() {
    return key;
  }

  @Override
  public byte[] show() {
    long v = get.getAsLong();
    String s = type == Type.ULONG ? Long.toUnsignedString(v) : Long.toString(v);
    return (s + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  @Override
  public int write(byte[] buf, int len) throws ErrnoException {
    return write(buf, len, 0);
  }

  @Override
  public int write(byte[] buf, int len, long pos) throws ErrnoException {
    if (sysadmin && !Task.current().capable()) {
      throw Errno.EPERM.with("writing this sysctl needs CAP_SYS_ADMIN");
    }
    if (len == 0) {
      return 0;
    }
    if (pos != 0) {
      return len; // proc_first_pos_non_zero_ignore(): SYSCTL_WRITES_STRICT
    }
    int left = Math.min(len, PAGE_SIZE - 1);
    int p = 0;
    while (left > 0 && isspace(buf[p])) {
      p++;
      left--;
    }
    if (left == 0) {
      throw Errno.EINVAL.with("no number");
    }
    // proc_get_long()
    int copy = Math.min(left, TMPBUFLEN - 1);
    int q = p;
    boolean neg = false;
    if (buf[q] == '-' && left > 1) {
      neg = true;
      q++;
    }
    if (q >= p + copy || !isdigit(buf[q])) {
      throw Errno.EINVAL.with("not a number");
    }
    long[] value = new long[1];
    int end = strtoulLenient(buf, q, p + copy, value);
    int used = end - p;
    if (used == TMPBUFLEN - 1) {
      throw Errno.EINVAL.with("number too long");
    }
    if (used < left && buf[end] != ' ' && buf[end] != '\t' && buf[end] != '\n') {
      throw Errno.EINVAL.with("trailing garbage");
    }
    long v = convert(neg, value[0]);
    set.accept(v);
    p += used;
    left -= used;
    while (left > 0 && isspace(buf[p])) {
      p++;
      left--;
    }
    return len - left;
  }

  /** The handler's conversion and range check of a parsed number. */
  private long convert(boolean neg, long lval) throws ErrnoException {
    long v;
    if (type == Type.ULONG) {
      if (neg) {
        throw Errno.EINVAL.with("negative");
      }
      v = lval;
      if ((min != null && Long.compareUnsigned(v, min) < 0)
          || (max != null && Long.compareUnsigned(v, max) > 0)) {
        throw Errno.EINVAL.with("out of range");
      }
      return v;
    }
    // do_proc_dointvec_conv(), then do_proc_dointvec_minmax_conv()'s bounds
    if (neg) {
      if (Long.compareUnsigned(lval, (long) Integer.MAX_VALUE + 1) > 0) {
        throw Errno.EINVAL.with("does not fit int");
      }
      v = -lval;
    } else {
      if (Long.compareUnsigned(lval, Integer.MAX_VALUE) > 0) {
        throw Errno.EINVAL.with("does not fit int");
      }
      v = lval;
    }
    if ((min != null && v < min) || (max != null && v > max)) {
      throw Errno.EINVAL.with("out of range");
    }
    return v;
  }

  /**
   * {@code strtoul_lenient(cp, &endp, 0, &res)} over {@code buf[from..limit)} (the rest of the
   * temporary buffer is its NUL): the radix from the prefix, then digits while they are valid;
   * {@code EINVAL} on overflow. Returns the index after the last digit.
   */
  private static int strtoulLenient(byte[] buf, int from, int limit, long[] res)
      throws ErrnoException {
    int s = from;
    int base;
    if (at(buf, s, limit) == '0') {
      base =
          Character.toLowerCase(at(buf, s + 1, limit)) == 'x' && isxdigit(at(buf, s + 2, limit))
              ? 16
              : 8;
    } else {
      base = 10;
    }
    if (base == 16) {
      s += 2;
    }
    long r = 0;
    boolean overflow = false;
    while (true) {
      char c = at(buf, s, limit);
      int val;
      char lc = Character.toLowerCase(c);
      if (c >= '0' && c <= '9') {
        val = c - '0';
      } else if (lc >= 'a' && lc <= 'f') {
        val = lc - 'a' + 10;
      } else {
        break;
      }
      if (val >= base) {
        break;
      }
      if (Long.compareUnsigned(r, Long.divideUnsigned(-1L - val, base)) > 0) {
        overflow = true;
      }
      r = r * base + val;
      s++;
    }
    if (overflow) {
      throw Errno.EINVAL.with("number overflows unsigned long");
    }
    res[0] = r;
    return s;
  }

  private static char at(byte[] buf, int i, int limit) {
    return i < limit ? (char) (buf[i] & 0xff) : '\0';
  }

  /** {@code isspace()} of the kernel's ctype: blank, \t, \n, \v, \f, \r. */
  private static boolean isspace(byte b) {
    return b == ' ' || (b >= '\t' && b <= '\r');
  }

  private static boolean isdigit(byte b) {
    return b >= '0' && b <= '9';
  }

  private static boolean isxdigit(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
}
