package io.slabfs.kernel.module;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.sysfs.Attribute;
import java.nio.charset.StandardCharsets;

/**
 * Models: kernel/params.c.
 *
 * <p>One {@code struct kernel_param} of a module, and its {@code /sys/module/M/parameters/NAME}
 * attribute ({@code param_attr_show} / {@code param_attr_store}, both under the module's {@code
 * kernel_param_lock}).
 */
final class KernelParam {
  private final String name;
  private final ParamType type;
  private final int perm;
  private final Mutex paramLock;
  private volatile String value;
  private final Attribute<KernelParam> attribute;
  private volatile io.slabfs.kernel.locking.WaitPoints waitPoints;

  /** A parameter of a loaded module, its lock being the module's {@code param_lock}. */
  public KernelParam(String name, ParamType type, int perm, String initial, Mutex paramLock) {
    this.name = name;
    this.type = type;
    this.perm = perm;
    this.paramLock = paramLock;
    String v;
    try {
      v = type.set(initial.getBytes(StandardCharsets.UTF_8));
    } catch (ErrnoException e) {
      throw new IllegalArgumentException("bad initial value '" + initial + "' for " + name, e);
    }
    this.value = v;
    boolean writable = (perm & 0222) != 0;
    this.attribute =
        new Attribute<>(
            name, perm, KernelParam::show, writable ? (p, buf, len) -> p.store(buf, len) : null);
  }

  public String name() {
    return name;
  }

  public int perm() {
    return perm;
  }

  public Attribute<KernelParam> attribute() {
    return attribute;
  }

  /** The text {@code cat} shows. */
  public String show() {
    paramLock.lock();
    try {
      return type.get(value);
    } finally {
      paramLock.unlock();
    }
  }

  /** {@code param_attr_store}: the whole write goes to {@code ->set}; {@code len} on success. */
  /** Loaded modules' parameters pass the {@code param_attr_store} wait point. */
  void setWaitPoints(io.slabfs.kernel.locking.WaitPoints w) {
    waitPoints = w;
  }

  public int store(byte[] buf, int len) throws ErrnoException {
    if ((perm & 0222) == 0) {
      throw Errno.EPERM.with(name + " has no set operation");
    }
    if (waitPoints != null) {
      waitPoints.pass("param_attr_store");
    }
    paramLock.lock();
    try {
      type.set(buf, value, v -> value = v);
      return len;
    } finally {
      paramLock.unlock();
    }
  }
}
