/**
 * Errno values (include/uapi/asm-generic/errno.h) and the model's one checked exception, which the
 * FUSE adapter turns into the same errno.
 */
package io.slabfs.kernel.errno;
