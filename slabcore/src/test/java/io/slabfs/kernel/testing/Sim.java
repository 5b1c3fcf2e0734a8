package io.slabfs.kernel.testing;

import io.slabfs.kernel.sim.Kernel;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The kernel's {@code sim/} state read from the model, so no open file of the reader counts. */
public final class Sim {
  private Sim() {}

  /** {@code sim/stats} as name to value, in file order. */
  public static Map<String, String> stats(Kernel k) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String line : k.stats().split("\n")) {
      String[] kv = line.split(" ", 2);
      out.put(kv[0], kv[1]);
    }
    return out;
  }

  /** The dmesg records printed since {@code sinceSequence} (those still in the ring). */
  public static List<String> dmesgSince(Kernel k, long sinceSequence) {
    List<String> all = k.dmesg().messages();
    long n = Math.min(all.size(), k.dmesg().sequence() - sinceSequence);
    return all.subList(all.size() - (int) n, all.size());
  }
}
