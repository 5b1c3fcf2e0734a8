package io.slabfs.kernel.kernfs;

import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.locking.Lockdep;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * poll(2) on a sysfs attribute (fs/kernfs/file.c kernfs_fop_poll, kernfs_generic_poll,
 * kernfs_notify): {@code EPOLLERR|EPOLLPRI} until the file reads the node's current event, again
 * after a notify (which wakes the pollers), and once the node is gone.
 */
class PollTest {
  private static final int ERR_PRI = KernfsOpenFile.POLLERR_PRI;

  private KernfsRoot root;
  private Vfs vfs;
  private KernfsFile file;

  @BeforeEach
  void setUp() throws Exception {
    root = new KernfsRoot(new Lockdep(new Dmesg(() -> 0L), "6.18.0"), () -> 0L);
    vfs = new Vfs(root);
    KernfsDir dir = root.createDir(root.rootDir(), "d", 0755);
    file =
        root.createFile(
            dir,
            "a",
            0444,
            KernfsOps.readOnly("a", () -> "1\n".getBytes(StandardCharsets.UTF_8)),
            4096);
  }

  @Test
  void beforeTheFirstRead_afterANotify_andAfterRemoval_pollReportsErrPri() throws Exception {
    long fh = vfs.open("/d/a", Vfs.O_RDONLY);
    AtomicInteger woken = new AtomicInteger();
    assertThat(vfs.poll(fh, null) & ERR_PRI).as("on->event 1, of->event 0").isEqualTo(ERR_PRI);
    vfs.read(fh, 0, 4096);
    assertThat(vfs.poll(fh, woken::incrementAndGet)).isEqualTo(KernfsOpenFile.DEFAULT_POLLMASK);
    vfs.notify("/d/a");
    assertThat(woken).as("the poller was woken").hasValue(1);
    assertThat(vfs.poll(fh, null) & ERR_PRI).isEqualTo(ERR_PRI);
    vfs.read(fh, 0, 4096);
    assertThat(vfs.poll(fh, null) & ERR_PRI).isZero();
    root.remove(file);
    assertThat(vfs.poll(fh, null) & ERR_PRI).as("kernfs_get_active fails").isEqualTo(ERR_PRI);
    vfs.release(fh);
  }
}
