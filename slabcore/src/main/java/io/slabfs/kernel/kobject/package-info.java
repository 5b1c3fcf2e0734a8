/**
 * kobjects, ksets and kobj_types (lib/kobject.c): reference-counted objects with a sysfs directory
 * and a release that may run long after the owner let go.
 */
package io.slabfs.kernel.kobject;
