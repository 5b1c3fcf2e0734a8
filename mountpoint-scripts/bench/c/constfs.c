/*
 * constfs: the FUSE round-trip limit for mountpoint-scripts/bench/fuse-vs-kernel.
 *
 * A minimal libfuse2 filesystem (high-level API, multithreaded, like jnr-fuse) whose every
 * answer is a constant: DIRS directories d00..dNN in the root, each holding FILES names
 * f00..fNN, and every file is the same 3 bytes "42\n". It is mounted with exactly the
 * options slabfs uses, so what it measures is the kernel <-> libfuse cost that any FUSE
 * filesystem pays, with nothing behind it.
 *
 *   constfs MOUNTPOINT -o OPTIONS [-f]
 */
#define FUSE_USE_VERSION 26
#include <errno.h>
#include <fuse.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define DIRS 64
#define FILES 32
static const char content[] = "42\n";

/* "/" is 0, "/dNN" is 1, "/dNN/fNN" is 2; anything else is -1. */
static int depth(const char *path) {
  int d;
  if (!strcmp(path, "/")) return 0;
  if (sscanf(path, "/d%2d", &d) != 1 || d < 0 || d >= DIRS) return -1;
  if (path[4] == 0) return 1;
  int f;
  if (path[4] != '/' || sscanf(path + 5, "f%2d", &f) != 1 || f < 0 || f >= FILES ||
      path[8] != 0)
    return -1;
  return 2;
}

static int c_getattr(const char *path, struct stat *st) {
  memset(st, 0, sizeof *st);
  switch (depth(path)) {
  case 0:
  case 1:
    st->st_mode = S_IFDIR | 0755;
    st->st_nlink = 2;
    return 0;
  case 2:
    st->st_mode = S_IFREG | 0444;
    st->st_nlink = 1;
    st->st_size = 4096;
    return 0;
  }
  return -ENOENT;
}

static int c_fgetattr(const char *path, struct stat *st, struct fuse_file_info *fi) {
  (void)path;
  (void)fi;
  memset(st, 0, sizeof *st);
  st->st_mode = S_IFREG | 0444;
  st->st_nlink = 1;
  st->st_size = 4096;
  return 0;
}

static int c_opendir(const char *path, struct fuse_file_info *fi) {
  int d = depth(path);
  if (d < 0) return -ENOENT;
  if (d == 2) return -ENOTDIR;
  fi->fh = d;
  return 0;
}

static int c_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
                     struct fuse_file_info *fi) {
  (void)path;
  (void)off;
  char name[8];
  struct stat type = {.st_mode = S_IFDIR}; /* only the type is used: it becomes d_type */
  fill(buf, ".", &type, 0);
  fill(buf, "..", &type, 0);
  if (fi->fh != 0) type.st_mode = S_IFREG;
  for (int i = 0; i < (fi->fh == 0 ? DIRS : FILES); i++) {
    snprintf(name, sizeof name, fi->fh == 0 ? "d%02d" : "f%02d", i);
    if (fill(buf, name, &type, 0)) break;
  }
  return 0;
}

static int c_open(const char *path, struct fuse_file_info *fi) {
  if (depth(path) != 2) return -ENOENT;
  if ((fi->flags & O_ACCMODE) != O_RDONLY) return -EACCES;
  return 0;
}

static int c_read(const char *path, char *buf, size_t size, off_t off,
                  struct fuse_file_info *fi) {
  (void)path;
  (void)fi;
  if (off >= (off_t)sizeof content - 1) return 0;
  size_t n = sizeof content - 1 - off;
  if (n > size) n = size;
  memcpy(buf, content + off, n);
  return n;
}

static struct fuse_operations ops = {
  .getattr = c_getattr,
  .fgetattr = c_fgetattr,
  .opendir = c_opendir,
  .readdir = c_readdir,
  .open = c_open,
  .read = c_read,
  .flag_nullpath_ok = 1,
  .flag_nopath = 1,
};

int main(int argc, char *argv[]) {
  return fuse_main(argc, argv, &ops, NULL);
}
