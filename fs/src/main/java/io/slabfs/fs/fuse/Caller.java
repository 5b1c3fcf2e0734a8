package io.slabfs.fs.fuse;

import io.slabfs.kernel.locking.Task;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** The process behind a FUSE request, as a model {@link Task}: its pid and {@code comm}. */
final class Caller {
  private Caller() {}

  /**
   * A task for {@code pid}; its command name is read from {@code /proc/PID/comm} only if a report
   * needs it, not on every request.
   */
  static Task task(int pid) {
    Task t =
        new Task(pid, () -> comm(pid))
            .withParent(() -> status(pid, "Tgid:", pid), () -> status(pid, "PPid:", 1));
    if (pid > 0) {
      // fatal_signal_pending(current): the kernel interrupts a request whose caller is killed
      t.setSignalSource(FuseLoop::interrupted);
    }
    return t;
  }

  /** A numeric field of {@code /proc/PID/status}, e.g. {@code PPid:} (sched_show_task's ppid). */
  static int status(int pid, String field, int fallback) {
    if (pid <= 0) {
      return fallback;
    }
    try {
      for (String line :
          Files.readAllLines(
              Path.of("/proc", Integer.toString(pid), "status"), StandardCharsets.UTF_8)) {
        if (line.startsWith(field)) {
          return Integer.parseInt(line.substring(field.length()).strip());
        }
      }
    } catch (IOException | RuntimeException e) {
      // the process is gone: sched_show_task would not show it either
    }
    return fallback;
  }

  static String comm(int pid) {
    if (pid <= 0) {
      return "kernel";
    }
    try {
      return Files.readString(
              Path.of("/proc", Integer.toString(pid), "comm"), StandardCharsets.UTF_8)
          .strip();
    } catch (IOException | RuntimeException e) {
      return "pid" + pid;
    }
  }
}
