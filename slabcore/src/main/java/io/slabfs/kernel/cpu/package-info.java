/**
 * CPUs: the possible/present/online masks and CPU hotplug (kernel/cpu.c), and {@code
 * /sys/devices/system/cpu} (drivers/base/cpu.c).
 */
package io.slabfs.kernel.cpu;
