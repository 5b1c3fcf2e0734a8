package io.slabfs.kernel.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.fuzz.RefKstrtox.Result;
import io.slabfs.kernel.sysfs.Kstrtox;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/**
 * lib/kstrtox.c over arbitrary bytes (kernel-model 1.3): the parsers every store handler uses
 * either return a value or fail with {@code EINVAL}/{@code ERANGE}, agree with a line-by-line
 * transcription of the kernel's C ({@link RefKstrtox}), and give a valid decimal its value.
 */
class KstrtoxFuzzTest {
  private static final BigInteger TWO_64 = BigInteger.ONE.shiftLeft(64);
  private static final Set<Errno> PARSE_ERRNOS = Set.of(Errno.EINVAL, Errno.ERANGE);

  /** A parser under test: the model's function, by name. */
  @FunctionalInterface
  private interface Parse {
    long run(byte[] buf) throws ErrnoException;
  }

  /** The model's answer, in the oracle's shape; any other exception fails the property. */
  private static Result model(String what, byte[] buf, Parse p) {
    try {
      return Result.ok(p.run(buf));
    } catch (ErrnoException e) {
      return Result.err(e.errno());
    } catch (RuntimeException | Error e) {
      return fail(what + "(" + Garbage.show(buf) + ") threw " + e, e);
    }
  }

  /** The store buffer: the written bytes, and sometimes the NUL the kernel puts after them. */
  @Provide
  Arbitrary<byte[]> storeBuffers() {
    return Combinators.combine(Garbage.any(), Arbitraries.of(true, false))
        .as((b, nul) -> nul ? Arrays.copyOf(b, b.length + 1) : b);
  }

  @Property(tries = 1000)
  void anyBytes_failOnlyWithEinvalOrErange(@ForAll("storeBuffers") byte[] buf) {
    Result[] all = {
      model("kstrtouint", buf, b -> Kstrtox.kstrtouint(b, 10)),
      model("kstrtoul", buf, b -> Kstrtox.kstrtoul(b, 10)),
      model("kstrtoint", buf, b -> Kstrtox.kstrtoint(b, 10)),
      model("kstrtoll/0", buf, b -> Kstrtox.kstrtoll(b, 0)),
      model("kstrtoull/0", buf, b -> Kstrtox.kstrtoull(b, 0)),
      model("kstrtoull/16", buf, b -> Kstrtox.kstrtoull(b, 16)),
      model("kstrtobool", buf, b -> Kstrtox.kstrtobool(b) ? 1 : 0),
    };
    for (Result r : all) {
      if (!r.ok()) {
        assertThat(PARSE_ERRNOS).as("errno for %s", Garbage.show(buf)).contains(r.errno());
      }
    }
    if (!all[6].ok()) {
      assertThat(all[6].errno()).as("kstrtobool %s", Garbage.show(buf)).isEqualTo(Errno.EINVAL);
    }
  }

  @Property(tries = 1000)
  void anyBytes_integerParsersAgreeWithLibKstrtox(
      @ForAll("storeBuffers") byte[] buf, @ForAll("bases") int base) {
    String in = Garbage.show(buf) + " base " + base;
    assertThat(model("kstrtouint", buf, b -> Kstrtox.kstrtouint(b, base)))
        .as("kstrtouint %s", in)
        .isEqualTo(RefKstrtox.kstrtouint(buf, base));
    assertThat(model("kstrtoul", buf, b -> Kstrtox.kstrtoul(b, base)))
        .as("kstrtoul %s", in)
        .isEqualTo(RefKstrtox.kstrtoul(buf, base));
    assertThat(model("kstrtoint", buf, b -> Kstrtox.kstrtoint(b, base)))
        .as("kstrtoint %s", in)
        .isEqualTo(RefKstrtox.kstrtoint(buf, base));
    assertThat(model("kstrtoll", buf, b -> Kstrtox.kstrtoll(b, base)))
        .as("kstrtoll %s", in)
        .isEqualTo(RefKstrtox.kstrtoll(buf, base));
    assertThat(model("kstrtoull", buf, b -> Kstrtox.kstrtoull(b, base)))
        .as("kstrtoull %s", in)
        .isEqualTo(RefKstrtox.kstrtoull(buf, base));
  }

  @Provide
  Arbitrary<Integer> bases() {
    return Arbitraries.of(0, 8, 10, 16);
  }

  /**
   * kstrtobool against 6.18's C, for every input except those starting with {@code e/E/d/D}, which
   * 6.16+ accepts and the model does not (see {@link
   * #kstrtobool_acceptsEnabledAndDisabled_as616AndLaterDo}).
   */
  @Property(tries = 1000)
  void anyBytes_kstrtoboolAgreesWithLibKstrtox(@ForAll("storeBuffers") byte[] buf) {
    Assume.that(buf.length == 0 || "eEdD".indexOf(buf[0]) < 0);
    assertThat(model("kstrtobool", buf, b -> Kstrtox.kstrtobool(b) ? 1 : 0))
        .as("kstrtobool %s", Garbage.show(buf))
        .isEqualTo(RefKstrtox.kstrtobool(buf));
  }

  /**
   * Since commit ae5b3500856f ("kstrtox: add support for enabled and disabled in kstrtobool()",
   * merged for 6.16) the kernel takes {@code e}/{@code E} as true and {@code d}/{@code D} as false,
   * so on 6.18 {@code echo disable > cpu1/online} takes the CPU down.
   */
  @Property(tries = 200)
  void kstrtobool_acceptsEnabledAndDisabled_as616AndLaterDo(@ForAll("enabledDisabled") byte[] buf) {
    assertThat(model("kstrtobool", buf, b -> Kstrtox.kstrtobool(b) ? 1 : 0))
        .as("kstrtobool %s", Garbage.show(buf))
        .isEqualTo(RefKstrtox.kstrtobool(buf));
  }

  @Provide
  Arbitrary<byte[]> enabledDisabled() {
    return Combinators.combine(
            Arbitraries.of("e", "E", "d", "D", "enable", "disabled", "Dx"),
            Arbitraries.of("", "\n", "xyz"))
        .as((a, b) -> Garbage.ascii(a + b));
  }

  // ------------------------------------------------------------------- valid decimals

  /** A decimal number: value, sign, leading zeros and at most one trailing newline. */
  record Decimal(BigInteger value, String text) {
    @Override
    public String toString() {
      return Garbage.show(Garbage.ascii(text)) + " = " + value;
    }
  }

  @Provide
  Arbitrary<Decimal> decimals() {
    BigInteger[] edges = {
      BigInteger.ZERO,
      BigInteger.ONE,
      BigInteger.valueOf(Integer.MAX_VALUE),
      BigInteger.valueOf(Integer.MAX_VALUE).add(BigInteger.ONE),
      BigInteger.valueOf(0xFFFF_FFFFL),
      BigInteger.valueOf(0x1_0000_0000L),
      BigInteger.valueOf(Long.MAX_VALUE),
      BigInteger.valueOf(Long.MAX_VALUE).add(BigInteger.ONE),
      TWO_64.subtract(BigInteger.ONE),
      TWO_64,
      TWO_64.add(BigInteger.ONE),
      TWO_64.shiftLeft(4),
      BigInteger.TEN.pow(30)
    };
    Arbitrary<BigInteger> value =
        Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.longs().greaterOrEqual(0).map(BigInteger::valueOf)),
            Tuple.of(2, Arbitraries.bigIntegers().between(BigInteger.ZERO, TWO_64.shiftLeft(8))),
            Tuple.of(2, Arbitraries.integers().between(0, 100_000).map(BigInteger::valueOf)),
            Tuple.of(2, Arbitraries.of(edges)),
            Tuple.of(
                1,
                Arbitraries.of(edges).map(e -> e.subtract(BigInteger.ONE).max(BigInteger.ZERO))));
    Arbitrary<String> sign = Arbitraries.of("", "", "+", "-");
    Arbitrary<Integer> zeros =
        Arbitraries.integers()
            .between(0, 6)
            .withDistribution(net.jqwik.api.RandomDistribution.biased());
    Arbitrary<Boolean> newline = Arbitraries.of(true, false);
    return Combinators.combine(value, sign, zeros, newline)
        .as(
            (v, s, z, nl) -> {
              BigInteger signed = s.equals("-") ? v.negate() : v;
              return new Decimal(signed, s + "0".repeat(z) + v + (nl ? "\n" : ""));
            });
  }

  @Property(tries = 1000)
  void validDecimal_parsesToItsValue_orErangeWhenItDoesNotFit(@ForAll("decimals") Decimal d)
      throws ErrnoException {
    byte[] nul = Garbage.ascii(d.text() + "\0");
    String java = d.text().strip(); // Long.parse* take a '+' and leading zeros, not a newline
    boolean negative = d.value().signum() < 0;
    boolean negZero = d.text().startsWith("-") && d.value().signum() == 0;

    // kstrtoul: 64-bit unsigned, no '-'
    if (negative || negZero) {
      assertThat(errno(() -> Kstrtox.kstrtoul(nul, 10)))
          .as("kstrtoul %s", d)
          .isEqualTo(Errno.EINVAL);
    } else if (d.value().compareTo(TWO_64) < 0) {
      assertThat(Kstrtox.kstrtoul(nul, 10))
          .as("kstrtoul %s", d)
          .isEqualTo(Long.parseUnsignedLong(java));
    } else {
      assertThat(errno(() -> Kstrtox.kstrtoul(nul, 10)))
          .as("kstrtoul %s", d)
          .isEqualTo(Errno.ERANGE);
    }

    // kstrtouint: 32-bit unsigned
    if (negative || negZero) {
      assertThat(errno(() -> Kstrtox.kstrtouint(nul, 10)))
          .as("kstrtouint %s", d)
          .isEqualTo(Errno.EINVAL);
    } else if (d.value().bitLength() <= 32) {
      assertThat(Kstrtox.kstrtouint(nul, 10))
          .as("kstrtouint %s", d)
          .isEqualTo(Integer.toUnsignedLong(Integer.parseUnsignedInt(java)));
    } else {
      assertThat(errno(() -> Kstrtox.kstrtouint(nul, 10)))
          .as("kstrtouint %s", d)
          .isEqualTo(Errno.ERANGE);
    }

    // kstrtoint: 32-bit signed ("-0" is 0); a magnitude past 2^64 overflows the parse itself
    boolean fitsInt = d.value().bitLength() <= 31; // bitLength(-2^31) is 31
    if (fitsInt) {
      assertThat(Kstrtox.kstrtoint(nul, 10))
          .as("kstrtoint %s", d)
          .isEqualTo(Integer.parseInt(java));
    } else {
      assertThat(errno(() -> Kstrtox.kstrtoint(nul, 10)))
          .as("kstrtoint %s", d)
          .isEqualTo(Errno.ERANGE);
    }

    // kstrtoll: 64-bit signed
    boolean fitsLong = d.value().bitLength() <= 63;
    if (fitsLong) {
      assertThat(Kstrtox.kstrtoll(nul, 10)).as("kstrtoll %s", d).isEqualTo(Long.parseLong(java));
    } else {
      assertThat(errno(() -> Kstrtox.kstrtoll(nul, 10)))
          .as("kstrtoll %s", d)
          .isEqualTo(Errno.ERANGE);
    }

    // a second trailing newline is never accepted
    byte[] twoNewlines =
        Garbage.ascii(d.text().endsWith("\n") ? d.text() + "\n" : d.text() + "\n\n");
    assertThat(errno(() -> Kstrtox.kstrtoul(twoNewlines, 10)))
        .as("kstrtoul %s\\n", d)
        .isIn(Errno.EINVAL, Errno.ERANGE);
  }

  /** A parse of a fixed input. */
  @FunctionalInterface
  private interface Call {
    long run() throws ErrnoException;
  }

  /** The errno a parse fails with; fails the property if it succeeds or throws otherwise. */
  private static Errno errno(Call c) {
    try {
      long v = c.run();
      return fail("expected a failure, got " + Long.toUnsignedString(v));
    } catch (ErrnoException e) {
      return e.errno();
    }
  }
}
