package io.slabfs.kernel.explore;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Ours: simulator. The {@code pct} strategy of {@link Explorer}: probabilistic concurrency testing.
 * Each task gets a random priority, the highest runnable runs, and at {@code depth - 1} random
 * steps the running task drops below all others.
 */
final class Pct implements Run.Chooser {
  private final Random random;
  private final Map<Integer, Integer> priority = new HashMap<>();
  private final Map<Integer, Integer> changeAt = new HashMap<>();
  private final int depth;

  Pct(Random random, int depth, int steps) {
    this.random = random;
    this.depth = depth;
    for (int i = 1; i < depth; i++) {
      changeAt.put(random.nextInt(steps), i);
    }
  }

  @Override
  public Baton.Slot choose(Run run, int step, List<Baton.Slot> runnable, Baton.Slot previous) {
    for (Baton.Slot s : runnable) {
      priority.computeIfAbsent(s.index, k -> depth + random.nextInt(1 << 20));
    }
    Baton.Slot best = highest(runnable);
    Integer low = changeAt.get(step);
    if (low != null) {
      priority.put(best.index, low);
      best = highest(runnable);
    }
    return best;
  }

  private Baton.Slot highest(List<Baton.Slot> runnable) {
    Baton.Slot best = runnable.get(0);
    for (Baton.Slot s : runnable) {
      if (priority.get(s.index) > priority.get(best.index)) {
        best = s;
      }
    }
    return best;
  }
}
