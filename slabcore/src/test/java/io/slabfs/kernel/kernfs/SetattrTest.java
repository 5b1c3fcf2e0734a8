package io.slabfs.kernel.kernfs;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.slab.KmemCacheArgs;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code chmod}, {@code chown} and {@code touch} on sysfs nodes (fs/kernfs/inode.c
 * kernfs_iop_setattr, __kernfs_setattr): kernfs keeps the new attributes, {@code stat} shows them,
 * and the open check of sysfs roots ({@code KERNFS_ROOT_EXTRA_OPEN_PERM_CHECK} in kernfs_fop_open)
 * uses the new mode together with whether the attribute has a store.
 */
@KernelTest
class SetattrTest {
  private static final String DIR = "/kernel/slab/kmalloc-64";

  private Kernel k;

  @BeforeEach
  void boot(Kernels kernels) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
  }

  private Vfs vfs() {
    return k.vfs();
  }

  @Test
  void chmod_showsInStat_andTheOpenCheckUsesIt() throws Exception {
    String path = DIR + "/cpu_partial";
    assertThat(vfs().stat(path).mode()).isEqualTo(0600);
    vfs().setattr(path, Iattr.mode(0400));
    assertThat(vfs().stat(path).mode()).isEqualTo(0400);
    // root writing a file without a write bit: the sysfs open check refuses it
    assertThat(errno(() -> vfs().open(path, Vfs.O_WRONLY))).isEqualTo(Errno.EACCES);
    vfs().setattr(path, Iattr.mode(0644));
    Sys.write(vfs(), path, "30");
    assertThat(cat(vfs(), path)).isEqualTo("30\n");
  }

  @Test
  void chmodWritable_onAnAttributeWithoutStore_stillRefusesTheWrite() throws Exception {
    String path = DIR + "/order";
    vfs().setattr(path, Iattr.mode(0600));
    assertThat(vfs().stat(path).mode()).isEqualTo(0600);
    assertThat(errno(() -> vfs().open(path, Vfs.O_WRONLY))).isEqualTo(Errno.EACCES);
  }

  @Test
  void chown_andTouch_showInStat_directoriesToo() throws Exception {
    vfs().setattr(DIR, Iattr.owner(65534, -1));
    var a = vfs().stat(DIR).attrs();
    assertThat(a.uid()).isEqualTo(65534);
    assertThat(a.gid()).isZero();
    vfs().setattr(DIR + "/objects", Iattr.times(1_000_000_007L, 2_000_000_009L));
    a = vfs().stat(DIR + "/objects").attrs();
    assertThat(a.atime()).isEqualTo(1_000_000_007L);
    assertThat(a.mtime()).isEqualTo(2_000_000_009L);
    assertThat(vfs().stat(DIR + "/objects").mode()).as("times alone keep the mode").isEqualTo(0400);
  }

  @Test
  void symlink_keepsMode0777_butTakesAnOwner() throws Exception {
    k.slab().create(KmemCacheArgs.parse(new String[] {"linked", "64"}));
    String link = "/kernel/slab/linked";
    vfs().setattr(link, Iattr.mode(0500));
    vfs().setattr(link, Iattr.owner(1, 2));
    var st = vfs().stat(link);
    assertThat(st.type()).isEqualTo(Stat.Type.SYMLINK);
    assertThat(st.mode()).isEqualTo(0777);
    assertThat(st.attrs().uid()).isEqualTo(1);
    assertThat(st.attrs().gid()).isEqualTo(2);
  }

  @Test
  void setattr_onAMissingPath_isEnoent() {
    Sys.Call setattr =
        () -> {
          vfs().setattr(DIR + "/nope", Iattr.mode(0600));
          return null;
        };
    assertThat(errno(setattr)).isEqualTo(Errno.ENOENT);
  }
}
