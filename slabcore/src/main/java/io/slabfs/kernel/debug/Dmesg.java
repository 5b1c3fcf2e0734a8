package io.slabfs.kernel.debug;

import com.google.errorprone.annotations.FormatMethod;
import com.google.errorprone.annotations.FormatString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Models: kernel/printk/printk.c.
 *
 * <p>The kernel log ring ({@code printk}). Each record has a sequence number (the first is 0), a
 * facility and level, a timestamp and one line of text. {@link #contents} renders the records as
 * {@code dmesg} prints them, with the printk timestamp prefix {@code [ 12.345678] }; {@link #next}
 * hands them to {@code /dev/kmsg} readers by sequence number. The ring keeps at most {@link
 * #LOG_BUF_LEN} bytes of text, dropping the oldest records first, as {@code log_buf_len} does.
 * {@link #clear} is {@code SYSLOG_ACTION_CLEAR} ({@code dmesg -C}): it moves {@code clear_seq},
 * after which the syslog view ({@link #contents}, {@link #messages}) starts; the records stay in
 * the ring for {@code /dev/kmsg}.
 *
 * <p>Levels: {@link #printk} stores {@code default_message_loglevel} (4, {@code
 * CONFIG_MESSAGE_LOGLEVEL_DEFAULT}) with facility 0 ({@code LOG_KERN}), as a printk without a
 * {@code KERN_} prefix does; the model's reports carry no level of their own yet. {@link #emit} (a
 * write to {@code /dev/kmsg}) gives both.
 *
 * <p>Concurrency: every method is synchronized on the ring; records are appended whole, so lines of
 * concurrent printk callers never interleave.
 */
public final class Dmesg {
  /** {@code CONFIG_LOG_BUF_SHIFT=17}. */
  public static final int LOG_BUF_LEN = 1 << 17;

  /** {@code CONFIG_MESSAGE_LOGLEVEL_DEFAULT}: the level of a printk without one. */
  public static final int DEFAULT_MESSAGE_LOGLEVEL = 4;

  private static final Logger log = LoggerFactory.getLogger("dmesg");

  /**
   * One printk record ({@code struct printk_info} and its text).
   *
   * @param seq the record's sequence number
   * @param facility {@code LOG_FACILITY}: 0 for the kernel, 1 ({@code LOG_USER}) for {@code
   *     /dev/kmsg} writers
   * @param level {@code LOG_LEVEL}, 0 (emerg) to 7 (debug)
   * @param tsNanos {@code local_clock()} when it was stored
   * @param text the text without its trailing newline
   */
  public record PrintkRecord(long seq, int facility, int level, long tsNanos, String text) {
    /** The syslog view: every line of the text with the timestamp prefix (record_print_text). */
    String syslog() {
      String prefix = timestamp(tsNanos);
      StringBuilder sb = new StringBuilder();
      for (String line : text.split("\n", -1)) {
        sb.append(prefix).append(line).append('\n');
      }
      return sb.toString();
    }

    /**
     * The record as one {@code read()} of {@code /dev/kmsg} returns it ({@code
     * info_print_ext_header} + {@code msg_print_ext_body}): {@code PRIO,SEQ,TS_USEC,FLAGS;TEXT\n},
     * with every byte below {@code ' '} or above {@code '~'} and the backslash escaped as {@code
     * \xNN} (so UTF-8 text comes out byte by byte). No record of the model carries {@code
     * dev_info}, so there are no {@code SUBSYSTEM=}/{@code DEVICE=} continuation lines, and none is
     * a {@code LOG_CONT} fragment, so the flags are {@code -}. {@code CONFIG_PRINTK_CALLER} is off,
     * as in Debian's kernels: no {@code caller=} field.
     */
    public byte[] kmsg() {
      StringBuilder sb = new StringBuilder();
      sb.append((facility << 3) | level)
          .append(',')
          .append(seq)
          .append(',')
          .append(tsNanos / 1000)
          .append(",-;");
      for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
        int c = b & 0xff;
        if (c < ' ' || c >= 127 || c == '\\') {
          sb.append(String.format("\\x%02x", c));
        } else {
          sb.append((char) c);
        }
      }
      sb.append('\n');
      return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }
  }

  /**
   * What {@code printk_get_next_message()} finds for a reader at a sequence number: the first
   * record still in the ring at or after it, and how many records before it were overwritten.
   */
  public record Next(PrintkRecord record, long dropped) {}

  private final KernelClock clock;
  private final Taint taint = new Taint();
  private final ArrayDeque<PrintkRecord> ring = new ArrayDeque<>();
  private int bytes;
  private long sequence;
  private long clearSeq;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

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

  /** Appends one or more lines (split at '\n'), one record each, all with the same timestamp. */
  public void printk(String text) {
    long now = clock.nanosSinceBoot();
    synchronized (this) {
      append(now, text);
    }
    notifyListeners();
  }

  /**
   * Several printk calls in a row, one record each, each with its own timestamp, none interleaved
   * with another caller's: how a report made of many {@code pr_err()} calls lands.
   */
  public void printkRecords(java.util.List<String> records) {
    synchronized (this) {
      for (String r : records) {
        append(clock.nanosSinceBoot(), r);
      }
    }
    notifyListeners();
  }

  /**
   * {@code devkmsg_emit()} → {@code vprintk_emit()}: one record with the given facility and level;
   * a trailing newline is dropped, inner ones stay in the record ({@code printk_sprint}).
   */
  public void emit(int facility, int level, String text) {
    String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    long now = clock.nanosSinceBoot();
    synchronized (this) {
      store(new PrintkRecord(sequence, facility, level, now, body));
      log.info("{}", body);
    }
    notifyListeners();
  }

  /** Appends {@code text}'s lines, one record each. */
  private void append(long now, String text) {
    String body = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
    for (String line : body.split("\n", -1)) {
      store(new PrintkRecord(sequence, 0, DEFAULT_MESSAGE_LOGLEVEL, now, line));
      log.info("{}", line);
    }
  }

  /** Stores one record, dropping the oldest beyond the ring. */
  private void store(PrintkRecord r) {
    ring.addLast(r);
    bytes += size(r);
    sequence++;
    while (bytes > LOG_BUF_LEN && ring.size() > 1) {
      bytes -= size(ring.removeFirst());
    }
  }

  /** What a record takes in the ring: its syslog rendering's length. */
  private static int size(PrintkRecord r) {
    return 15 + r.text().length() + 1;
  }

  private void notifyListeners() {
    for (Runnable l : listeners) {
      l.run();
    }
  }

  /** {@code pr_*} with a format string, for convenience. */
  @FormatMethod
  public void printf(@FormatString String format, Object... args) {
    printk(String.format(format, args));
  }

  /** The ring since {@code clear_seq} as {@code dmesg} prints it. */
  public synchronized byte[] contents() {
    StringBuilder sb = new StringBuilder(bytes);
    for (PrintkRecord r : ring) {
      if (r.seq() >= clearSeq) {
        sb.append(r.syslog());
      }
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** The texts of the records since {@code clear_seq}, one a record, without timestamps. */
  public synchronized List<String> messages() {
    List<String> out = new ArrayList<>(ring.size());
    for (PrintkRecord r : ring) {
      if (r.seq() >= clearSeq) {
        out.add(r.text());
      }
    }
    return out;
  }

  /** Whether a record since {@code clear_seq} contains {@code text}. */
  public synchronized boolean contains(String text) {
    for (PrintkRecord r : ring) {
      if (r.seq() >= clearSeq && r.text().contains(text)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Runs {@code listener} after every printk, outside the ring's monitor (the layers above this one
   * wake their waiters for new records with it: {@code wake_up_klogd()}).
   */
  public void onPrintk(Runnable listener) {
    listeners.add(listener);
  }

  /** Number of records ever logged (not reset by {@link #clear()}): {@code prb_next_seq()}. */
  public synchronized long sequence() {
    return sequence;
  }

  /** {@code prb_first_valid_seq()}: the oldest record still in the ring. */
  public synchronized long firstSeq() {
    return ring.isEmpty() ? sequence : ring.peekFirst().seq();
  }

  /**
   * {@code printk_get_next_message(seq)}: the first record at or after {@code seq} still in the
   * ring, with the number overwritten before it; {@code null} when {@code seq} has not been logged
   * yet.
   */
  public synchronized Next next(long seq) {
    if (seq >= sequence || ring.isEmpty()) {
      return null;
    }
    PrintkRecord first = ring.peekFirst();
    if (seq < first.seq()) {
      return new Next(first, first.seq() - seq);
    }
    // records are contiguous: the one with seq is at index seq - first
    int i = (int) (seq - first.seq());
    java.util.Iterator<PrintkRecord> it = ring.iterator();
    PrintkRecord r = it.next();
    if (i > ring.size() / 2) {
      java.util.Iterator<PrintkRecord> back = ring.descendingIterator();
      for (int k = ring.size() - 1; k >= i; k--) {
        r = back.next();
      }
      return new Next(r, 0);
    }
    for (int k = 0; k < i; k++) {
      r = it.next();
    }
    return new Next(r, 0);
  }

  /**
   * {@code SYSLOG_ACTION_CLEAR} ({@code dmesg -C}): the syslog view starts after the last record.
   */
  public synchronized void clear() {
    clearSeq = sequence;
  }

  /** The printk prefix: seconds right-aligned in 5 columns, six decimals. */
  static String timestamp(long nanos) {
    long secs = nanos / 1_000_000_000L;
    long micros = (nanos % 1_000_000_000L) / 1_000L;
    return String.format("[%5d.%06d] ", secs, micros);
  }
}
