package io.slabfs.kernel.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import io.slabfs.kernel.slab.KmemCache;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sim;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A sim/ctl name that several live caches were created as means the newest, for every command. */
@KernelTest
class SimCtlNamesTest {
  private Kernel k;

  private Kernels kernels;

  @BeforeEach
  void kernels(Kernels kernels) {
    this.kernels = kernels;
  }

  private KmemCache bootUdp() {
    return k.slab().caches().stream().filter(c -> c.name().equals("UDP")).findFirst().orElseThrow();
  }

  private static Errno errno(ErrnoException e) {
    return e.errno();
  }

  @Test
  void udpCreatedAgain_everyCommandMeansTheNewOne_untilItIsDestroyed() throws Exception {
    k = kernels.boot(BootOptions.defaults());
    KmemCache boot = bootUdp();
    long bootObjects = boot.allocatedObjects();
    int bootRefs = boot.kobj().refcount();

    k.ctl("kmem_cache_create UDP 64"); // merges into a 64-byte cache
    k.ctl("alloc UDP 5");
    assertThat(boot.allocatedObjects()).as("alloc went to the new UDP").isEqualTo(bootObjects);
    k.ctl("free UDP 5");
    k.ctl("kobject_get UDP");
    k.ctl("kmem_cache_destroy UDP");
    assertThat(Sim.dmesgSince(k, 0))
        .anyMatch(
            m ->
                m.startsWith("slabfs: ctl: destroyed UDP = ")
                    && m.contains(
                        "UDP now means the UDP created before it, " + boot.kobj().name()));
    // the reference taken through the name is the one kobject_put UDP drops, not the boot one
    k.ctl("kobject_put UDP");
    assertThat(boot.kobj().refcount()).isEqualTo(bootRefs);
    assertThatThrownBy(() -> k.ctl("kobject_put UDP"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.EINVAL);

    k.ctl("alloc UDP 3");
    assertThat(boot.allocatedObjects()).as("now the boot UDP").isEqualTo(bootObjects + 3);
    k.ctl("free UDP 3");
    k.ctl("kmem_cache_destroy UDP");
    assertThatThrownBy(() -> k.ctl("alloc UDP 1"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.ENOENT);
  }

  @Test
  void destroy_takesTheNewestCreation_notTheModulesOlderOneOfTheSameName() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
    k.ctl("insmod namemod cache=shared:100:SLAB_NO_MERGE");
    k.ctl("kmem_cache_create shared 200 flags=SLAB_NO_MERGE");
    k.ctl("kobject_get shared");
    k.ctl("kmem_cache_destroy shared"); // sim/ctl's own, the newest
    k.ctl("kobject_put shared");
    assertThatThrownBy(() -> k.ctl("kmem_cache_destroy shared"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.EPERM);
    k.ctl("alloc shared 1");
    k.ctl("free shared 1");
    k.ctl("rmmod namemod");
    assertThatThrownBy(() -> k.ctl("alloc shared 1"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.ENOENT);
  }

  @Test
  void newestIsTheModules_destroyIsRefused_andTheOlderOneIsUntouched() throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
    k.ctl("kmem_cache_create shared 200 flags=SLAB_NO_MERGE");
    k.ctl("insmod namemod cache=shared:100:SLAB_NO_MERGE");
    assertThatThrownBy(() -> k.ctl("kmem_cache_destroy shared"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.EPERM);
    k.ctl("rmmod namemod");
    k.ctl("kmem_cache_destroy shared");
    assertThatThrownBy(() -> k.ctl("kmem_cache_destroy shared"))
        .isInstanceOf(ErrnoException.class)
        .extracting(e -> errno((ErrnoException) e))
        .isEqualTo(Errno.ENOENT);
  }
}
