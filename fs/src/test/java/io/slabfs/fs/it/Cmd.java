package io.slabfs.fs.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Runs a real command and collects its exit status, stdout and stderr. */
final class Cmd {
  /** Long enough for any command here; a hang on the mount is a failure, not a stuck build. */
  static final long TIMEOUT_SECONDS = 60;

  private Cmd() {}

  /** What a command did. */
  record Result(List<String> command, int exit, String out, String err) {
    /** stdout and stderr, stdout first. */
    String all() {
      return out + err;
    }

    /** The lines of stdout. */
    List<String> lines() {
      return out.lines().toList();
    }

    /** Asserts exit status 0 and returns this. */
    Result ok() {
      assertThat(exit).as("exit status of %s; stderr: %s", command, err).isZero();
      return this;
    }

    @Override
    public String toString() {
      return command + " -> " + exit + "\nstdout: " + out + "\nstderr: " + err;
    }
  }

  static Result run(Path cwd, String... command) {
    return run(cwd, List.of(command));
  }

  static Result run(Path cwd, List<String> command) {
    return run(cwd, Map.of(), command);
  }

  /** Runs {@code command} in {@code cwd} (null: ours) with {@code env} added to our environment. */
  static Result run(Path cwd, Map<String, String> env, List<String> command) {
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.environment().putAll(env);
    if (cwd != null) {
      pb.directory(cwd.toFile());
    }
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().put("LC_ALL", "C");
    Process p;
    try {
      p = pb.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + command, e);
    }
    FutureTask<String> out = reader(p.getInputStream(), "stdout of " + command.get(0));
    FutureTask<String> err = reader(p.getErrorStream(), "stderr of " + command.get(0));
    try {
      if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(command + " did not finish in " + TIMEOUT_SECONDS + " s");
      }
      return new Result(
          List.copyOf(command),
          p.exitValue(),
          out.get(TIMEOUT_SECONDS, TimeUnit.SECONDS),
          err.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new AssertionError("interrupted while running " + command, e);
    } catch (ExecutionException | TimeoutException e) {
      throw new AssertionError("cannot read the output of " + command, e);
    }
  }

  /** A shell command line, {@code sh -c SCRIPT}. */
  static Result sh(Path cwd, String script) {
    return run(cwd, "sh", "-c", script);
  }

  /** {@code base} followed by {@code args}. */
  static List<String> concat(List<String> base, List<String> args) {
    List<String> all = new ArrayList<>(base);
    all.addAll(args);
    return all;
  }

  /** Reads a stream to its end on a thread of its own, so neither pipe can fill up. */
  private static FutureTask<String> reader(InputStream in, String name) {
    FutureTask<String> task = new FutureTask<>(() -> drain(in));
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    t.start();
    return task;
  }

  private static String drain(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
