package io.slabfs.kernel.testing;

import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.Kernel;
import java.lang.reflect.AnnotatedElement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * Boots the kernels of a model test and, after it (and after its {@code @AfterEach} methods),
 * asserts that each is quiescent ({@link Quiescence}) and closes it. A test gets a kernel as a
 * parameter of type {@link Kernel} (booted with {@link Boot} options; one per test, shared by
 * {@code @BeforeEach} and the test method) or boots its own through a {@link Kernels} parameter.
 * dmesg lines the test provokes on purpose are declared with {@link ExpectDmesg}.
 *
 * <p>A failure names each leak: the task and the lock it still holds or the wait it is still
 * blocked in, the kernfs node with an active reference, the file never released, the {@code
 * sim/stats} line that disagrees with the tree, the dmesg line nobody declared.
 */
public final class KernelExtension implements ParameterResolver, AfterEachCallback {
  private static final ExtensionContext.Namespace NS =
      ExtensionContext.Namespace.create(KernelExtension.class);

  @Override
  public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
    Class<?> type = pc.getParameter().getType();
    return (type == Kernel.class || type == Kernels.class) && ec.getTestMethod().isPresent();
  }

  @Override
  public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
    Kernels kernels = kernels(ec);
    if (pc.getParameter().getType() == Kernels.class) {
      return kernels;
    }
    ExtensionContext.Store store = ec.getStore(NS);
    return store.getOrComputeIfAbsent(
        "kernel",
        key -> {
          try {
            return kernels.boot(options(ec));
          } catch (Exception e) {
            throw new ParameterResolutionException("boot failed: " + e, e);
          }
        },
        Kernel.class);
  }

  private static Kernels kernels(ExtensionContext ec) {
    return ec.getStore(NS)
        .getOrComputeIfAbsent("kernels", key -> new Kernels(expected(ec)), Kernels.class);
  }

  private static BootOptions options(ExtensionContext ec) {
    Optional<Boot> boot =
        ec.getTestMethod().flatMap(m -> AnnotationSupport.findAnnotation(m, Boot.class));
    if (boot.isEmpty()) {
      boot = ec.getTestClass().flatMap(c -> AnnotationSupport.findAnnotation(c, Boot.class));
    }
    return boot.map(Boot.Options::of).orElseGet(BootOptions::defaults);
  }

  /** The declared dmesg lines: the class's, then the method's. */
  static List<String> expected(ExtensionContext ec) {
    List<String> out = new ArrayList<>();
    ec.getTestClass().ifPresent(c -> add(c, out));
    ec.getTestMethod().ifPresent(m -> add(m, out));
    return out;
  }

  private static void add(AnnotatedElement e, List<String> out) {
    for (ExpectDmesg x : AnnotationSupport.findRepeatableAnnotations(e, ExpectDmesg.class)) {
      out.add(x.value());
    }
  }

  @Override
  public void afterEach(ExtensionContext ec) {
    Kernels kernels = ec.getStore(NS).get("kernels", Kernels.class);
    if (kernels == null) {
      return;
    }
    List<String> problems = kernels.checkAndClose();
    if (!problems.isEmpty()) {
      AssertionError e =
          new AssertionError(
              "kernel not quiescent after "
                  + ec.getDisplayName()
                  + ":\n  - "
                  + String.join("\n  - ", problems));
      e.setStackTrace(new StackTraceElement[0]); // the message says it all; the test has ended
      throw e;
    }
  }
}
