package io.slabfs.kernel.debug;

import com.google.errorprone.annotations.FormatMethod;
import com.google.errorprone.annotations.FormatString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models: kernel/printk/printk.c.
 *
 * <p>The kernel log ring ({@code printk}). Each record is one line with the printk timestamp prefix
 * {@code [ 12.345678] }. The ring keeps at most {@link #LOG_BUF_LEN} bytes of text, dropping the
 * oldest records first, as {@code log_buf_len} does.
 *
 * <p>Concurrency: every method is synchronized on the ring; records are appended whole, so lines of
 * concurrent printk callers never interleave.
 */
public final class Dmesg {
  /** {@code CONFIG_LOG_BUF_SHIFT=17}. */
  public static final int LOG_BUF_LEN = 1 << 17;

  private static final Logger log = LoggerFactory.getLogger("dmesg");

  private final KernelClock clock;
  private final Taint taint = new Taint();
  private final ArrayDeque<String> ring = new ArrayDeque<>();
  private int bytes;
  private long sequence;
  private volatile Runnable listener;

  /** {@code init_utsname()->release}, for report headers; set at boot. */
  private volatile String release = "7.0.0-slabfs";

  public Dmesg(KernelClock clock) {
    this.clock = clock;
  }

  /** {@code uname -r} of the simulated kernel, as report headers print it. */
  public String release() {
    return release;
  }

  public void setRelease(String release) {
    this.release = release;
  }

  /** The kernel's taint flags, printed in report headers. */
  public Taint taint() {
    return taint;
  }

  /** Appends one or more lines (split at '\n'), all with the same timestamp. */
  public void printk(String text) {
    String prefix = timestamp(clock.nanosSinceBoot());
    synchronized (this) {
      append(prefix, text);
    }
    notifyListener();
  }

  /**
   * Several printk calls in a row, one record each, each with its own timestamp, none interleaved
   * with another caller's: how a report made of many {@code pr_err()} calls lands.
   */
  public void printkRecords(java.util.List<String> records) {
    synchronized (this) {
      for (String r : records) {
        append(timestamp(clock.nanosSinceBoot()), r);
      }
    }
    notifyListener();
  }

  /** Appends {@code text}'s lines with {@code prefix}, dropping the oldest beyond the ring. */
  private void append(String prefix, String text) {
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
  }

  private void notifyListener() {
    Runnable l = listener;
    if (l != null) {
      l.run();
    }
  }

  /** {@code pr_*} with a format string, for convenience. */
  @FormatMethod
  public void printf(@FormatString String format, Object... args) {
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

  /** Whether a line containing {@code text} is in the ring. */
  public synchronized boolean contains(String text) {
    for (String record : ring) {
      if (record.contains(text)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs {@code listener} after every printk, outside the ring's monitor (the locking layer, which
   * sits above this one, wakes its waiters for new lines with it).
   */
  public void onPrintk(Runnable listener) {
    this.listener = listener;
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
