package io.slabfs.kernel.explore;

import io.slabfs.kernel.era.KernelEra;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ours: simulator.
 *
 * <p>A replay token: the kernel era, the CPU count, four hex digits of the scenario, and the steps
 * where the schedule did not take the default choice (go on with the task that ran last if it can,
 * else the first task that can run), as {@code STEP.TASK}: {@code v5.19:2c:9f3a:4.1-11.2}.
 * Everything else follows from the model being deterministic.
 *
 * @param choices step number to task (slot) index, for the steps that differ from the default
 */
record Token(KernelEra era, int cpus, String scenarioHash, Map<Integer, Integer> choices) {

  /** The token of a schedule that chose {@code chosen} (slot index per step). */
  static Token of(KernelEra era, int cpus, String hash, Run run) {
    Map<Integer, Integer> out = new TreeMap<>();
    List<Run.Step> steps = run.steps();
    for (int i = 0; i < steps.size(); i++) {
      Run.Step s = steps.get(i);
      if (s.deviates()) {
        out.put(i, s.slot());
      }
    }
    return new Token(era, cpus, hash, out);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    sb.append(era.id()).append(':').append(cpus).append("c:").append(scenarioHash).append(':');
    if (choices.isEmpty()) {
      sb.append('-');
    }
    String sep = "";
    for (Map.Entry<Integer, Integer> e : choices.entrySet()) {
      sb.append(sep).append(e.getKey()).append('.').append(e.getValue());
      sep = "-";
    }
    return sb.toString();
  }

  /** Parses a token; IllegalArgumentException says what is wrong with it. */
  static Token parse(String s) {
    String[] p = s.strip().split(":", -1);
    if (p.length != 4) {
      throw new IllegalArgumentException("a token looks like v5.19:2c:9f3a:4.1-11.2");
    }
    KernelEra era =
        KernelEra.byId(p[0])
            .orElseThrow(
                () -> new IllegalArgumentException("unknown era '" + p[0] + "' in the token"));
    if (!p[1].matches("[1-9][0-9]{0,2}c")) {
      throw new IllegalArgumentException("bad CPU count '" + p[1] + "' in the token");
    }
    if (!p[2].matches("[0-9a-f]{4}")) {
      throw new IllegalArgumentException("bad scenario hash '" + p[2] + "' in the token");
    }
    Map<Integer, Integer> choices = new TreeMap<>();
    if (!p[3].equals("-")) {
      for (String c : p[3].split("-")) {
        if (!c.matches("[0-9]{1,5}\\.[0-9]{1,3}")) {
          throw new IllegalArgumentException("bad step '" + c + "' in the token");
        }
        int dot = c.indexOf('.');
        choices.put(Integer.parseInt(c.substring(0, dot)), Integer.parseInt(c.substring(dot + 1)));
      }
    }
    return new Token(era, Integer.parseInt(p[1].substring(0, p[1].length() - 1)), p[2], choices);
  }
}
