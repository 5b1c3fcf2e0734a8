package io.slabfs.kernel.sysfs;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;

/**
 * Models: lib/kstrtox.c.
 *
 * <p>lib/kstrtox.c: the number parsers every store handler uses. The input is the store buffer,
 * {@code len} bytes then a NUL; parsing stops at the first NUL as C string functions do.
 *
 * <p>Accepted: an optional {@code +} (and {@code -} for signed types), digits in the base (base 0
 * also takes {@code 0x}/{@code 0} prefixes), at most one trailing newline, then the end. Anything
 * else is {@code EINVAL}; a value that does not fit the type is {@code ERANGE}.
 */
public final class Kstrtox {
  private Kstrtox() {}

  /** {@code kstrtouint(buf, base, &v)}; the result is an unsigned 32-bit value in a long. */
  public static long kstrtouint(byte[] buf, int base) throws ErrnoException {
    long v = kstrtoull(buf, base);
    if (Long.compareUnsigned(v, 0xFFFF_FFFFL) > 0) {
      throw Errno.ERANGE.with("value does not fit unsigned int");
    }
    return v;
  }

  /** {@code kstrtoul}: unsigned 64-bit; compare with {@link Long#compareUnsigned}. */
  public static long kstrtoul(byte[] buf, int base) throws ErrnoException {
    return kstrtoull(buf, base);
  }

  /** {@code kstrtoint}: signed 32-bit. */
  public static int kstrtoint(byte[] buf, int base) throws ErrnoException {
    long v = kstrtoll(buf, base);
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw Errno.ERANGE.with("value does not fit int");
    }
    return (int) v;
  }

  /** {@code kstrtoll}: signed 64-bit. */
  public static long kstrtoll(byte[] buf, int base) throws ErrnoException {
    if (length(buf) > 0 && buf[0] == '-') {
      long v = kstrtoull(buf, 1, base);
      if (Long.compareUnsigned(v, Long.MIN_VALUE) > 0) {
        throw Errno.ERANGE.with("value does not fit long long");
      }
      return -v;
    }
    long v = kstrtoull(buf, base);
    if (v < 0) {
      throw Errno.ERANGE.with("value does not fit long long");
    }
    return v;
  }

  /** {@code kstrtoull}: unsigned 64-bit. */
  public static long kstrtoull(byte[] buf, int base) throws ErrnoException {
    int start = length(buf) > 0 && buf[0] == '+' ? 1 : 0;
    return kstrtoull(buf, start, base);
  }

  private static long kstrtoull(byte[] buf, int start, int base) throws ErrnoException {
    int end = length(buf);
    int i = start;
    // _parse_integer_fixup_radix
    if (base == 0) {
      if (i < end && buf[i] == '0') {
        boolean hex = i + 2 < end && (buf[i + 1] | 0x20) == 'x' && isHex(buf[i + 2]);
        base = hex ? 16 : 8;
      } else {
        base = 10;
      }
    }
    if (base == 16 && i + 1 < end && buf[i] == '0' && (buf[i + 1] | 0x20) == 'x') {
      i += 2;
    }
    long value = 0;
    boolean overflow = false;
    int digits = 0;
    for (; i < end; i++) {
      int d = digit(buf[i]);
      if (d < 0 || d >= base) {
        break;
      }
      long hi = Long.divideUnsigned(-1L, base);
      if (Long.compareUnsigned(value, hi) > 0) {
        overflow = true;
      }
      long next = value * base + d;
      if (Long.compareUnsigned(next, value * base) < 0) {
        overflow = true;
      }
      value = next;
      digits++;
    }
    if (digits == 0) {
      throw Errno.EINVAL.with("no digits");
    }
    if (overflow) {
      throw Errno.ERANGE.with("value out of range");
    }
    if (i < end && buf[i] == '\n') {
      i++;
    }
    if (i != end) {
      throw Errno.EINVAL.with("trailing characters");
    }
    return value;
  }

  /**
   * {@code kstrtobool}: looks at the first one or two characters only: {@code 1 y Y t T e E} and
   * {@code on} are true, {@code 0 n N f F d D} and {@code off} are false ({@code e}/{@code d} for
   * enable/disable since 6.16); anything else {@code EINVAL}.
   */
  public static boolean kstrtobool(byte[] buf) throws ErrnoException {
    int n = length(buf);
    if (n == 0) {
      throw Errno.EINVAL.with("empty boolean");
    }
    switch (buf[0]) {
      case 'y', 'Y', 't', 'T', 'e', 'E', '1':
        return true;
      case 'n', 'N', 'f', 'F', 'd', 'D', '0':
        return false;
      case 'o', 'O':
        if (n > 1) {
          if ((buf[1] | 0x20) == 'n') {
            return true;
          }
          if ((buf[1] | 0x20) == 'f') {
            return false;
          }
        }
        break;
      default:
        break;
    }
    throw Errno.EINVAL.with("not a boolean");
  }

  /** Length of the C string in {@code buf}: up to the first NUL or the end of the array. */
  public static int length(byte[] buf) {
    for (int i = 0; i < buf.length; i++) {
      if (buf[i] == 0) {
        return i;
      }
    }
    return buf.length;
  }

  private static boolean isHex(byte b) {
    int d = digit(b);
    return d >= 0 && d < 16;
  }

  private static int digit(byte b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    int lower = b | 0x20;
    if (lower >= 'a' && lower <= 'f') {
      return lower - 'a' + 10;
    }
    return -1;
  }
}
