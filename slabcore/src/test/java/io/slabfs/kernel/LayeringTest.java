package io.slabfs.kernel;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The model's packages depend downward only, in kernel layering order; and the model knows nothing
 * of FUSE.
 */
class LayeringTest {
  private static final String BASE = "io.slabfs.kernel.";

  /** Bottom first; packages on one level may use each other. */
  private static final List<List<String>> LEVELS =
      List.of(
          List.of("errno", "debug", "era"),
          List.of("locking"),
          List.of("kernfs"),
          List.of("sysfs"),
          List.of("kobject"),
          List.of("cpu"),
          List.of("slab"),
          List.of("module"),
          List.of("sim"),
          List.of("explore"));

  private static JavaClasses classes;

  @BeforeAll
  static void importModel() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
            .importPackages("io.slabfs.kernel");
  }

  static Stream<Arguments> levels() {
    List<Arguments> out = new ArrayList<>();
    for (int i = 0; i < LEVELS.size() - 1; i++) {
      List<String> higher = new ArrayList<>();
      for (int j = i + 1; j < LEVELS.size(); j++) {
        for (String p : LEVELS.get(j)) {
          higher.add(BASE + p + "..");
        }
      }
      for (String p : LEVELS.get(i)) {
        out.add(Arguments.of(p, higher));
      }
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} depends on no higher layer")
  @MethodSource("levels")
  void lowerPackage_neverDependsOnHigherOne(String pkg, List<String> higher) {
    noClasses()
        .that()
        .resideInAPackage(BASE + pkg + "..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(higher.toArray(String[]::new))
        .because("kernel layers depend downward only")
        .check(classes);
  }

  @Test
  void everyModelPackage_isInALevel() {
    List<String> known = LEVELS.stream().flatMap(List::stream).map(p -> BASE + p).toList();
    classes.stream()
        .map(c -> c.getPackageName())
        .filter(p -> p.startsWith(BASE))
        .forEach(
            p ->
                assertThat(known)
                    .as("package %s has no layer", p)
                    .anyMatch(k -> p.equals(k) || p.startsWith(k + ".")));
  }

  @Test
  void model_neverDependsOnFuseOrJnr() {
    noClasses()
        .that()
        .resideInAPackage("io.slabfs.kernel..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("jnr..", "ru.serce..")
        .check(classes);
  }
}
