package io.slabfs.kernel.explore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Ours: simulator. The {@code dfs} strategy of {@link Explorer}: depth-first search over the
 * choices, preemption-bounded, with state hashing.
 */
final class Dfs implements Run.Chooser {
  /** A replayed prefix took another turn: the model is not deterministic. */
  static final class NotDeterministic extends RuntimeException {
    NotDeterministic(String message) {
      super(message);
    }
  }

  private static final class Node {
    final List<Integer> runnable;
    final int previous;
    final int preemptionsBefore;
    final Set<Integer> tried = new HashSet<>();
    int chosen;

    Node(List<Integer> runnable, int previous, int preemptionsBefore) {
      this.runnable = runnable;
      this.previous = previous;
      this.preemptionsBefore = preemptionsBefore;
    }
  }

  private final int bound;
  private final boolean hashing;
  private final List<Node> stack = new ArrayList<>();

  /** States seen, as 64-bit hashes of {@link Run#stateKey}, to the fewest preemptions used. */
  final Map<Long, Integer> visited = new HashMap<>();

  private int used;

  Dfs(int bound, boolean hashing) {
    this.bound = bound;
    this.hashing = hashing;
  }

  @Override
  public Baton.Slot choose(Run run, int step, List<Baton.Slot> runnable, Baton.Slot previous) {
    if (step == 0) {
      used = 0;
    }
    boolean canGoOn = previous != null && runnable.contains(previous);
    List<Integer> ids = runnable.stream().map(s -> s.index).toList();
    if (step < stack.size()) {
      Node n = stack.get(step);
      if (!n.runnable.equals(ids)) {
        throw new NotDeterministic(
            "the model is not deterministic: at step "
                + (step + 1)
                + " tasks "
                + ids
                + " can run, the first time "
                + n.runnable);
      }
      Baton.Slot c = runnable.get(ids.indexOf(n.chosen));
      if (canGoOn && c != previous) {
        used++;
      }
      return c;
    }
    if (hashing) {
      long key = fnv64(run.stateKey(previous));
      Integer seen = visited.get(key);
      if (seen != null && seen <= used) {
        return null;
      }
      visited.put(key, used);
    }
    Node n = new Node(ids, canGoOn ? previous.index : -1, used);
    Baton.Slot c = Run.byDefault(runnable, previous);
    n.chosen = c.index;
    n.tried.add(c.index);
    stack.add(n);
    return c;
  }

  /** FNV-1a, 64 bits: a million states in a few tens of megabytes, collisions unlikely. */
  static long fnv64(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h = (h ^ s.charAt(i)) * 0x100000001b3L;
    }
    return h;
  }

  /** Sets up the next schedule; false when every one within the bound has been run. */
  boolean backtrack() {
    while (!stack.isEmpty()) {
      Node n = stack.get(stack.size() - 1);
      for (int a : n.runnable) {
        if (n.tried.contains(a)) {
          continue;
        }
        int cost = n.previous >= 0 && a != n.previous ? 1 : 0;
        if (n.preemptionsBefore + cost > bound) {
          continue;
        }
        n.tried.add(a);
        n.chosen = a;
        return true;
      }
      stack.remove(stack.size() - 1);
    }
    return false;
  }
}
