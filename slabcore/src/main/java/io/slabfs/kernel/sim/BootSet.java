package io.slabfs.kernel.sim;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.slab.KmemCacheArgs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Ours: simulator.
 *
 * <p>{@code --boot}: which caches exist after boot, beyond the bootstrap and kmalloc caches that
 * the slab code always creates.
 */
public enum BootSet {
  /** A built-in set taken from a real 6.18 boot (boot-default.txt). */
  DEFAULT,
  /** This machine's real {@code /sys/kernel/slab}, rebuilt through the model. */
  HOST,
  /** Nothing beyond {@code kmem_cache}, {@code kmem_cache_node} and kmalloc. */
  MINIMAL;

  static final String DEFAULT_RESOURCE = "/io/slabfs/kernel/sim/boot-default.txt";

  /** The name on the command line. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<BootSet> byId(String id) {
    for (BootSet b : values()) {
      if (b.id().equals(id)) {
        return Optional.of(b);
      }
    }
    return Optional.empty();
  }

  /** The {@code kmem_cache_create()} calls this set makes, in boot order. */
  List<KmemCacheArgs> caches(Path hostSlab) throws ErrnoException, IOException {
    return switch (this) {
      case DEFAULT -> readDefault();
      case HOST -> HostSlab.read(hostSlab);
      case MINIMAL -> List.of();
    };
  }

  private static List<KmemCacheArgs> readDefault() throws ErrnoException {
    List<KmemCacheArgs> out = new ArrayList<>();
    try (InputStream in = BootSet.class.getResourceAsStream(DEFAULT_RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + DEFAULT_RESOURCE);
      }
      BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
      String line;
      while ((line = r.readLine()) != null) {
        line = line.strip();
        if (line.isEmpty() || line.startsWith("#")) {
          continue;
        }
        out.add(KmemCacheArgs.parse(line.split("\\s+")));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
