package io.slabfs.kernel.era;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every behaviour switch of an era is its own field, and {@code switches()} lists each one. */
class KernelEraTest {
  @ParameterizedTest
  @EnumSource(KernelEra.class)
  void switches_listEverySwitchFieldOnce(KernelEra era) throws IllegalAccessException {
    List<Enum<?>> fields = new ArrayList<>();
    for (Field f : KernelEra.class.getDeclaredFields()) {
      if (!Modifier.isStatic(f.getModifiers()) && f.getType().isEnum()) {
        f.setAccessible(true);
        fields.add((Enum<?>) f.get(era));
      }
    }
    assertThat(fields).isNotEmpty();
    assertThat(era.switches()).containsExactlyElementsOf(fields);
  }

  @ParameterizedTest
  @EnumSource(KernelEra.class)
  void switchKeys_areDistinctSnakeCase(KernelEra era) {
    Set<String> keys = new HashSet<>();
    for (Enum<?> s : era.switches()) {
      String key = KernelEra.key(s);
      assertThat(key).matches("[a-z]+(_[a-z]+)*");
      assertThat(keys.add(key)).as("duplicate key %s", key).isTrue();
    }
  }
}
