package io.slabfs.kernel.sim;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code sim/variant} shows the era and every one of its behaviour switches. */
@KernelTest
class VariantTest {
  @ParameterizedTest
  @EnumSource(KernelEra.class)
  void variant_hasALinePerSwitch(KernelEra era, Kernels kernels) throws Exception {
    Kernel k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era));
    String variant = Sys.cat(k.vfs(), "sim/variant");
    assertThat(variant).startsWith("kernel " + era.id() + "\nrelease " + era.release() + "\n");
    for (Enum<?> s : era.switches()) {
      assertThat(variant).contains("\n" + KernelEra.key(s) + " " + KernelEra.value(s) + "\n");
    }
  }
}
