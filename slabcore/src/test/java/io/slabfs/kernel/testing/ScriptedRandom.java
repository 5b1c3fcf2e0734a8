package io.slabfs.kernel.testing;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Random;

/**
 * A {@link Random} whose {@link #nextInt(int)} answers from a script, so a test can choose which
 * slab {@code KmemCache.free} takes an object from (index into the cache's slabs in creation
 * order). After the script is used up it answers 0.
 */
public final class ScriptedRandom extends Random {
  private final Deque<Integer> script = new ArrayDeque<>();

  public ScriptedRandom(int... values) {
    super(0);
    for (int v : values) {
      script.add(v);
    }
  }

  @Override
  public int nextInt(int bound) {
    Integer v = script.poll();
    int r = v == null ? 0 : v;
    if (r >= bound) {
      throw new IllegalStateException("scripted " + r + " but bound is " + bound);
    }
    return r;
  }
}
