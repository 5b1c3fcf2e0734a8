package io.slabfs.kernel.sim;

import static io.slabfs.kernel.testing.Sys.cat;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.era.KernelEra;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@code --extra-caches N}: N more caches, each with its own directory, in every era. */
@KernelTest
class ExtraCachesTest {
  @ParameterizedTest
  @EnumSource(KernelEra.class)
  void everyExtraCacheHasItsOwnDirectory(KernelEra era, Kernels kernels) throws Exception {
    Kernel k =
        kernels.boot(
            BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era).withExtraCaches(40));
    int before = k.slab().caches().size();
    Kernel min = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL).withEra(era));
    assertThat(before).isEqualTo(min.slab().caches().size() + 40);
    for (int i = 1; i <= 40; i++) {
      String dir = String.format("kernel/slab/scale_%05d", i);
      assertThat(k.vfs().stat(dir).type()).as(dir).isEqualTo(Stat.Type.DIRECTORY);
      assertThat(cat(k.vfs(), dir + "/ctor")).startsWith("scale_ctor");
    }
    // sizes cycle through the kmalloc range, minus 0, 8 or 16 bytes
    assertThat(cat(k.vfs(), "kernel/slab/scale_00009/object_size")).isEqualTo("16\n");
    assertThat(cat(k.vfs(), "kernel/slab/scale_00010/object_size")).isEqualTo("24\n");
  }
}
