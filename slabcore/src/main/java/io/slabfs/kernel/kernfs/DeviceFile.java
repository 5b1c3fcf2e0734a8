package io.slabfs.kernel.kernfs;

import io.slabfs.kernel.errno.ErrnoException;

/**
 * Models: include/linux/fs.h ({@code struct file_operations} of a character device).
 *
 * <p>An open file of a node that serves a character device's file operations instead of a kernfs
 * attribute ({@link KernfsOps#openDevice}; {@code sim/kmsg} is {@code /dev/kmsg}): the device's
 * {@code ->read}, {@code ->write}, {@code ->poll} and {@code ->release} on the state its {@code
 * ->open} made. A device takes neither the open file's {@code of->mutex} nor an active reference on
 * the node, and its write is one {@code vfs_write} without {@code sb_writers} (a character device
 * is no regular file).
 */
public interface DeviceFile {
  /** {@code POLLIN}. */
  int POLLIN = 0x1;

  /** {@code POLLPRI}. */
  int POLLPRI = 0x2;

  /** {@code POLLERR}. */
  int POLLERR = 0x8;

  /** {@code POLLRDNORM}. */
  int POLLRDNORM = 0x40;

  /** {@code O_NONBLOCK}, as the open file's {@code f_flags} carry it. */
  int O_NONBLOCK = 04000;

  /** {@code ->read} of at most {@code size} bytes; {@code flags} are the file's {@code f_flags}. */
  byte[] read(int size, int flags) throws ErrnoException;

  /** {@code ->write} of the {@code len} bytes of {@code buf}, all of them. */
  int write(byte[] buf, int len) throws ErrnoException;

  /**
   * {@code ->poll}: the events ready now. {@code wake} (if not {@code null}) is {@code poll_wait}:
   * it is run once at the next wake-up of the queue the device's readers sleep on, after which the
   * poller asks again.
   */
  int poll(Runnable wake);

  /** {@code ->release}. */
  void release();
}
