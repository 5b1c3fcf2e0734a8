package io.slabfs.kernel.sysfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * lib/kstrtox.c as the stores see it: the input is the store buffer, {@code len} bytes followed by
 * a NUL.
 */
class KstrtoxTest {
  /** The buffer a store receives for a write of {@code s}: its bytes plus a NUL. */
  static byte[] buf(byte[] raw) {
    return Arrays.copyOf(raw, raw.length + 1);
  }

  static byte[] buf(String s) {
    return buf(s.getBytes(StandardCharsets.ISO_8859_1));
  }

  private static Errno errnoOf(Parse p) {
    try {
      p.run();
    } catch (ErrnoException e) {
      return e.errno();
    }
    throw new AssertionError("expected an errno");
  }

  @FunctionalInterface
  interface Parse {
    Object run() throws ErrnoException;
  }

  // ------------------------------------------------------------------ kstrtouint base 10

  static Stream<Arguments> kstrtouintBase10() {
    return Stream.of(
        Arguments.of("5", buf("5"), 5L, null),
        Arguments.of("5\\n", buf("5\n"), 5L, null),
        Arguments.of("+5", buf("+5"), 5L, null),
        Arguments.of("007", buf("007"), 7L, null),
        Arguments.of("(empty)", buf(""), null, Errno.EINVAL),
        Arguments.of("' 5'", buf(" 5"), null, Errno.EINVAL),
        Arguments.of("'5 '", buf("5 "), null, Errno.EINVAL),
        Arguments.of("-1", buf("-1"), null, Errno.EINVAL),
        Arguments.of("0x10", buf("0x10"), null, Errno.EINVAL),
        Arguments.of("5\\n\\n", buf("5\n\n"), null, Errno.EINVAL),
        Arguments.of("4294967295", buf("4294967295"), 4294967295L, null),
        Arguments.of("4294967296", buf("4294967296"), null, Errno.ERANGE),
        Arguments.of("abc", buf("abc"), null, Errno.EINVAL),
        Arguments.of(
            "binary", buf(new byte[] {(byte) 0x80, (byte) 0xff, 0x01, 0x7f}), null, Errno.EINVAL),
        Arguments.of("5000 digits", buf("1".repeat(5000)), null, Errno.ERANGE));
  }

  @ParameterizedTest(name = "kstrtouint(\"{0}\", 10)")
  @MethodSource("kstrtouintBase10")
  void kstrtouint_base10_table(String label, byte[] input, Long value, Errno errno)
      throws Exception {
    if (errno == null) {
      assertThat(Kstrtox.kstrtouint(input, 10)).isEqualTo(value);
    } else {
      assertThat(errnoOf(() -> Kstrtox.kstrtouint(input, 10))).isEqualTo(errno);
    }
  }

  @Test
  void kstrtouint_stopsAtFirstNul() throws Exception {
    assertThat(Kstrtox.kstrtouint(buf("5\0junk"), 10)).isEqualTo(5);
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf("\0" + "5"), 10))).isEqualTo(Errno.EINVAL);
  }

  @Test
  void kstrtouint_overflowBeforeTrailingJunk_isErange() {
    // _parse_integer reports the overflow before the trailing characters are looked at
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf("99999999999999999999x"), 10)))
        .isEqualTo(Errno.ERANGE);
  }

  @Test
  void kstrtouint_plusOnly_isEinval() {
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf("+"), 10))).isEqualTo(Errno.EINVAL);
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf("++5"), 10))).isEqualTo(Errno.EINVAL);
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf("\n"), 10))).isEqualTo(Errno.EINVAL);
  }

  // ------------------------------------------------------------------ kstrtoul bounds

  @Test
  void kstrtoul_maxValue_ok_oneMore_erange() throws Exception {
    assertThat(Kstrtox.kstrtoul(buf("18446744073709551615"), 10)).isEqualTo(-1L);
    assertThat(Long.toUnsignedString(Kstrtox.kstrtoul(buf("18446744073709551615\n"), 10)))
        .isEqualTo("18446744073709551615");
    assertThat(errnoOf(() -> Kstrtox.kstrtoul(buf("18446744073709551616"), 10)))
        .isEqualTo(Errno.ERANGE);
    assertThat(errnoOf(() -> Kstrtox.kstrtoul(buf("99999999999999999999"), 10)))
        .isEqualTo(Errno.ERANGE);
    assertThat(Kstrtox.kstrtoul(buf("4294967296"), 10)).isEqualTo(4294967296L);
  }

  @Test
  void kstrtoull_hexMax_ok_oneMoreDigit_erange() throws Exception {
    assertThat(Kstrtox.kstrtoull(buf("0xffffffffffffffff"), 16)).isEqualTo(-1L);
    assertThat(errnoOf(() -> Kstrtox.kstrtoull(buf("0x10000000000000000"), 16)))
        .isEqualTo(Errno.ERANGE);
  }

  // ------------------------------------------------------------------ bases

  @ParameterizedTest(name = "kstrtouint(\"{0}\", {1}) = {2}")
  @CsvSource({
    "0x10, 0, 16",
    "0X1f, 0, 31",
    "0xA, 0, 10",
    "010, 0, 8",
    "0, 0, 0",
    "10, 0, 10",
    "+0x10, 0, 16",
    "0x10, 16, 16",
    "10, 16, 16",
    "ff, 16, 255",
    "17, 8, 15",
    "0xffffffff, 0, 4294967295",
  })
  void kstrtouint_bases(String input, int base, long value) throws Exception {
    assertThat(Kstrtox.kstrtouint(buf(input), base)).isEqualTo(value);
  }

  @ParameterizedTest(name = "kstrtouint(\"{0}\", {1}) -> {2}")
  @CsvSource({
    "0x, 0, EINVAL",
    "08, 0, EINVAL",
    "0x, 16, EINVAL",
    "0xg, 0, EINVAL",
    "8, 8, EINVAL",
    "0x100000000, 0, ERANGE",
    "1a, 10, EINVAL",
  })
  void kstrtouint_badBasePrefixes(String input, int base, Errno errno) {
    assertThat(errnoOf(() -> Kstrtox.kstrtouint(buf(input), base))).isEqualTo(errno);
  }

  // ------------------------------------------------------------------ signed

  @ParameterizedTest(name = "kstrtoint(\"{0}\") = {1}")
  @CsvSource({
    "-1, -1",
    "-0, 0",
    "+7, 7",
    "-2147483648, -2147483648",
    "2147483647, 2147483647",
    "-0x10, -16"
  })
  void kstrtoint_values(String input, int value) throws Exception {
    int base = input.contains("x") ? 0 : 10;
    assertThat(Kstrtox.kstrtoint(buf(input), base)).isEqualTo(value);
  }

  @ParameterizedTest(name = "kstrtoint(\"{0}\") -> {1}")
  @CsvSource({
    "2147483648, ERANGE",
    "-2147483649, ERANGE",
    "-+5, EINVAL",
    "--5, EINVAL",
    "-, EINVAL"
  })
  void kstrtoint_errors(String input, Errno errno) {
    assertThat(errnoOf(() -> Kstrtox.kstrtoint(buf(input), 10))).isEqualTo(errno);
  }

  @Test
  void kstrtoll_bounds() throws Exception {
    assertThat(Kstrtox.kstrtoll(buf("-9223372036854775808"), 10)).isEqualTo(Long.MIN_VALUE);
    assertThat(Kstrtox.kstrtoll(buf("9223372036854775807"), 10)).isEqualTo(Long.MAX_VALUE);
    assertThat(errnoOf(() -> Kstrtox.kstrtoll(buf("9223372036854775808"), 10)))
        .isEqualTo(Errno.ERANGE);
    assertThat(errnoOf(() -> Kstrtox.kstrtoll(buf("-9223372036854775809"), 10)))
        .isEqualTo(Errno.ERANGE);
  }

  // ------------------------------------------------------------------ kstrtobool

  @ParameterizedTest(name = "kstrtobool(\"{0}\") = {1}")
  @CsvSource({
    "1, true",
    "y, true",
    "Y, true",
    "t, true",
    "T, true",
    "yes, true",
    "on, true",
    "ON, true",
    "oN, true",
    "On, true",
    "0, false",
    "n, false",
    "N, false",
    "f, false",
    "F, false",
    "no, false",
    "off, false",
    "OFF, false",
    "of, false",
    "0junk, false",
  })
  void kstrtobool_accepts(String input, boolean value) throws Exception {
    assertThat(Kstrtox.kstrtobool(buf(input))).isEqualTo(value);
  }

  @ParameterizedTest(name = "kstrtobool(\"{0}\") -> EINVAL")
  @CsvSource({"x", "2", "' 1'", "o", "ox", "-1", "''"})
  void kstrtobool_rejects(String input) {
    assertThat(errnoOf(() -> Kstrtox.kstrtobool(buf(input)))).isEqualTo(Errno.EINVAL);
  }

  @Test
  void kstrtobool_newline() throws Exception {
    assertThat(Kstrtox.kstrtobool(buf("1\n"))).isTrue();
    assertThat(Kstrtox.kstrtobool(buf("n\n"))).isFalse();
    assertThat(errnoOf(() -> Kstrtox.kstrtobool(buf("\n")))).isEqualTo(Errno.EINVAL);
  }

  @Test
  void kstrtobool_binaryOrNul_isEinval() {
    assertThatThrownBy(() -> Kstrtox.kstrtobool(buf(new byte[] {0, '1'})))
        .isInstanceOf(ErrnoException.class);
    assertThat(errnoOf(() -> Kstrtox.kstrtobool(buf(new byte[] {(byte) 0xff}))))
        .isEqualTo(Errno.EINVAL);
  }

  @Test
  void length_isCStringLength() {
    assertThat(Kstrtox.length(buf("abc"))).isEqualTo(3);
    assertThat(Kstrtox.length(new byte[] {'a', 'b'})).isEqualTo(2);
    assertThat(Kstrtox.length(buf("a\0b"))).isEqualTo(1);
  }
}
