package io.slabfs.kernel.testing;

import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The kernels one test boots, from {@link KernelExtension}: each is checked for quiescence and
 * closed after the test, so the test neither closes nor checks them itself.
 */
public final class Kernels {
  private final List<String> expectedDmesg;
  private final List<Quiescence> booted = new ArrayList<>();

  Kernels(List<String> expectedDmesg) {
    this.expectedDmesg = new ArrayList<>(expectedDmesg);
  }

  /**
   * {@link ExpectDmesg} decided at run time (a line only some eras print): every kernel of this
   * test must print a line containing {@code text}, and such lines are no failure.
   */
  public Kernels expectDmesg(String text) {
    expectedDmesg.add(text);
    return this;
  }

  /** Boots a kernel with {@code options}; it is checked and closed after the test. */
  public Kernel boot(BootOptions options) throws ErrnoException, IOException {
    Kernel k = Kernel.boot(options);
    booted.add(new Quiescence(k, expectedDmesg));
    return k;
  }

  List<Quiescence> booted() {
    return booted;
  }

  /** Every problem of every kernel, then every kernel closed. */
  List<String> checkAndClose() {
    List<String> problems = new ArrayList<>();
    try {
      for (Quiescence q : booted) {
        String prefix = booted.size() == 1 ? "" : "kernel " + (booted.indexOf(q) + 1) + ": ";
        q.check(true).forEach(p -> problems.add(prefix + p));
      }
    } finally {
      booted.forEach(q -> q.kernel().close());
    }
    return problems;
  }
}
