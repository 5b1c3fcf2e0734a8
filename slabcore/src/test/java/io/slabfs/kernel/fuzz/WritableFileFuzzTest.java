package io.slabfs.kernel.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.fuzz.RefKstrtox.Result;
import io.slabfs.kernel.kernfs.KernfsOpenFile;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.module.BuiltinModules;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.testing.Quiescence;
import io.slabfs.kernel.testing.Sim;
import io.slabfs.kernel.testing.Sys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.AfterTry;
import net.jqwik.api.lifecycle.BeforeProperty;
import net.jqwik.api.statistics.Statistics;

/**
 * Garbage written to every writable file (kernel-model 1.3, 1.4, 4.5, 5.2, 6.2): each writable
 * attribute of several caches (a kmalloc cache, a bootstrap cache, a merged alias reached through
 * its symlink, and a {@code SLAB_RED_ZONE|SLAB_POISON} debug cache), every writable parameter of
 * the built-in modules, and {@code cpu1/online}. Each write answers with the byte count or an errno
 * that file's store can give, the same answer as the kernel's parsers ({@link RefKstrtox}) where
 * the store is a plain parse, and a failed write leaves every readable file of its directory as it
 * was. No input reaches a Java exception or a {@code BUG:}.
 */
class WritableFileFuzzTest {
  /** Files whose values move as objects are flushed or shrunk: left out of the comparison. */
  static final Set<String> COUNTERS =
      Set.of(
          "objects",
          "slabs",
          "partial",
          "cpu_slabs",
          "slabs_cpu_partial",
          "objects_partial",
          "total_objects");

  private static final String DEBUG_CACHE = "fuzz_debug";
  private static final String ALIAS = "fuzz_alias";
  private static final List<String> CACHES =
      List.of("kmalloc-64", "kmalloc-8k", "kmem_cache", "kmalloc_buckets", DEBUG_CACHE, ALIAS);
  private static final String CPU1_ONLINE = "/devices/system/cpu/cpu1/online";

  private Kernel k;
  private Quiescence quiet;
  private Vfs vfs;
  private final List<String> files = new ArrayList<>();
  private final List<String> slabFiles = new ArrayList<>();
  private final List<String> paramFiles = new ArrayList<>();

  /** Built-in parameter types, {@code module/name} to the TYPE word of builtin-modules.txt. */
  private final Map<String, String> paramTypes = new HashMap<>();

  @BeforeProperty
  void boot() throws Exception {
    k = Kernel.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
    quiet = new Quiescence(k, List.of());
    vfs = k.vfs();
    k.ctl("kmem_cache_create " + DEBUG_CACHE + " 200 flags=SLAB_RED_ZONE|SLAB_POISON");
    k.ctl("alloc " + DEBUG_CACHE + " 300");
    k.ctl("free " + DEBUG_CACHE + " 100");
    k.ctl("kmem_cache_create " + ALIAS + " 100");
    assertThat(vfs.stat("/kernel/slab/" + ALIAS).type()).isEqualTo(Stat.Type.SYMLINK);
    k.ctl("alloc " + ALIAS + " 500");
    for (String cache : CACHES) {
      String dir = "/kernel/slab/" + cache;
      for (String name : vfs.readdir(realDir(dir))) {
        Stat st = vfs.stat(realDir(dir) + "/" + name);
        if (st.type() == Stat.Type.FILE && (st.mode() & 0200) != 0) {
          slabFiles.add(dir + "/" + name); // through the alias symlink for fuzz_alias
        }
      }
    }
    for (String line : Sys.resource(BuiltinModules.RESOURCE).split("\n")) {
      String[] w = line.split(" ", 6);
      if (w.length >= 5 && w[1].equals("param")) {
        paramTypes.put(w[0] + "/" + w[2], w[3]);
      }
    }
    for (String module : vfs.readdir("/module")) {
      String dir = "/module/" + module + "/parameters";
      if (!vfs.readdir("/module/" + module).contains("parameters")) {
        continue;
      }
      for (String name : vfs.readdir(dir)) {
        if ((vfs.stat(dir + "/" + name).mode() & 0222) != 0) {
          paramFiles.add(dir + "/" + name);
        }
      }
    }
    files.addAll(slabFiles);
    files.addAll(paramFiles);
    files.add(CPU1_ONLINE);
    assertThat(slabFiles).hasSize(5 * CACHES.size());
    assertThat(files)
        .as("writable files found")
        .hasSizeGreaterThan(100)
        .contains(
            "/kernel/slab/" + DEBUG_CACHE + "/validate",
            "/module/vt/parameters/default_red",
            "/module/zswap/parameters/compressor");
  }

  /** Every try leaves the kernel quiet: no lock, wait, active reference, open file or splat. */
  @AfterTry
  void quiescent() {
    quiet.assertQuiescent("after the try", false);
  }

  @AfterProperty
  void shutdown() throws Exception {
    try {
      assertNoBug(0);
      // the model's own consistency check, on the cache the fuzzing flushed and validated most
      long seq = k.dmesg().sequence();
      assertThat(Sys.write(vfs, "/kernel/slab/" + DEBUG_CACHE + "/validate", "1")).isEqualTo(1);
      assertThat(Sim.dmesgSince(k, seq))
          .as("validate of %s", DEBUG_CACHE)
          .noneMatch(l -> l.startsWith("BUG"));
      Map<String, String> stats = Sim.stats(k);
      for (String key : List.of("held_locks", "blocked_tasks", "active_refs", "open_files")) {
        assertThat(stats.get(key)).as("sim/stats %s", key).isEqualTo("0");
      }
      quiet.assertQuiescent("at the end of the property", true);
    } finally {
      k.close();
    }
  }

  /** The directory a path names, with a symlinked cache name resolved (readdir does not follow). */
  private String realDir(String dir) throws ErrnoException {
    if (vfs.stat(dir).type() == Stat.Type.SYMLINK) {
      return dir.substring(0, dir.lastIndexOf('/') + 1) + vfs.readlink(dir);
    }
    return dir;
  }

  private void assertNoBug(long sinceSequence) {
    assertThat(Sim.dmesgSince(k, sinceSequence)).as("dmesg").noneMatch(l -> l.startsWith("BUG:"));
  }

  /**
   * Every readable file of the directories a write to {@code file} may touch, counters left out.
   */
  private Map<String, Map<String, String>> snapshot(String file) throws ErrnoException {
    List<String> dirs = new ArrayList<>();
    dirs.add(realDir(file.substring(0, file.lastIndexOf('/'))));
    if (file.equals(CPU1_ONLINE)) {
      dirs.add("/devices/system/cpu");
    }
    Map<String, Map<String, String>> out = new TreeMap<>();
    for (String dir : dirs) {
      Map<String, String> values = Sys.snapshot(vfs, dir);
      values.keySet().removeAll(COUNTERS);
      out.put(dir, values);
    }
    return out;
  }

  // -------------------------------------------------------------------------- the property

  /** Half the tries on slab attributes, a third on parameters, the rest on cpu1/online. */
  @Provide
  Arbitrary<String> files() {
    return Arbitraries.frequencyOf(
        Tuple.of(3, Arbitraries.of(slabFiles)),
        Tuple.of(2, Arbitraries.of(paramFiles)),
        Tuple.of(1, Arbitraries.just(CPU1_ONLINE)));
  }

  @Provide
  Arbitrary<byte[]> garbage() {
    return Garbage.any();
  }

  @Property(tries = 1000)
  void garbage_answersAnErrnoOfThatStore_andChangesNothingOnFailure(
      @ForAll("files") String file, @ForAll("garbage") byte[] data) throws Exception {
    Map<String, Map<String, String>> before = snapshot(file);
    long seq = k.dmesg().sequence();
    int expectCount = Math.min(data.length, KernfsOpenFile.PAGE_SIZE);
    // what the store receives: the first page, then a NUL
    byte[] buf = Arrays.copyOf(data, expectCount + 1);

    Errno got = null;
    int n = -1;
    try {
      n = Sys.write(vfs, file, data);
    } catch (ErrnoException e) {
      got = e.errno();
    } catch (RuntimeException | Error e) {
      fail(file + " <- " + Garbage.show(data) + " threw " + e, e);
    }
    String what = file + " <- " + Garbage.show(data) + " answered " + (got == null ? "ok" : got);
    Statistics.collect(kind(file), got == null ? "ok" : got.name());
    assertNoBug(seq);
    if (got == null) {
      assertThat(n).as("%s: byte count", what).isEqualTo(expectCount);
    }

    if (got != null) {
      assertThat(allowedErrnos(file)).as(what).contains(got);
      assertThat(snapshot(file))
          .as("%s: readable files after the failed write", what)
          .isEqualTo(before);
    }
    if (expectCount == 0) {
      assertThat(got).as("%s: an empty write returns 0 without a store", what).isNull();
      assertThat(snapshot(file)).as(what).isEqualTo(before);
      return;
    }
    checkAgainstKernel(file, buf, got, what);
  }

  private static String kind(String file) {
    if (file.startsWith("/kernel/slab/")) {
      return file.substring(file.lastIndexOf('/') + 1);
    }
    return file.startsWith("/module/") ? "module param" : "cpu online";
  }

  /** The errnos each kind of file's store can return (kernel-model 1.3, 4.7, 5.2, 6.2). */
  private Set<Errno> allowedErrnos(String file) {
    if (file.equals(CPU1_ONLINE)) {
      return Set.of(Errno.EINVAL, Errno.EBUSY);
    }
    if (file.equals("/module/zswap/parameters/compressor")) {
      return Set.of(Errno.ENOENT); // __zswap_param_set: crypto_has_acomp() or -ENOENT
    }
    if (file.startsWith("/module/")) {
      return Set.of(Errno.EINVAL, Errno.ERANGE, Errno.ENOSPC);
    }
    return Set.of(Errno.EINVAL, Errno.ERANGE);
  }

  /**
   * Where the store is a plain parse, the answer and the value shown afterwards must be the
   * kernel's: {@code buf} is the store buffer (at most a page, NUL-terminated).
   */
  private void checkAgainstKernel(String file, byte[] buf, Errno got, String what)
      throws ErrnoException {
    String name = file.substring(file.lastIndexOf('/') + 1);
    if (file.startsWith("/kernel/slab/")) {
      String cache = file.split("/")[3];
      boolean debug = cache.equals(DEBUG_CACHE);
      switch (name) {
        case "min_partial" ->
            expectParse(
                file,
                RefKstrtox.kstrtoul(buf, 10),
                got,
                what,
                v -> Long.toUnsignedString(v) + "\n");
        case "remote_node_defrag_ratio" -> {
          Result r = RefKstrtox.kstrtouint(buf, 10);
          if (r.ok() && r.value() > 100) {
            r = Result.err(Errno.ERANGE);
          }
          expectParse(file, r, got, what, v -> v + "\n");
        }
        case "cpu_partial" -> {
          Result r = RefKstrtox.kstrtouint(buf, 10);
          if (r.ok() && r.value() != 0 && debug) {
            r = Result.err(Errno.EINVAL); // debug caches have no per-CPU partial lists
          }
          expectParse(file, r, got, what, v -> v + "\n");
        }
        case "shrink" -> assertThat(got).as(what).isEqualTo(buf[0] == '1' ? null : Errno.EINVAL);
        case "validate" ->
            assertThat(got).as(what).isEqualTo(buf[0] == '1' && debug ? null : Errno.EINVAL);
        default -> fail("no oracle for writable " + file);
      }
    } else if (file.equals(CPU1_ONLINE)) {
      if ("eEdD".indexOf(buf[0]) >= 0) {
        return; // 6.16+ kstrtobool takes these; the model does not (KstrtoxFuzzTest)
      }
      expectParse(file, RefKstrtox.kstrtobool(buf), got, what, v -> v + "\n");
    } else {
      String module = file.split("/")[2];
      checkParam(file, paramTypes.get(module + "/" + name), buf, got, what);
    }
  }

  /** {@code kernel_param_ops->set} of each type, and {@code ->get} of the result. */
  private void checkParam(String file, String type, byte[] buf, Errno got, String what)
      throws ErrnoException {
    assertThat(type).as("type of %s", file).isNotNull();
    int len = strlen(buf);
    switch (type) {
      case "bool", "invbool" -> {
        if ("eEdD".indexOf(buf[0]) >= 0) {
          return; // see KstrtoxFuzzTest
        }
        boolean inv = type.equals("invbool");
        expectParse(
            file, RefKstrtox.kstrtobool(buf), got, what, v -> ((v != 0) ^ inv ? "Y" : "N") + "\n");
      }
      case "bint" -> {
        if ("eEdD".indexOf(buf[0]) >= 0) {
          return; // see KstrtoxFuzzTest
        }
        // param_set_bint: a bool into an int; param_get_int prints it
        expectParse(file, RefKstrtox.kstrtobool(buf), got, what, v -> (v != 0 ? "1" : "0") + "\n");
      }
      case "aspm_policy", "online_policy" -> {
        // sysfs_match_string(): one of the names, or it with one trailing newline
        List<String> names =
            type.equals("aspm_policy")
                ? List.of("default", "performance", "powersave", "powersupersave")
                : List.of("contig-zones", "auto-movable");
        String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1);
        String hit = text.endsWith("\n") ? text.substring(0, text.length() - 1) : text;
        assertThat(got).as(what).isEqualTo(names.contains(hit) ? null : Errno.EINVAL);
      }
      case "wq_affn_scope" -> {
        // wq_affn_dfl_set: strncasecmp over each name's length, in order; "default" is refused
        String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT);
        String hit = null;
        for (String n : List.of("default", "cpu", "smt", "cache", "numa", "system")) {
          if (text.startsWith(n)) {
            hit = n;
            break;
          }
        }
        assertThat(got)
            .as(what)
            .isEqualTo(hit == null || hit.equals("default") ? Errno.EINVAL : null);
      }
      case "zswap_compressor" -> {
        // __zswap_param_set: strstrip, then crypto_has_acomp
        String text = new String(buf, 0, len, StandardCharsets.ISO_8859_1);
        String s = text.replaceAll("^[\\t\\n\\x0b\\f\\r \\xa0]+|[\\t\\n\\x0b\\f\\r \\xa0]+$", "");
        assertThat(got)
            .as(what)
            .isEqualTo(List.of("deflate", "lzo", "lzo-rle").contains(s) ? null : Errno.ENOENT);
      }
      case "byte" ->
          expectParse(
              file, unsigned(RefKstrtox.kstrtoull(buf, 0), 0xFFL), got, what, v -> v + "\n");
      case "ushort" ->
          expectParse(
              file, unsigned(RefKstrtox.kstrtoull(buf, 0), 0xFFFFL), got, what, v -> v + "\n");
      case "uint" -> expectParse(file, RefKstrtox.kstrtouint(buf, 0), got, what, v -> v + "\n");
      case "hexint" ->
          // "%#08x": the 0x counts in the width; 0 has no prefix
          expectParse(
              file,
              RefKstrtox.kstrtouint(buf, 0),
              got,
              what,
              v -> v == 0 ? "00000000\n" : String.format("0x%06x\n", v));
      case "ulong" ->
          expectParse(
              file, RefKstrtox.kstrtoul(buf, 0), got, what, v -> Long.toUnsignedString(v) + "\n");
      case "short" ->
          expectParse(
              file,
              signed(RefKstrtox.kstrtoll(buf, 0), Short.MIN_VALUE, Short.MAX_VALUE),
              got,
              what,
              v -> v + "\n");
      case "int" -> expectParse(file, RefKstrtox.kstrtoint(buf, 0), got, what, v -> v + "\n");
      case "long" -> expectParse(file, RefKstrtox.kstrtoll(buf, 0), got, what, v -> v + "\n");
      case "charp" -> {
        // param_set_charp: more than 1024 bytes is -ENOSPC; the text is kept as written
        assertThat(got).as(what).isEqualTo(len > 1024 ? Errno.ENOSPC : null);
        expectText(file, buf, len, got, what);
      }
      default -> {
        if (type.startsWith("string:")) {
          // param_set_copystring: strlen + 1 must fit maxlen
          int max = Integer.parseInt(type.substring(7));
          assertThat(got).as(what).isEqualTo(len + 1 > max ? Errno.ENOSPC : null);
          expectText(file, buf, len, got, what);
        } else if (!type.startsWith("array:")) {
          fail("no oracle for parameter type " + type + " of " + file);
        }
        // arrays: the answer is checked against the errno set only; see arrayParam_* below
      }
    }
  }

  /** After a successful charp/string store, {@code cat} shows the bytes up to the NUL, and \n. */
  private void expectText(String file, byte[] buf, int len, Errno got, String what)
      throws ErrnoException {
    if (got != null || !Garbage.isUtf8(buf, len)) {
      return; // invalid UTF-8: see textParam_readsBackTheBytesWritten
    }
    byte[] shown = Sys.cat(vfs, file).getBytes(StandardCharsets.ISO_8859_1);
    byte[] expected = Arrays.copyOf(buf, len + 1);
    expected[len] = '\n';
    assertThat(Garbage.show(shown)).as("%s: value shown", what).isEqualTo(Garbage.show(expected));
  }

  @FunctionalInterface
  private interface Shown {
    String of(long value);
  }

  /** The store must fail exactly as the parse does, and on success show the parsed value. */
  private void expectParse(String file, Result kernel, Errno got, String what, Shown shown)
      throws ErrnoException {
    assertThat(got).as("%s: kernel gives %s", what, kernel).isEqualTo(kernel.errno());
    if (kernel.ok()) {
      assertThat(Sys.cat(vfs, file))
          .as("%s: value shown", what)
          .isEqualTo(shown.of(kernel.value()));
    }
  }

  private static Result unsigned(Result r, long max) {
    return r.ok() && Long.compareUnsigned(r.value(), max) > 0 ? Result.err(Errno.ERANGE) : r;
  }

  private static Result signed(Result r, long min, long max) {
    return r.ok() && (r.value() < min || r.value() > max) ? Result.err(Errno.ERANGE) : r;
  }

  private static int strlen(byte[] buf) {
    for (int i = 0; i < buf.length; i++) {
      if (buf[i] == 0) {
        return i;
      }
    }
    return buf.length;
  }

  // ---------------------------------------------------------------- findings, kept strict

  /**
   * {@code s->min_partial} is an {@code unsigned long}, compared as one ({@code n->nr_partial >=
   * s->min_partial}): every value from 2^63 up means "never discard an empty slab", exactly as 2^63
   * - 1 does. Two identically seeded kernels that differ only in such a value must therefore count
   * the same objects and slabs after the same allocations and frees.
   */
  @Property(tries = 30)
  void minPartial_valuesFrom2pow63_behaveAsUnsigned(
      @ForAll("hugeMinPartial") String huge,
      @ForAll @Size(min = 1, max = 12) List<@IntRange(min = -300, max = 300) Integer> ops)
      throws Exception {
    Map<String, String> a = runWithMinPartial("9223372036854775807", ops);
    Map<String, String> b = runWithMinPartial(huge, ops);
    assertThat(b).as("kmalloc-64 after %s with min_partial %s vs 2^63-1", ops, huge).isEqualTo(a);
  }

  @Provide
  Arbitrary<String> hugeMinPartial() {
    return Arbitraries.of("9223372036854775808", "18446744073709551615", "10000000000000000000");
  }

  /** Positive: alloc that many; negative: free that many (as far as there are objects). */
  private static Map<String, String> runWithMinPartial(String minPartial, List<Integer> ops)
      throws Exception {
    try (Kernel kk =
        Kernel.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withSeed(42))) {
      Quiescence quietKk = new Quiescence(kk, List.of());
      String dir = "/kernel/slab/kmalloc-64";
      Sys.write(kk.vfs(), dir + "/min_partial", minPartial);
      for (int op : ops) {
        if (op > 0) {
          kk.ctl("alloc kmalloc-64 " + op + " cpu=" + (op % 2));
        } else if (op < 0) {
          try {
            kk.ctl("free kmalloc-64 " + -op + " cpu=" + (-op % 2));
          } catch (ErrnoException e) {
            // fewer objects than that: nothing changes
          }
        }
      }
      Map<String, String> out = Sys.snapshot(kk.vfs(), dir);
      out.remove("min_partial");
      quietKk.assertQuiescent("after min_partial " + minPartial + " and " + ops, true);
      return out;
    }
  }

  /**
   * {@code slub_set_cpu_partial()} computes {@code cpu_partial_slabs = DIV_ROUND_UP(nr_objects * 2,
   * oo_objects(s->oo))} entirely in {@code unsigned int}: the doubling and the rounding addition
   * both wrap, and the result is unsigned.
   */
  @Property(tries = 200)
  void cpuPartial_slabLimit_isTheKernelsU32Arithmetic(
      @ForAll("u32") long objects, @ForAll("cacheWithObjs") String cache) throws Exception {
    Sys.write(vfs, "/kernel/slab/" + cache + "/cpu_partial", Long.toString(objects));
    KmemCache s =
        k.slab().caches().stream().filter(c -> c.name().equals(cache)).findFirst().orElseThrow();
    long perSlab = s.objsPerSlab();
    long doubled = (objects * 2) & 0xFFFF_FFFFL;
    long kernel = ((doubled + perSlab - 1) & 0xFFFF_FFFFL) / perSlab;
    assertThat(s.cpuPartialSlabs())
        .as(
            "%s: cpu_partial_slabs for cpu_partial %d, %d objects per slab",
            cache, objects, perSlab)
        .isEqualTo(kernel);
  }

  @Provide
  Arbitrary<Long> u32() {
    return Arbitraries.longs()
        .between(0, 0xFFFF_FFFFL)
        .edgeCases(e -> e.add(0x7FFF_FFFFL).add(0x8000_0000L).add(0xFFFF_FFFFL).add(0x4000_0000L));
  }

  @Provide
  Arbitrary<String> cacheWithObjs() {
    return Arbitraries.of("kmalloc-64", "kmalloc-8k", "kmalloc-4k");
  }

  /**
   * {@code param_array_set} with {@code num == NULL} (as {@code vt}'s {@code default_red}, {@code
   * module_param_array(default_red, byte, NULL, 0644)}): at most {@code ARRAY_SIZE} = 16 elements
   * ({@code "can only take 16 arguments"}, {@code -EINVAL}), and {@code cat} always shows all 16,
   * the ones not written keeping their values.
   */
  @Property(tries = 50)
  void arrayParam_hasTheArraysCapacity(@ForAll @IntRange(min = 1, max = 40) int n)
      throws Exception {
    String p = "/module/vt/parameters/default_red";
    String before = Sys.cat(vfs, p);
    String[] old = before.strip().split(",");
    assertThat(old).hasSize(16);
    String[] vals = new String[n];
    Arrays.fill(vals, "7");
    String written = String.join(",", vals);
    if (n > 16) {
      assertThat(Sys.errno(() -> Sys.write(vfs, p, written))).isEqualTo(Errno.EINVAL);
      return;
    }
    Sys.write(vfs, p, written);
    String[] expected = old.clone();
    Arrays.fill(expected, 0, n, "7");
    assertThat(Sys.cat(vfs, p)).isEqualTo(String.join(",", expected) + "\n");
  }

  /** {@code param_set_charp} keeps the bytes ({@code kstrdup}); {@code cat} prints them back. */
  @Property(tries = 100)
  void textParam_readsBackTheBytesWritten(@ForAll("invalidUtf8") byte[] value) throws Exception {
    // a loaded module's charp parameter (the boot set's writable ones have their own ops)
    if (!vfs.readdir("/module").contains("textmod")) {
      k.ctl("insmod textmod param=name=x");
    }
    String p = "/module/textmod/parameters/name";
    Sys.write(vfs, p, value);
    byte[] expected = Arrays.copyOf(value, value.length + 1);
    expected[value.length] = '\n';
    assertThat(Garbage.show(Sys.cat(vfs, p).getBytes(StandardCharsets.ISO_8859_1)))
        .isEqualTo(Garbage.show(expected));
  }

  @Provide
  Arbitrary<byte[]> invalidUtf8() {
    return Arbitraries.of(Garbage.INVALID_UTF8).filter(b -> strlen(b) == b.length);
  }
}
