package dev.align4j.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The layout is the picture: {@code peft} stands alone; each stage stands on {@code peft} only
 * ({@code rl} and {@code dpo} may also use {@code reward}); {@code recipes} sits on top.
 */
class LayeringTest {
  private static JavaClasses classes;

  @BeforeAll
  static void load() {
    classes = new ClassFileImporter()
        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
        .importPackages("dev.align4j");
  }

  @Test
  void peftImportsNoStage() {
    noClasses().that().resideInAPackage("dev.align4j.peft..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.align4j.sft..", "dev.align4j.reward..", "dev.align4j.rl..", "dev.align4j.dpo..",
            "dev.align4j.recipes..")
        .check(classes);
  }

  @Test
  void sftStandsOnPeftOnly() {
    noClasses().that().resideInAPackage("dev.align4j.sft..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.align4j.reward..", "dev.align4j.rl..", "dev.align4j.dpo..", "dev.align4j.recipes..")
        .check(classes);
  }

  @Test
  void rewardStandsOnPeftOnly() {
    noClasses().that().resideInAPackage("dev.align4j.reward..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.align4j.sft..", "dev.align4j.rl..", "dev.align4j.dpo..", "dev.align4j.recipes..")
        .check(classes);
  }

  @Test
  void rlStandsOnPeftAndReward() {
    noClasses().that().resideInAPackage("dev.align4j.rl..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.align4j.sft..", "dev.align4j.dpo..", "dev.align4j.recipes..")
        .check(classes);
  }

  @Test
  void dpoStandsOnPeftAndReward() {
    noClasses().that().resideInAPackage("dev.align4j.dpo..")
        .should().dependOnClassesThat().resideInAnyPackage(
            "dev.align4j.sft..", "dev.align4j.rl..", "dev.align4j.recipes..")
        .check(classes);
  }
}
