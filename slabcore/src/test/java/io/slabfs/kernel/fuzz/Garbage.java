package io.slabfs.kernel.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Generators of what a careless or hostile writer puts into a sysfs file: arbitrary bytes (NUL and
 * invalid UTF-8 included), almost-numbers (signs, leading zeros, newlines, overflow), the words the
 * kernel's parsers know, and long writes past a page.
 */
final class Garbage {
  private Garbage() {}

  /** Inputs the kernel's parsers treat specially, and classic overflow edges. */
  static final List<String> WORDS =
      List.of(
          "",
          "\0",
          "\n",
          "\n\n",
          " ",
          "\t",
          "0",
          "1",
          "0\n",
          "1\n",
          "1\n\n",
          " 1",
          "1 ",
          "+1",
          "-1",
          "-0",
          "+0",
          "+",
          "-",
          "++1",
          "+-1",
          "007",
          "0x10",
          "0X1f",
          "0x",
          "0xg",
          "010",
          "08",
          "0b1",
          "1e3",
          "1.5",
          "1,2",
          "1,2,3",
          ",",
          "1,",
          ",1",
          "on",
          "off",
          "oN",
          "OFF",
          "of",
          "o",
          "oX",
          "y",
          "Y",
          "n",
          "N",
          "t",
          "T",
          "f",
          "F",
          "yes",
          "no",
          "true",
          "false",
          "e",
          "E",
          "d",
          "D",
          "enable",
          "disable",
          "2",
          "5",
          "10",
          "1xyz",
          "1\0xyz",
          "5\0",
          "\0" + "5",
          "100",
          "101",
          "255",
          "256",
          "65535",
          "65536",
          "32767",
          "32768",
          "-32768",
          "-32769",
          "4294967295",
          "4294967296",
          "2147483647",
          "2147483648",
          "-2147483648",
          "-2147483649",
          "9223372036854775807",
          "9223372036854775808",
          "-9223372036854775808",
          "-9223372036854775809",
          "18446744073709551615",
          "18446744073709551616",
          "36893488147419103232",
          "99999999999999999999999999999",
          "0xffffffffffffffff",
          "0x10000000000000000",
          "01777777777777777777777",
          "02000000000000000000000",
          "add",
          "remove",
          "change",
          "add 00000000-0000-0000-0000-000000000000",
          "add x",
          "..",
          "../..",
          "/etc/passwd",
          "%s%n%x",
          "${x}",
          "$(reboot)",
          "`id`",
          "\\",
          "'",
          "\"");

  /** Byte sequences that are not UTF-8: lone continuation bytes, overlongs, surrogates. */
  static final List<byte[]> INVALID_UTF8 =
      List.of(
          bytes(0xff),
          bytes(0xfe, 0xff),
          bytes(0xc3, 0x28),
          bytes(0xe2, 0x28, 0xa1),
          bytes(0xf0, 0x28, 0x8c, 0xbc),
          bytes(0xc0, 0x80),
          bytes(0xed, 0xa0, 0x80),
          bytes(0x80),
          bytes('1', 0xff),
          bytes('1', 0xc3),
          bytes(0xf8, 0x88, 0x80, 0x80, 0x80),
          bytes('y', 0x80),
          bytes('o', 0xce),
          bytes('0', 'x', 0xff));

  static byte[] bytes(int... b) {
    byte[] out = new byte[b.length];
    for (int i = 0; i < b.length; i++) {
      out[i] = (byte) b[i];
    }
    return out;
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Any bytes, 0 to 64 of them. */
  static Arbitrary<byte[]> randomBytes() {
    return Arbitraries.bytes().array(byte[].class).ofMaxSize(64);
  }

  /** Bytes drawn from the alphabet of numbers and booleans, so that parsers go deep. */
  static Arbitrary<byte[]> numberish() {
    Arbitrary<String> sign = Arbitraries.of("", "", "", "+", "-", "++", "+-", " ", "0x", "0");
    Arbitrary<String> digits =
        Arbitraries.strings().withChars("0123456789").ofMinLength(1).ofMaxLength(28);
    Arbitrary<String> tail =
        Arbitraries.of(
            "", "", "", "\n", "\n", "\n\n", " ", "\0", "\0junk", "x", "\r\n", "\t", ",7", "abc",
            "\n\0", "0");
    return Combinators.combine(sign, digits, tail).as((a, b, c) -> ascii(a + b + c));
  }

  /** A known word, or a known word with invalid UTF-8 appended or prepended. */
  static Arbitrary<byte[]> words() {
    Arbitrary<byte[]> word = Arbitraries.of(WORDS).map(Garbage::ascii);
    Arbitrary<byte[]> bad = Arbitraries.of(INVALID_UTF8);
    Arbitrary<byte[]> mixed =
        Combinators.combine(word, bad, Arbitraries.of(true, false))
            .as((w, b, front) -> front ? concat(b, w) : concat(w, b));
    return Arbitraries.frequencyOf(Tuple.of(6, word), Tuple.of(1, bad), Tuple.of(2, mixed));
  }

  /**
   * Long writes, 4000 bytes to 8 KiB: a value padded with zeros or junk, repeated digits, or random
   * bytes. The store sees only the first 4096.
   */
  static Arbitrary<byte[]> long8k() {
    Arbitrary<Integer> size =
        Arbitraries.integers().between(4000, 8192).edgeCases(c -> c.add(4095).add(4096).add(4097));
    Arbitrary<Character> fill = Arbitraries.of('0', '1', '9', 'x', '\n', ' ', '\0');
    Arbitrary<byte[]> head = Arbitraries.of("", "1", "+", "0", "1\n", "y", "-").map(Garbage::ascii);
    Arbitrary<byte[]> padded =
        Combinators.combine(head, fill, size)
            .as(
                (h, c, n) -> {
                  byte[] out = new byte[n];
                  Arrays.fill(out, (byte) c.charValue());
                  System.arraycopy(h, 0, out, 0, Math.min(h.length, n));
                  return out;
                });
    Arbitrary<byte[]> random =
        Arbitraries.bytes().array(byte[].class).ofMinSize(4000).ofMaxSize(8192);
    return Arbitraries.oneOf(padded, random);
  }

  /** Everything above, weighted toward the inputs that reach deep into the parsers. */
  static Arbitrary<byte[]> any() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, randomBytes()),
        Tuple.of(4, numberish()),
        Tuple.of(4, words()),
        Tuple.of(1, long8k()));
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** For messages: printable ASCII as is, everything else escaped, long inputs cut. */
  static String show(byte[] b) {
    StringBuilder sb = new StringBuilder("\"");
    int n = Math.min(b.length, 80);
    for (int i = 0; i < n; i++) {
      int c = b[i] & 0xff;
      if (c == '\n') {
        sb.append("\\n");
      } else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
        sb.append((char) c);
      } else {
        sb.append(String.format("\\x%02x", c));
      }
    }
    sb.append('"');
    if (b.length > n) {
      sb.append("... (").append(b.length).append(" bytes)");
    }
    return sb.toString();
  }

  /** Whether {@code b} up to its first NUL is well-formed UTF-8. */
  static boolean isUtf8(byte[] b, int len) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b, 0, len));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }
}
