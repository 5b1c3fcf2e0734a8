package io.slabfs.kernel.errno;

/**
 * Ours: simulator (the kernel returns {@code -errno}).
 *
 * <p>The one checked exception of the model: an expected failure that the kernel reports as a
 * negative errno. The reason is for the log and {@code sim/dmesg}; user space sees only the errno.
 */
public final class ErrnoException extends Exception {
  private final Errno errno;

  public ErrnoException(Errno errno, String why) {
    super(why, null, false, false);
    this.errno = errno;
  }

  public Errno errno() {
    return errno;
  }

  /** The reason given when the error was raised. */
  public String why() {
    return getMessage();
  }

  /** {@code ENOENT: why}: the errno's name first, as strace shows a failed call. */
  @Override
  @SuppressWarnings("OverrideThrowableToString") // getMessage() stays the bare reason (why())
  public String toString() {
    return errno.name() + ": " + getMessage();
  }
}
