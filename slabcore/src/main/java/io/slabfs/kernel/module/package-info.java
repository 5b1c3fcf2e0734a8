/**
 * Loadable modules (kernel/module/main.c), their {@code /sys/module/NAME} directories
 * (kernel/module/sysfs.c) and module parameters (kernel/params.c).
 */
package io.slabfs.kernel.module;
