/**
 * What the kernel prints about itself: the printk ring (kernel/printk/), {@code %pS} symbols
 * (kernel/kallsyms.c), taint and {@code WARN()} (kernel/panic.c), KASAN reports (mm/kasan/). The
 * lowest layer: it knows no task or lock.
 */
package io.slabfs.kernel.debug;
