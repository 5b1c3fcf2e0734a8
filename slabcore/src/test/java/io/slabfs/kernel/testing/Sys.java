package io.slabfs.kernel.testing;

import static org.assertj.core.api.Assertions.fail;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** System-call shaped helpers over {@link Vfs}, as user space would use them. */
public final class Sys {
  private Sys() {}

  /** A call that may fail with an errno. */
  @FunctionalInterface
  public interface Call {
    Object run() throws Exception;
  }

  public static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** {@code cat path}: open, read until EOF, close. */
  public static String cat(Vfs vfs, String path) throws ErrnoException {
    long fh = vfs.open(path, Vfs.O_RDONLY);
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long pos = 0;
      while (true) {
        byte[] b = vfs.read(fh, pos, 128 * 1024);
        if (b.length == 0) {
          break;
        }
        out.write(b, 0, b.length);
        pos += b.length;
      }
      return out.toString(StandardCharsets.ISO_8859_1);
    } finally {
      vfs.release(fh);
    }
  }

  /** One {@code write(2)} of all of {@code data} on a fresh O_WRONLY open file. */
  public static int write(Vfs vfs, String path, byte[] data) throws ErrnoException {
    long fh = vfs.open(path, Vfs.O_WRONLY);
    try {
      return vfs.write(fh, data, data.length);
    } finally {
      vfs.release(fh);
    }
  }

  public static int write(Vfs vfs, String path, String data) throws ErrnoException {
    return write(vfs, path, bytes(data));
  }

  /** The errno the call fails with; fails the test if it succeeds or throws something else. */
  public static Errno errno(Call call) {
    try {
      Object result = call.run();
      return fail("expected an errno, but the call returned " + describe(result));
    } catch (ErrnoException e) {
      return e.errno();
    } catch (Exception e) {
      return fail("expected an ErrnoException", e);
    }
  }

  private static String describe(Object o) {
    if (o instanceof byte[] b) {
      return "bytes " + Arrays.toString(b);
    }
    return String.valueOf(o);
  }

  /** Contents of every readable file of a directory, by name (0400 files are readable by root). */
  public static Map<String, String> snapshot(Vfs vfs, String dir) throws ErrnoException {
    Map<String, String> out = new TreeMap<>();
    List<String> names = vfs.readdir(dir);
    for (String name : names) {
      String path = dir + "/" + name;
      Stat st = vfs.stat(path);
      if (st.type() == Stat.Type.FILE && (st.mode() & 0444) != 0) {
        out.put(name, cat(vfs, path));
      }
    }
    return out;
  }

  /** A test resource as text. */
  public static String resource(String name) {
    try (InputStream in = Sys.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The whitespace-split rows under the section heading starting with {@code head} in the text
   * resource {@code resource} (a capture such as {@code golden/real-sysfs-sample.txt}), up to the
   * next blank or {@code #} line.
   */
  public static List<String[]> sectionRows(String resource, String head) {
    List<String[]> rows = new java.util.ArrayList<>();
    boolean in = false;
    for (String line : resource(resource).split("\n", -1)) {
      if (!in) {
        in = line.startsWith(head);
        continue;
      }
      if (line.isBlank() || line.startsWith("#")) {
        break;
      }
      rows.add(line.trim().split("\\s+"));
    }
    if (rows.isEmpty()) {
      throw new IllegalStateException("no rows under '" + head + "' in " + resource);
    }
    return rows;
  }
}
