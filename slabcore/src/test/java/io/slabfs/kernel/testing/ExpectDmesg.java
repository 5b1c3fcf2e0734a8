package io.slabfs.kernel.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Repeatable;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A kernel-problem line ({@code BUG:}, {@code WARNING:}, KASAN, lockdep, hung task) that a test
 * provokes on purpose. {@link KernelExtension} then accepts dmesg lines containing {@link #value()}
 * instead of failing the test on them, and fails the test if no line of the kernel's dmesg contains
 * it: a declared splat that does not happen is a regression too.
 *
 * <p>On a class it applies to every test of the class.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Repeatable(ExpectDmesg.List.class)
public @interface ExpectDmesg {
  /** Text that a dmesg line contains, e.g. {@code "WARNING: possible circular locking"}. */
  String value();

  /** The container of repeated {@link ExpectDmesg}s. */
  @Target({ElementType.TYPE, ElementType.METHOD})
  @Retention(RetentionPolicy.RUNTIME)
  @interface List {
    ExpectDmesg[] value();
  }
}
