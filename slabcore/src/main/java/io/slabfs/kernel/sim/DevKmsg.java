package io.slabfs.kernel.sim;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.debug.KernelClock;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.DeviceFile;
import io.slabfs.kernel.kernfs.KernfsOps;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Task;
import io.slabfs.kernel.locking.WaitQueueHead;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Models: kernel/printk/printk.c ({@code devkmsg_open}, {@code devkmsg_read}, {@code
 * devkmsg_write}, {@code devkmsg_poll}, {@code devkmsg_release}: {@code /dev/kmsg}), served as
 * {@code sim/kmsg}.
 *
 * <p>Each open file has its own position, a record sequence number, starting at the oldest record
 * in the ring ({@code prb_first_valid_seq}). Each {@code read()} returns exactly one record in the
 * format of {@link Dmesg.PrintkRecord#kmsg}; {@code EINVAL} if it does not fit in the buffer (the
 * record is consumed all the same, as {@code devkmsg_read} advances {@code user->seq} first);
 * {@code EPIPE} once if the next record was overwritten, after which the file reads on from the
 * oldest; with nothing new, {@code EAGAIN} under {@code O_NONBLOCK}, else a sleep on {@code
 * log_wait} until the next printk ({@code wait_event_interruptible}: a signal to the reader ends it
 * with {@code EINTR}). A {@code write()} stores one record: at most {@code PRINTKRB_RECORD_MAX}
 * bytes, an optional {@code <N>} prefix setting level and facility (facility {@code LOG_USER}
 * unless {@code N} gives another that is not 0), ratelimited per open file as {@code
 * printk.devkmsg=ratelimit} (the default) does.
 *
 * <p>Known differences: libfuse 2 passes no {@code lseek} to slabfs (the kernel's FUSE layer
 * answers it), so {@code SEEK_SET}, {@code SEEK_DATA} and {@code SEEK_END} do not move the
 * position; and {@code user->lock} is not a modeled mutex: two reads of one open file at once each
 * take the next record.
 *
 * <p>Concurrency: a {@link User}'s position is guarded by its monitor, held only around updates,
 * never across the sleep.
 */
final class DevKmsg implements KernfsOps {
  /** {@code PRINTKRB_RECORD_MAX}: the longest write (kernel/printk/internal.h). */
  static final int PRINTKRB_RECORD_MAX = 1024;

  /** {@code DEFAULT_RATELIMIT_INTERVAL}: 5 seconds. */
  static final long RATELIMIT_INTERVAL_NANOS = 5_000_000_000L;

  /** {@code DEFAULT_RATELIMIT_BURST}. */
  static final int RATELIMIT_BURST = 10;

  private final Dmesg dmesg;
  private final KernelClock clock;

  /** {@code log_wait}: woken by every printk ({@code wake_up_klogd}). */
  private final WaitQueueHead logWait;

  /** {@code poll_wait} registrations, each run once at the next wake-up. */
  private final List<Runnable> pollers = new ArrayList<>();

  /** Set when slabfs shuts down: sleeping readers give up. */
  private volatile boolean shutdown;

  DevKmsg(Dmesg dmesg, Lockdep lockdep, KernelClock clock) {
    this.dmesg = dmesg;
    this.clock = clock;
    this.logWait = new WaitQueueHead(lockdep);
    dmesg.onPrintk(this::wakeUpKlogd);
  }

  /** {@code wake_up_klogd()}: readers re-check, pollers are told. */
  private void wakeUpKlogd() {
    logWait.wakeUpAll();
    List<Runnable> woken;
    synchronized (pollers) {
      woken = new ArrayList<>(pollers);
      pollers.clear();
    }
    woken.forEach(Runnable::run);
  }

  /** Sleeping readers fail, pollers are told: slabfs is shutting down. */
  void shutdown() {
    shutdown = true;
    wakeUpKlogd();
  }

  @Override
  public boolean canRead() {
    return true;
  }

  @Override
  public boolean canWrite() {
    return true;
  }

  @Override
  public byte[] show() throws ErrnoException {
    throw Errno.EIO.with("/dev/kmsg is no seq_file");
  }

  @Override
  public int write(byte[] buf, int len) throws ErrnoException {
    throw Errno.EIO.with("/dev/kmsg is written through its open file");
  }

  @Override
  public Object activeKey() {
    return this;
  }

  /** {@code devkmsg_open()}: the position at the oldest record in the ring. */
  @Override
  public DeviceFile openDevice(boolean read, boolean write) {
    return new User(dmesg.firstSeq());
  }

  /** {@code st_size} of a character device: 0. */
  @Override
  public long size() {
    return 0;
  }

  /** {@code struct devkmsg_user}: one open file of {@code /dev/kmsg}. */
  private final class User implements DeviceFile {
    private long seq;

    // struct ratelimit_state, guarded by this
    private long rsBegin = -1;
    private int rsPrinted;
    private int rsMissed;

    User(long seq) {
      this.seq = seq;
    }

    private synchronized long seq() {
      return seq;
    }

    @Override
    public byte[] read(int size, int flags) throws ErrnoException {
      try (Task.Frame f = Task.enter("devkmsg_read")) {
        Dmesg.Next next = dmesg.next(seq());
        if (next == null) {
          if ((flags & O_NONBLOCK) != 0) {
            throw Errno.EAGAIN.with("no record after seq " + seq());
          }
          logWait.waitEventKillableTimeout(
              () -> shutdown || dmesg.next(seq()) != null, -1, "the next printk record");
          if (shutdown) {
            throw Errno.EIO.with("slabfs is shutting down");
          }
          next = dmesg.next(seq());
        }
        byte[] out;
        synchronized (this) {
          if (next.dropped() > 0) {
            // our last seen message is gone, return error and reset
            seq = next.record().seq();
            throw Errno.EPIPE.with(next.dropped() + " records overwritten");
          }
          seq = next.record().seq() + 1;
          out = next.record().kmsg();
        }
        if (out.length > size) {
          throw Errno.EINVAL.with("record of " + out.length + " bytes, buffer of " + size);
        }
        return out;
      }
    }

    @Override
    public int write(byte[] buf, int len) throws ErrnoException {
      if (len > PRINTKRB_RECORD_MAX) {
        throw Errno.EINVAL.with(len + " bytes, at most " + PRINTKRB_RECORD_MAX);
      }
      if (!ratelimit()) {
        return len;
      }
      int level = Dmesg.DEFAULT_MESSAGE_LOGLEVEL;
      int facility = 1; // LOG_USER
      int start = 0;
      if (len > 0 && buf[0] == '<') {
        // simple_strtoul(line + 1, &endp, 10): digits only, wrapping, as unsigned int
        int i = 1;
        long u = 0;
        while (i < len && buf[i] >= '0' && buf[i] <= '9') {
          u = u * 10 + (buf[i] - '0');
          i++;
        }
        if (i < len && buf[i] == '>') {
          int v = (int) u;
          level = v & 7; // LOG_LEVEL
          if ((v & 0x3f8) >> 3 != 0) { // LOG_FACILITY
            facility = (v & 0x3f8) >> 3;
          }
          start = i + 1;
        }
      }
      int end = start;
      while (end < len && buf[end] != 0) { // devkmsg_emit(..., "%s", line)
        end++;
      }
      dmesg.emit(facility, level, new String(buf, start, end - start, StandardCharsets.UTF_8));
      return len;
    }

    /** {@code ___ratelimit(&user->rs)}: false when this write is suppressed. */
    private synchronized boolean ratelimit() {
      long now = clock.nanosSinceBoot();
      if (rsBegin < 0) {
        rsBegin = now;
      }
      if (now - rsBegin > RATELIMIT_INTERVAL_NANOS) {
        rsBegin = now; // RATELIMIT_MSG_ON_RELEASE: missed is kept for the release
        rsPrinted = 0;
      }
      if (RATELIMIT_BURST > rsPrinted) {
        rsPrinted++;
        return true;
      }
      rsMissed++;
      return false;
    }

    @Override
    public int poll(Runnable wake) {
      if (wake != null) {
        synchronized (pollers) {
          pollers.add(wake);
        }
      }
      Dmesg.Next next = dmesg.next(seq());
      if (next == null) {
        return 0;
      }
      if (wake != null) {
        boolean mine;
        synchronized (pollers) {
          mine = pollers.remove(wake);
        }
        if (mine) {
          wake.run();
        }
      }
      // return error when data has vanished underneath us
      return next.dropped() > 0 ? POLLIN | POLLRDNORM | POLLERR | POLLPRI : POLLIN | POLLRDNORM;
    }

    /** {@code devkmsg_release()} → {@code ratelimit_state_exit()}. */
    @Override
    public void release() {
      int missed;
      synchronized (this) {
        missed = rsMissed;
        rsMissed = 0;
      }
      if (missed > 0) {
        dmesg.printk(
            "printk: "
                + Task.current().comm()
                + ": "
                + missed
                + " output lines suppressed due to ratelimiting");
      }
    }
  }
}
