package io.slabfs.kernel.module;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.slabfs.kernel.errno.Errno;
import io.slabfs.kernel.errno.ErrnoException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** kernel/params.c ops one by one, where they differ from the plain integer and bool ops. */
class ParamTypeTest {
  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** param_ops_bint: param_set_bool into an int, shown by param_get_int. */
  @ParameterizedTest
  @CsvSource({"y, 1", "Y, 1", "1, 1", "on, 1", "n, 0", "0, 0", "off, 0"})
  void bint_isSetAsABool_andShownAsAnInt(String input, String shown) throws Exception {
    ParamType bint = ParamType.parse("bint");
    assertThat(bint.get(bint.set(b(input)))).isEqualTo(shown + "\n");
  }

  /** param_get_hexint: "%#08x": the 0x counts in the width, and 0 has no prefix. */
  @ParameterizedTest
  @CsvSource({"0, 00000000", "16, 0x000010", "0x1234567, 0x1234567", "0xdeadbeef, 0xdeadbeef"})
  void hexint_printsAsTheKernelsVsnprintf(String input, String shown) throws Exception {
    ParamType hex = ParamType.parse("hexint");
    assertThat(hex.get(hex.set(b(input)))).isEqualTo(shown + "\n");
  }

  /** param_array(): each element is set in place, so a failing one leaves those before it. */
  @Test
  void array_failingElement_leavesTheElementsBeforeItStored() throws Exception {
    ParamType ports = ParamType.parse("array:ushort");
    List<String> stored = new ArrayList<>();
    assertThatThrownBy(() -> ports.set(b("7,99999,9"), "1,2,3", stored::add))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ERANGE));
    assertThat(stored).last().isEqualTo("7,2,3");
    assertThat(ports.get(stored.get(stored.size() - 1))).isEqualTo("7,2,3\n");
  }

  @Test
  void array_tooManyElements_isEinval_andStoresNothing() {
    ParamType ports = ParamType.parse("array:ushort");
    List<String> stored = new ArrayList<>();
    assertThatThrownBy(() -> ports.set(b("1,2,3,4"), "1,2,3", stored::add))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
    assertThat(stored).isEmpty();
  }

  /** pcie_aspm_get_policy: every policy, the current one in brackets, each with a space. */
  @Test
  void aspmPolicy_showsAllPolicies_andTakesOneWithItsNewline() throws Exception {
    ParamType policy = ParamType.parse("aspm_policy");
    String v = policy.set(b("default"));
    assertThat(policy.get(v)).isEqualTo("[default] performance powersave powersupersave \n");
    v = policy.set(b("powersave\n"));
    assertThat(policy.get(v)).isEqualTo("default performance [powersave] powersupersave \n");
    assertThatThrownBy(() -> policy.set(b("power")))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
  }

  /** wq_affn_dfl_set: strncasecmp over each name's length; "default" is refused. */
  @ParameterizedTest
  @CsvSource({"cache, cache", "CPU, cpu", "numa, numa", "systemd, system", "smtx, smt"})
  void affinityScope_takesACaseInsensitivePrefixMatch(String input, String shown) throws Exception {
    ParamType scope = ParamType.parse("wq_affn_scope");
    assertThat(scope.get(scope.set(b(input + "\n")))).isEqualTo(shown + "\n");
  }

  @ParameterizedTest
  @CsvSource({"default", "DEFAULT", "core", "''"})
  void affinityScope_refusesDefaultAndUnknownNames(String input) {
    ParamType scope = ParamType.parse("wq_affn_scope");
    assertThatThrownBy(() -> scope.set(b(input)))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
  }

  /** __zswap_param_set: strstrip, then crypto_has_acomp or ENOENT. */
  @Test
  void zswapCompressor_isStripped_andAnUnknownAlgorithmIsEnoent() throws Exception {
    ParamType c = ParamType.parse("zswap_compressor");
    assertThat(c.get(c.set(b("  deflate\n")))).isEqualTo("deflate\n");
    assertThatThrownBy(() -> c.set(b("zstd-fast")))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.ENOENT));
  }

  @Test
  void onlinePolicy_showsTheName() throws Exception {
    ParamType p = ParamType.parse("online_policy");
    assertThat(p.get(p.set(b("auto-movable\n")))).isEqualTo("auto-movable\n");
    assertThatThrownBy(() -> p.set(b("auto")))
        .isInstanceOfSatisfying(
            ErrnoException.class, e -> assertThat(e.errno()).isEqualTo(Errno.EINVAL));
  }
}
