package io.slabfs.kernel.module;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kobject.KObject;
import io.slabfs.kernel.kobject.KSet;
import io.slabfs.kernel.kobject.KType;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.sysfs.Attribute;
import io.slabfs.kernel.sysfs.Sysfs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Models: kernel/params.c.
 *
 * <p>{@code /sys/module} and the built-in modules in it ({@code param_sysfs_builtin}, {@code
 * version_sysfs_builtin}): each gets a directory with {@code parameters/} and {@code version} where
 * it has them, and nothing else.
 */
public final class BuiltinModules {
  /** The built-in modules of a real 6.18 boot: {@code MODULE version V} / {@code param} lines. */
  public static final String RESOURCE = "/io/slabfs/kernel/sim/builtin-modules.txt";

  private static final KType<Builtin> MODULE_KTYPE = kobj -> {};

  private final KSet moduleKset;
  private final Map<String, Builtin> modules = new LinkedHashMap<>();

  /** Built-in parameters share the global {@code param_lock}. */
  private final Mutex paramLock;

  private BuiltinModules(KSet moduleKset, Mutex paramLock) {
    this.moduleKset = moduleKset;
    this.paramLock = paramLock;
  }

  /** {@code param_sysfs_init()}: creates {@code /sys/module} and every built-in module. */
  public static BuiltinModules init(Sysfs sysfs) throws ErrnoException {
    BuiltinModules m =
        new BuiltinModules(
            KSet.createAndAdd(sysfs, "module", null),
            new Mutex(sysfs.kernfs().lockdep(), "param_lock"));
    try (InputStream in = BuiltinModules.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      m.load(sysfs, new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return m;
  }

  public KSet moduleKset() {
    return moduleKset;
  }

  /** Names of the built-in modules. */
  public List<String> names() {
    return new ArrayList<>(modules.keySet());
  }

  private void load(Sysfs sysfs, BufferedReader reader) throws IOException, ErrnoException {
    Map<String, Builtin> pending = new LinkedHashMap<>();
    String line;
    while ((line = reader.readLine()) != null) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] w = line.split(" ", 6);
      Builtin b = pending.computeIfAbsent(w[0], Builtin::new);
      if (w[1].equals("version")) {
        b.version = line.substring(line.indexOf(" version ") + 9);
      } else if (w[1].equals("param")) {
        String value = w.length > 5 ? w[5] : "";
        b.params.add(
            new KernelParam(
                w[2], ParamType.parse(w[3]), Integer.parseInt(w[4], 8), value, paramLock));
      } else {
        throw new IllegalArgumentException("bad line in " + RESOURCE + ": " + line);
      }
    }
    for (Builtin b : pending.values()) {
      b.kobj.initAndAdd(sysfs, null, moduleKset, b.name);
      if (!b.params.isEmpty()) {
        KernfsDir dir = sysfs.createDir(b.kobj.sd(), "parameters");
        for (KernelParam p : b.params) {
          sysfs.createFile(dir, p, p.attribute(), "param_attr");
        }
      }
      if (b.version != null) {
        sysfs.createFile(
            b.kobj.sd(), b, Attribute.ro("version", 0444, x -> x.version + "\n"), "module_attr");
      }
      modules.put(b.name, b);
    }
  }

  /** A built-in module's {@code struct module_kobject}. */
  static final class Builtin {
    final String name;
    final KObject<Builtin> kobj = new KObject<>(this, MODULE_KTYPE);
    final List<KernelParam> params = new ArrayList<>();
    String version;

    Builtin(String name) {
      this.name = name;
    }
  }
}
