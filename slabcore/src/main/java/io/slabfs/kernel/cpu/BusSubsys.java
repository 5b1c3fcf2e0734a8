package io.slabfs.kernel.cpu;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.sysfs.Sysfs;

/**
 * Models: drivers/base/bus.c.
 *
 * <p>A {@code bus_type} registered with {@code subsys_system_register()}: {@code /sys/bus/NAME}
 * with its {@code devices/} and {@code drivers/} ksets, and what {@code device_add()} does for a
 * device on it: the device's {@code subsystem} link to the bus ({@code
 * device_add_class_symlinks()}) and the bus's {@code devices/NAME} link to the device ({@code
 * bus_add_device()}). The bus's {@code uevent}, {@code drivers_probe} and {@code drivers_autoprobe}
 * files are not modeled.
 */
final class BusSubsys {
  private final Sysfs sysfs;
  private final KSet subsys;
  private final KSet devices;

  private BusSubsys(Sysfs sysfs, KSet subsys, KSet devices) {
    this.sysfs = sysfs;
    this.subsys = subsys;
    this.devices = devices;
  }

  /** {@code bus_register()}: {@code bus/NAME/devices} and {@code bus/NAME/drivers}. */
  static BusSubsys register(Sysfs sysfs, KSet bus, String name) throws ErrnoException {
    KSet subsys = KSet.createAndAdd(sysfs, name, bus.kobj());
    KSet devices = KSet.createAndAdd(sysfs, "devices", subsys.kobj());
    KSet.createAndAdd(sysfs, "drivers", subsys.kobj());
    return new BusSubsys(sysfs, subsys, devices);
  }

  /** The links {@code device_add()} creates for a device of this bus. */
  void addDevice(KObject<?> dev) throws ErrnoException {
    sysfs.createLink(dev.sd(), subsys.kobj().sd(), "subsystem");
    sysfs.createLink(devices.kobj().sd(), dev.sd(), dev.name());
  }
}
