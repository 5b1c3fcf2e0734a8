/**
 * kernfs (fs/kernfs/): the node tree, active references and their drain, open files with their
 * seq_file; and the VFS side above it: the path walk (fs/namei.c) and the system-call face the FUSE
 * adapter serves.
 */
package io.slabfs.kernel.kernfs;
