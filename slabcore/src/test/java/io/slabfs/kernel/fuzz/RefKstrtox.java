package io.slabfs.kernel.fuzz;

import io.slabfs.kernel.errno.Errno;

/**
 * The test oracle for the number parsers: lib/kstrtox.c of 6.18 transcribed line by line, on a C
 * string (the bytes up to the first NUL, or the end of the array), written independently of {@link
 * io.slabfs.kernel.sysfs.Kstrtox}. Every function answers with a {@link Result}: a value, or the
 * negative errno the kernel returns.
 */
final class RefKstrtox {
  private RefKstrtox() {}

  /** {@code KSTRTOX_OVERFLOW}. */
  private static final int OVERFLOW = 1 << 31;

  /** A parse result: {@code errno == null} and {@code value}, or the errno. */
  record Result(long value, Errno errno) {
    static Result ok(long v) {
      return new Result(v, null);
    }

    static Result err(Errno e) {
      return new Result(0, e);
    }

    boolean ok() {
      return errno == null;
    }

    @Override
    public String toString() {
      return ok()
          ? "value " + Long.toUnsignedString(value) + " (signed " + value + ")"
          : "-" + errno.name();
    }
  }

  /** The C string in {@code buf}: the bytes before the first NUL. */
  private static byte[] cstr(byte[] buf) {
    for (int i = 0; i < buf.length; i++) {
      if (buf[i] == 0) {
        return java.util.Arrays.copyOf(buf, i);
      }
    }
    return buf;
  }

  /** {@code s[i]} of a C string: 0 at the terminator (and past it, never read by C). */
  private static int at(byte[] s, int i) {
    return i < s.length ? s[i] & 0xff : 0;
  }

  private static int tolower(int c) {
    return c | 0x20;
  }

  private static boolean isxdigit(int c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }

  /** {@code _parse_integer_fixup_radix}: returns {base, start}. */
  private static int[] fixupRadix(byte[] s, int p, int base) {
    if (base == 0) {
      if (at(s, p) == '0') {
        base = tolower(at(s, p + 1)) == 'x' && isxdigit(at(s, p + 2)) ? 16 : 8;
      } else {
        base = 10;
      }
    }
    if (base == 16 && at(s, p) == '0' && tolower(at(s, p + 1)) == 'x') {
      p += 2;
    }
    return new int[] {base, p};
  }

  /** {@code _parse_integer}: characters consumed, ORed with {@link #OVERFLOW}; value in out[0]. */
  private static int parseInteger(byte[] s, int p, int base, long[] out) {
    long res = 0;
    int rv = 0;
    int overflow = 0;
    for (; ; rv++, p++) {
      int c = at(s, p);
      int lc = tolower(c);
      int val;
      if ('0' <= c && c <= '9') {
        val = c - '0';
      } else if ('a' <= lc && lc <= 'f') {
        val = lc - 'a' + 10;
      } else {
        break;
      }
      if (val >= base) {
        break;
      }
      if ((res & (~0L << 60)) != 0) {
        // check_mul_overflow / check_add_overflow on u64
        long hi = Math.multiplyHigh(res, base) + ((res >> 63) & base); // unsigned high word
        long mul = res * base;
        if (hi != 0) {
          overflow = OVERFLOW;
        }
        long sum = mul + val;
        if (Long.compareUnsigned(sum, mul) < 0) {
          overflow = OVERFLOW;
        }
        res = sum;
      } else {
        res = res * base + val;
      }
    }
    out[0] = res;
    return rv | overflow;
  }

  private static Result kstrtoullAt(byte[] s, int p, int base) {
    int[] fr = fixupRadix(s, p, base);
    long[] res = new long[1];
    int rv = parseInteger(s, fr[1], fr[0], res);
    if ((rv & OVERFLOW) != 0) {
      return Result.err(Errno.ERANGE);
    }
    if (rv == 0) {
      return Result.err(Errno.EINVAL);
    }
    int q = fr[1] + rv;
    if (at(s, q) == '\n') {
      q++;
    }
    if (at(s, q) != 0) {
      return Result.err(Errno.EINVAL);
    }
    return Result.ok(res[0]);
  }

  static Result kstrtoull(byte[] buf, int base) {
    byte[] s = cstr(buf);
    return kstrtoullAt(s, at(s, 0) == '+' ? 1 : 0, base);
  }

  static Result kstrtoul(byte[] s, int base) {
    return kstrtoull(s, base); // x86_64: unsigned long is 64 bits
  }

  static Result kstrtoll(byte[] buf, int base) {
    byte[] s = cstr(buf);
    if (at(s, 0) == '-') {
      Result r = kstrtoullAt(s, 1, base);
      if (!r.ok()) {
        return r;
      }
      if (-r.value() > 0) {
        return Result.err(Errno.ERANGE);
      }
      return Result.ok(-r.value());
    }
    Result r = kstrtoull(s, base);
    if (!r.ok()) {
      return r;
    }
    if (r.value() < 0) {
      return Result.err(Errno.ERANGE);
    }
    return r;
  }

  static Result kstrtouint(byte[] s, int base) {
    Result r = kstrtoull(s, base);
    if (r.ok() && r.value() != (r.value() & 0xFFFF_FFFFL)) {
      return Result.err(Errno.ERANGE);
    }
    return r;
  }

  static Result kstrtoint(byte[] s, int base) {
    Result r = kstrtoll(s, base);
    if (r.ok() && r.value() != (int) r.value()) {
      return Result.err(Errno.ERANGE);
    }
    return r;
  }

  /**
   * {@code kstrtobool} of 6.18: {@code e/E} and {@code d/D} ("enabled", "disabled") are accepted
   * since commit ae5b3500856f ("kstrtox: add support for enabled and disabled in kstrtobool()",
   * 6.16). The value is 1 or 0.
   */
  static Result kstrtobool(byte[] buf) {
    byte[] s = cstr(buf);
    switch (at(s, 0)) {
      case 'e', 'E', 'y', 'Y', 't', 'T', '1':
        return Result.ok(1);
      case 'd', 'D', 'n', 'N', 'f', 'F', '0':
        return Result.ok(0);
      case 'o', 'O':
        switch (at(s, 1)) {
          case 'n', 'N':
            return Result.ok(1);
          case 'f', 'F':
            return Result.ok(0);
          default:
            break;
        }
        break;
      default:
        break;
    }
    return Result.err(Errno.EINVAL);
  }
}
