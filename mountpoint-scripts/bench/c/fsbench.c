/*
 * fsbench: the client side of mountpoint-scripts/bench/fuse-vs-kernel.
 *
 *   fsbench read DIR FILE SECONDS CLIENTS   open+read+close of DIR/FILE in a loop
 *   fsbench stat DIR SECONDS CLIENTS        lstat every entry under DIR, over and over
 *
 * Each client is a process of its own that chdir()s into DIR first, so every request is
 * a lookup of the same depth on every filesystem measured (the path's first components are
 * not revalidated on each call). The clients start together on a pipe barrier, run for
 * SECONDS, and the parent prints one line: "<ops> <seconds> <ops/s>". Any failed call is an
 * error (exit 1), so a benchmark never counts errors as speed.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *path) {
  fprintf(stderr, "fsbench: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

/* Every entry below the current directory ("a", "a/b", ...), symlinks not followed. */
static char **paths;
static size_t npaths, cap;

static void add(const char *p) {
  if (npaths == cap) {
    cap = cap ? cap * 2 : 1024;
    paths = realloc(paths, cap * sizeof *paths);
    if (!paths) die("realloc", "");
  }
  paths[npaths++] = strdup(p);
}

static void walk(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) die("opendir", dir);
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    char p[4096];
    if (!strcmp(dir, ".")) snprintf(p, sizeof p, "%s", e->d_name);
    else snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
    add(p);
    struct stat st;
    int is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN) {
      if (fstatat(AT_FDCWD, p, &st, AT_SYMLINK_NOFOLLOW) < 0) die("lstat", p);
      is_dir = S_ISDIR(st.st_mode);
    }
    if (is_dir) walk(p);
  }
  closedir(d);
}

static long run_read(const char *file, double seconds) {
  char buf[4096];
  long ops = 0;
  double end = now() + seconds;
  do {
    for (int i = 0; i < 64; i++) {
      int fd = open(file, O_RDONLY);
      if (fd < 0) die("open", file);
      if (read(fd, buf, sizeof buf) <= 0) die("read", file);
      close(fd);
    }
    ops += 64;
  } while (now() < end);
  return ops;
}

static long run_stat(double seconds) {
  struct stat st;
  long ops = 0;
  size_t i = 0;
  double end = now() + seconds;
  do {
    for (int k = 0; k < 64; k++) {
      if (fstatat(AT_FDCWD, paths[i], &st, AT_SYMLINK_NOFOLLOW) < 0) die("lstat", paths[i]);
      if (++i == npaths) i = 0;
    }
    ops += 64;
  } while (now() < end);
  return ops;
}

int main(int argc, char **argv) {
  int is_read = argc == 6 && !strcmp(argv[1], "read");
  int is_stat = argc == 5 && !strcmp(argv[1], "stat");
  if (!is_read && !is_stat) {
    fprintf(stderr, "usage: fsbench read DIR FILE SECONDS CLIENTS\n"
                    "       fsbench stat DIR SECONDS CLIENTS\n");
    return 2;
  }
  const char *dir = argv[2];
  double seconds = atof(argv[is_read ? 4 : 3]);
  int clients = atoi(argv[is_read ? 5 : 4]);
  if (seconds <= 0 || clients < 1) {
    fprintf(stderr, "fsbench: SECONDS and CLIENTS must be positive\n");
    return 2;
  }
  if (chdir(dir) < 0) die("chdir", dir);
  if (is_stat) {
    walk(".");
    if (!npaths) { fprintf(stderr, "fsbench: %s is empty\n", dir); return 1; }
  }
  int go[2], results[2];
  if (pipe(go) < 0 || pipe(results) < 0) die("pipe", "");
  for (int c = 0; c < clients; c++) {
    pid_t pid = fork();
    if (pid < 0) die("fork", "");
    if (pid == 0) {
      char b;
      close(go[1]);
      if (read(go[0], &b, 1) < 0) die("read", "barrier");
      long ops = is_read ? run_read(argv[3], seconds) : run_stat(seconds);
      if (write(results[1], &ops, sizeof ops) != sizeof ops) die("write", "result");
      _exit(0);
    }
  }
  close(go[0]);
  double start = now();
  close(go[1]); /* every client's read returns: go */
  long total = 0;
  int failed = 0;
  for (int c = 0; c < clients; c++) {
    int status;
    wait(&status);
    if (!WIFEXITED(status) || WEXITSTATUS(status)) failed = 1;
  }
  double elapsed = now() - start;
  close(results[1]);
  long ops;
  while (read(results[0], &ops, sizeof ops) == sizeof ops) total += ops;
  if (failed) return 1;
  printf("%ld %.3f %.0f\n", total, elapsed, total / elapsed);
  return 0;
}
