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
}
