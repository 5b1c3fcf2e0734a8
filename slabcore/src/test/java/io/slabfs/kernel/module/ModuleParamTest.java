package io.slabfs.kernel.module;

import static io.slabfs.kernel.testing.Sys.cat;
import static io.slabfs.kernel.testing.Sys.errno;
import static io.slabfs.kernel.testing.Sys.write;
import static org.assertj.core.api.Assertions.assertThat;

import io.slabfs.kernel.debug.Dmesg;
import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.kernfs.KernfsDir;
import io.slabfs.kernel.kernfs.KernfsRoot;
import io.slabfs.kernel.kernfs.Stat;
import io.slabfs.kernel.kernfs.Vfs;
import io.slabfs.kernel.locking.Lockdep;
import io.slabfs.kernel.locking.Mutex;
import io.slabfs.kernel.sim.BootOptions;
import io.slabfs.kernel.sim.BootSet;
import io.slabfs.kernel.sim.Kernel;
import io.slabfs.kernel.sysfs.Sysfs;
import io.slabfs.kernel.testing.KernelTest;
import io.slabfs.kernel.testing.Kernels;
import io.slabfs.kernel.testing.Sys;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** /sys/module/M/parameters through the VFS (kernel/params.c, kernel-model 5.2). */
@KernelTest
class ModuleParamTest {
  private Kernel k;

  @BeforeEach
  void boot(Kernels kernels) throws Exception {
    k = kernels.boot(BootOptions.defaults().withBootSet(BootSet.MINIMAL));
  }

  private Vfs vfs() {
    return k.vfs();
  }

  @Test
  void slabCommon_rcuMinCachedObjs_reads5_mode0444_notWritable() throws Exception {
    String p = "/module/slab_common/parameters/rcu_min_cached_objs";
    assertThat(cat(vfs(), p)).isEqualTo("5\n");
    Stat st = vfs().stat(p);
    assertThat(Integer.toOctalString(st.mode())).isEqualTo("444");
    assertThat(st.size()).isEqualTo(4096);
    assertThat(errno(() -> vfs().open(p, Vfs.O_WRONLY))).isEqualTo(Errno.EACCES);
  }

  @Test
  void golden_moduleParameterValuesAndModes_matchLiveTree() throws Exception {
    Pattern line = Pattern.compile("^\\s+/sys(/module/\\S+) \\[(\\d+)\\]: (.*)$");
    int checked = 0;
    for (String l : Sys.resource("/golden/real-sysfs-sample.txt").split("\n")) {
      Matcher m = line.matcher(l);
      if (!m.matches()) {
        continue;
      }
      String path = m.group(1);
      assertThat(cat(vfs(), path)).as(path).isEqualTo(m.group(3) + "\n");
      assertThat(Integer.toOctalString(vfs().stat(path).mode())).as(path).isEqualTo(m.group(2));
      checked++;
    }
    assertThat(checked).isEqualTo(17);
  }

  @ParameterizedTest(name = "enable_uring <- {0} -> {1}")
  @CsvSource({"Y, Y", "y, Y", "n, N", "N, N", "1, Y", "0, N", "on, Y", "off, N", "true, Y"})
  void boolParam_0644_acceptsKstrtoboolInput(String input, String shown) throws Exception {
    String p = "/module/fuse/parameters/enable_uring";
    assertThat(Integer.toOctalString(vfs().stat(p).mode())).isEqualTo("644");
    assertThat(cat(vfs(), p)).isEqualTo("N\n");
    assertThat(write(vfs(), p, input + "\n")).isEqualTo(input.length() + 1);
    assertThat(cat(vfs(), p)).isEqualTo(shown + "\n");
  }

  @Test
  void boolParam_sequence_YThenNThen1_andXRejected() throws Exception {
    String p = "/module/fuse/parameters/enable_uring";
    write(vfs(), p, "Y");
    assertThat(cat(vfs(), p)).isEqualTo("Y\n");
    write(vfs(), p, "n");
    assertThat(cat(vfs(), p)).isEqualTo("N\n");
    write(vfs(), p, "1");
    assertThat(cat(vfs(), p)).isEqualTo("Y\n");
    assertThat(errno(() -> write(vfs(), p, "x"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), p, "x\n"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), p, "2"))).isEqualTo(Errno.EINVAL);
    assertThat(cat(vfs(), p)).as("unchanged").isEqualTo("Y\n");
  }

  @ParameterizedTest(name = "verify_n_cpus <- {0} -> {1}")
  @CsvSource({
    "0x10, 16",
    "0X10, 16",
    "010, 8",
    "16, 16",
    "-5, -5",
    "+7, 7",
    "2147483647, 2147483647",
    "-2147483648, -2147483648"
  })
  void intParam_base0(String input, String shown) throws Exception {
    String p = "/module/clocksource/parameters/verify_n_cpus";
    assertThat(cat(vfs(), p)).isEqualTo("8\n");
    assertThat(write(vfs(), p, input + "\n")).isEqualTo(input.length() + 1);
    assertThat(cat(vfs(), p)).isEqualTo(shown + "\n");
  }

  @ParameterizedTest(name = "verify_n_cpus <- {0} -> {1}")
  @CsvSource({
    "2147483648, ERANGE",
    "-2147483649, ERANGE",
    "99999999999999999999, ERANGE",
    "abc, EINVAL",
    "0x, EINVAL",
    "08, EINVAL",
    "' 1', EINVAL",
    "1.5, EINVAL"
  })
  void intParam_rejects_andIsUnchanged(String input, Errno errno) throws Exception {
    String p = "/module/clocksource/parameters/verify_n_cpus";
    assertThat(errno(() -> write(vfs(), p, input))).isEqualTo(errno);
    assertThat(cat(vfs(), p)).isEqualTo("8\n");
  }

  @Test
  void uintParam_rejectsNegativeAndOverflow() throws Exception {
    String p = "/module/fuse/parameters/max_user_bgreq";
    assertThat(errno(() -> write(vfs(), p, "-1"))).isEqualTo(Errno.EINVAL);
    assertThat(errno(() -> write(vfs(), p, "4294967296"))).isEqualTo(Errno.ERANGE);
    assertThat(write(vfs(), p, "0xffffffff")).isEqualTo(10);
    assertThat(cat(vfs(), p)).isEqualTo("4294967295\n");
  }

  @Test
  void stringParam_keepsTrailingNewline() throws Exception {
    String p = "/module/firmware_class/parameters/path";
    assertThat(write(vfs(), p, "/lib/fw\n")).isEqualTo(8);
    assertThat(cat(vfs(), p)).isEqualTo("/lib/fw\n\n");
  }

  @Test
  void charpParam_keepsTrailingNewline_asParamSetCharpDoes() throws Exception {
    // param_set_charp copies the whole buffer; param_get_charp prints "%s\n"
    Dmesg dmesg = new Dmesg(() -> 0L);
    Lockdep lockdep = new Lockdep(dmesg, "6.18.0");
    KernelParam param =
        new KernelParam(
            "greeting", ParamType.parse("charp"), 0644, "hello", new Mutex(lockdep, "param_lock"));
    KernfsRoot root = new KernfsRoot(lockdep, () -> 0L);
    Sysfs sysfs = new Sysfs(root, dmesg);
    KernfsDir dir = root.createDir(root.rootDir(), "parameters", 0755);
    sysfs.createFile(dir, param, param.attribute());
    Vfs v = new Vfs(root);
    assertThat(cat(v, "/parameters/greeting")).isEqualTo("hello\n");
    assertThat(write(v, "/parameters/greeting", "abc\n")).isEqualTo(4);
    assertThat(cat(v, "/parameters/greeting")).isEqualTo("abc\n\n");
    assertThat(param.show()).isEqualTo("abc\n\n");
    assertThat(write(v, "/parameters/greeting", "x y")).isEqualTo(3);
    assertThat(cat(v, "/parameters/greeting")).isEqualTo("x y\n");
  }

  @Test
  void readOnlyParam_0444_storeIsRefusedAtOpen_andByTheParam() throws Exception {
    assertThat(errno(() -> vfs().open("/module/tcp_cubic/parameters/bic_scale", Vfs.O_WRONLY)))
        .isEqualTo(Errno.EACCES);
    Lockdep lockdep = new Lockdep(new Dmesg(() -> 0L), "6.18.0");
    KernelParam ro =
        new KernelParam("ro", ParamType.parse("int"), 0444, "1", new Mutex(lockdep, "param_lock"));
    assertThat(errno(() -> ro.store(Sys.bytes("2\0"), 1))).isEqualTo(Errno.EPERM);
    assertThat(ro.show()).isEqualTo("1\n");
  }

  @Test
  void versionFile_ofBuiltinModule() throws Exception {
    assertThat(cat(vfs(), "/module/vsock/version")).isEqualTo("1.0.2.0-k\n");
    assertThat(Integer.toOctalString(vfs().stat("/module/vsock/version").mode())).isEqualTo("444");
    assertThat(vfs().readdir("/module/vsock")).containsExactly("version");
    assertThat(vfs().readdir("/module/tcp_cubic")).containsExactly("parameters", "version");
  }
}
