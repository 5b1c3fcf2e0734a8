/**
 * sysfs (fs/sysfs/): attribute files, directories and links on kernfs, and the number parsers their
 * store handlers use (lib/kstrtox.c).
 */
package io.slabfs.kernel.sysfs;
