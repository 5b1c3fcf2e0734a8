/**
 * Ours: simulator. The {@code slabfs} command line (picocli): mount, umount, the daemon that serves
 * a mount, and the host side of mounting (fusermount, mountinfo).
 */
package io.slabfs.fs.cli;
