package io.slabfs.kernel.debug;

import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kernel log ring ({@code printk}). Each record is one line with the printk timestamp
 * prefix {@code [    12.345678] }. The ring keeps at most {@link #LOG_BUF_LEN} bytes of text,
 * dropping the oldest records first, as {@code log_buf_len} does.
 *
 * <p>Concurrency: every method is synchronized on the ring; records are appended whole, so
 * lines of concurrent printk callers never interleave.
 */
public final class Dmesg {
  /** {@code CONFIG_LOG_BUF_SHIFT=17}. */
  public static final int LOG_BUF_LEN = 1 << 17;
  /** How often a waiter looks for a fatal signal, which wakes no Java monitor. */
  static final long SIGNAL_POLL_MILLIS = 100;

  private static final Logger log = LoggerFactory.getLogger("dmesg");

  private final KernelClock clock;
  private final Taint taint = new Taint();
  private final ArrayDeque<String> ring = new ArrayDeque<>();
  private int bytes;
  private long sequence;

  public Dmesg(KernelClock clock) {
    this.clock = clock;
  }

  /** The kernel's taint flags, printed in report headers. */
  public Taint taint() {
    return taint;
  }

  /** Appends one or more lines (split at '\n'), all with the same timestamp. */
  public void printk(String text) {
    long now = clock.nanosSinceBoot();
    String prefix = timestamp(now);
    synchronized (this) {
      String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
      for (String line : body.split("\n", -1)) {
        String record = prefix + line + "\n";
        ring.addLast(record);
        bytes += record.length();
        sequence++;
        log.info("{}", line);
      }
      while (bytes > LOG_BUF_LEN && ring.size() > 1) {
        bytes -= ring.removeFirst().length();
      }
      notifyAll();
    }
  }

  /** {@code pr_*} with a format string, for convenience. */
  public void printf(String format, Object... args) {
    printk(String.format(format, args));
  }

  /** The whole ring as {@code dmesg} prints it. */
  public synchronized byte[] contents() {
    StringBuilder sb = new StringBuilder(bytes);
    ring.forEach(sb::append);
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The lines now in the ring, without timestamps. */
  public synchronized List<String> messages() {
    List<String> out = new ArrayList<>(ring.size());
    for (String record : ring) {
      out.add(record.substring(record.indexOf("] ") + 2, record.length() - 1));
    }
    return out;
  }

  /**
   * Waits until a line containing {@code text} is in the ring (already or newly logged);
   * false on timeout, {@code EINTR} once {@code fatalSignalPending} says the waiter was killed.
   */
  public synchronized boolean awaitMessage(String text, long timeoutMillis,
      BooleanSupplier fatalSignalPending) throws ErrnoException {
    long deadline = System.currentTimeMillis() + timeoutMillis;
    while (true) {
      for (String record : ring) {
        if (record.contains(text)) {
          return true;
        }
      }
      // a killable wait (wait_event_killable): a killed caller ends it with EINTR
      if (fatalSignalPending.getAsBoolean()) {
        throw Errno.EINTR.with("fatal signal pending while waiting for '" + text + "'");
      }
      long left = deadline - System.currentTimeMillis();
      if (left <= 0) {
        return false;
      }
      try {
        // no wake-up comes with a signal: look for one every SIGNAL_POLL_MILLIS
        wait(Math.min(left, SIGNAL_POLL_MILLIS));
      } catch (InterruptedException e) {
        return false;
      }
    }
  }

  /** Number of records ever logged (not reset by {@link #clear()}). */
  public synchronized long sequence() {
    return sequence;
  }

  /** {@code dmesg -C}. */
  public synchronized void clear() {
    ring.clear();
    bytes = 0;
  }

  /** The printk prefix: seconds right-aligned in 5 columns, six decimals. */
  static String timestamp(long nanos) {
    long secs = nanos / 1_000_000_000L;
    long micros = (nanos % 1_000_000_000L) / 1_000L;
    return String.format("[%5d.%06d] ", secs, micros);
  }
}
