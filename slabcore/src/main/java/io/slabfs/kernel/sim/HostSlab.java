package io.slabfs.kernel.sim;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.slab.Geometry;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.slab.SlabFlags;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ours: simulator.
 *
 * <p>{@code --boot host}: reads a real {@code /sys/kernel/slab} and turns it back into the {@code
 * kmem_cache_create()} calls that would rebuild it, so the model's own create and merge paths
 * produce the same directories, links and geometry. Caches the slab code creates itself (bootstrap,
 * kmalloc) are skipped. Boot order comes from {@code /proc/slabinfo} when it can be read (newest
 * first there), else names are taken in sorted order.
 */
final class HostSlab {
  private static final Logger log = LoggerFactory.getLogger(HostSlab.class);
  private static final Pattern CODE_CREATED =
      Pattern.compile(
          "kmem_cache|kmem_cache_node|kmalloc_buckets|(dma-)?kmalloc(-cg|-rcl)?-\\d+k?");

  /** The 0/1 attribute files that show one flag each. */
  private static final Map<String, Long> FLAG_FILES =
      Map.of(
          "hwcache_align", SlabFlags.SLAB_HWCACHE_ALIGN,
          "destroy_by_rcu", SlabFlags.SLAB_TYPESAFE_BY_RCU,
          "reclaim_account", SlabFlags.SLAB_RECLAIM_ACCOUNT,
          "cache_dma", SlabFlags.SLAB_CACHE_DMA,
          "sanity_checks", SlabFlags.SLAB_CONSISTENCY_CHECKS,
          "trace", SlabFlags.SLAB_TRACE,
          "red_zone", SlabFlags.SLAB_RED_ZONE,
          "poison", SlabFlags.SLAB_POISON,
          "store_user", SlabFlags.SLAB_STORE_USER);

  private HostSlab() {}

  static List<KmemCacheArgs> read(Path slabDir) throws IOException, ErrnoException {
    Map<String, List<String>> linksByTarget = new HashMap<>();
    List<String> dirs = new ArrayList<>();
    try (Stream<Path> entries = Files.list(slabDir)) {
      for (Path p : (Iterable<Path>) entries.sorted()::iterator) {
        String name = p.getFileName().toString();
        if (Files.isSymbolicLink(p)) {
          String target = Files.readSymbolicLink(p).toString();
          linksByTarget.computeIfAbsent(target, k -> new ArrayList<>()).add(name);
        } else if (Files.isDirectory(p)) {
          dirs.add(name);
        }
      }
    }
    Map<String, Integer> age = creationOrder(slabDir);
    // One group per directory: the creator first, then the names that merged into it.
    TreeMap<Long, List<KmemCacheArgs>> ordered = new TreeMap<>();
    long unknown = Integer.MAX_VALUE;
    for (String dir : dirs) {
      if (CODE_CREATED.matcher(dir).matches()) {
        continue;
      }
      Path d = slabDir.resolve(dir);
      List<String> names =
          dir.startsWith(":")
              ? new ArrayList<>(linksByTarget.getOrDefault(dir, List.of()))
              : new ArrayList<>(List.of(dir));
      if (names.isEmpty()) {
        log.warn("host boot: {} has no alias links; skipped", dir);
        continue;
      }
      names.sort(
          (a, b) ->
              Integer.compare(
                  age.getOrDefault(a, Integer.MAX_VALUE), age.getOrDefault(b, Integer.MAX_VALUE)));
      KmemCacheArgs base = args(d, dir, names.get(0));
      List<KmemCacheArgs> group = new ArrayList<>();
      for (String n : names) {
        group.add(
            new KmemCacheArgs(
                n,
                base.size(),
                base.align(),
                base.flags(),
                base.ctor(),
                base.useroffset(),
                base.usersize(),
                base.freeptrOffset(),
                base.sheafCapacity()));
      }
      long key = age.containsKey(names.get(0)) ? age.get(names.get(0)) : unknown++;
      ordered.put(key, group);
    }
    List<KmemCacheArgs> out = new ArrayList<>();
    ordered.values().forEach(out::addAll);
    return out;
  }

  /** Position in boot order by cache name: {@code /proc/slabinfo} lists newest first. */
  private static Map<String, Integer> creationOrder(Path slabDir) {
    Map<String, Integer> age = new LinkedHashMap<>();
    Path slabinfo = Path.of("/proc/slabinfo");
    if (!slabDir.equals(Path.of("/sys/kernel/slab")) || !Files.isReadable(slabinfo)) {
      return age;
    }
    try {
      List<String> lines = Files.readAllLines(slabinfo, StandardCharsets.UTF_8);
      List<String> names = new ArrayList<>();
      for (String line : lines) {
        if (line.startsWith("slabinfo") || line.startsWith("#")) {
          continue;
        }
        names.add(line.split("\\s+")[0]);
      }
      for (int i = names.size() - 1, pos = 0; i >= 0; i--, pos++) {
        age.putIfAbsent(names.get(i), pos);
      }
    } catch (IOException e) {
      log.warn("host boot: cannot read /proc/slabinfo ({}); using name order", e.toString());
    }
    return age;
  }

  /** The creation arguments that give directory {@code d} its flags and geometry. */
  private static KmemCacheArgs args(Path d, String dirName, String name) throws IOException {
    int objectSize = readInt(d, "object_size");
    int align = readInt(d, "align");
    int slabSize = readInt(d, "slab_size");
    long flags = 0;
    for (Map.Entry<String, Long> f : FLAG_FILES.entrySet()) {
      if (readInt(d, f.getKey()) == 1) {
        flags |= f.getValue();
      }
    }
    if (dirName.startsWith(":")) {
      String letters = dirName.contains("-") ? dirName.substring(1, dirName.indexOf('-')) : "";
      for (char c : letters.toCharArray()) {
        flags |=
            switch (c) {
              case 'd' -> SlabFlags.SLAB_CACHE_DMA;
              case 'D' -> SlabFlags.SLAB_CACHE_DMA32;
              case 'a' -> SlabFlags.SLAB_RECLAIM_ACCOUNT;
              case 'F' -> SlabFlags.SLAB_CONSISTENCY_CHECKS;
              case 'A' -> SlabFlags.SLAB_ACCOUNT;
              default -> 0L;
            };
      }
    }
    String ctor = readString(d, "ctor").strip();
    if (ctor.isEmpty()) {
      ctor = null;
    } else if (ctor.contains(" ")) {
      ctor = ctor.substring(0, ctor.indexOf(' '));
    }
    int usersize = readInt(d, "usersize");
    int sheaf = Files.exists(d.resolve("sheaf_capacity")) ? readInt(d, "sheaf_capacity") : 0;
    boolean rcu = (flags & SlabFlags.SLAB_TYPESAFE_BY_RCU) != 0;
    boolean visiblyUnmergeable =
        ctor != null
            || rcu
            || usersize != 0
            || sheaf != 0
            || (flags & SlabFlags.SLAB_NEVER_MERGE) != 0;
    if (!dirName.startsWith(":") && !visiblyUnmergeable) {
      flags |= SlabFlags.SLAB_NO_MERGE;
    }
    int requestedAlign = align > Geometry.POINTER ? align : 0;
    int freeptr = -1;
    if (rcu || ctor != null) {
      Geometry plain = Geometry.calculate(objectSize, requestedAlign, flags, ctor != null, -1, 2);
      if (plain != null && plain.size() != slabSize) {
        int inside = (objectSize / 2) / Geometry.POINTER * Geometry.POINTER;
        Geometry withOffset =
            Geometry.calculate(objectSize, requestedAlign, flags, ctor != null, inside, 2);
        if (withOffset != null && withOffset.size() == slabSize) {
          freeptr = inside;
        }
      }
    }
    return new KmemCacheArgs(
        name, objectSize, requestedAlign, flags, ctor, 0, usersize, freeptr, sheaf);
  }

  private static int readInt(Path d, String attr) throws IOException {
    String s = readString(d, attr).strip();
    int space = s.indexOf(' ');
    return Integer.parseInt(space < 0 ? s : s.substring(0, space));
  }

  private static String readString(Path d, String attr) throws IOException {
    return Files.readString(d.resolve(attr), StandardCharsets.UTF_8);
  }
}
