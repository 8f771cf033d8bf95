package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.EarlyStopping;
import dev.align4j.peft.train.LrScheduleConfig;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingKeys;
import dev.align4j.recipes.sft.FinetuningType;
import dev.align4j.recipes.sft.Formatting;
import dev.align4j.recipes.sft.SftRecipe;
import dev.align4j.recipes.sft.SftRun;
import dev.align4j.sft.BuiltinTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The SFT recipe's keys: typed values, the defaults of before, errors before any data, the README table. */
class RecipeKeysTest {
  @Test
  void theReadmeTableIsTheGeneratedOne() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String begin = "<!-- recipe-keys:begin -->\n";
    int a = readme.indexOf(begin);
    int b = readme.indexOf("<!-- recipe-keys:end -->");
    assertThat(a).as("README markers").isGreaterThanOrEqualTo(0);
    assertThat(readme.substring(a + begin.length(), b))
        .as("README recipe-key table: regenerate with `./align4j sft --keys`")
        .isEqualTo(SftRecipe.SCHEMA.markdownTable());
  }

  @Test
  void defaultsAreThoseOfBefore() throws Exception {
    SftRecipe r = SftRecipe.load(null, List.of("model_name_or_path=m", "dataset=d"));
    assertThat(r.finetuningType()).isEqualTo(FinetuningType.LORA);
    assertThat(r.loraRank()).isEqualTo(8);
    assertThat(r.loraAlpha()).isEqualTo(16.0);
    assertThat(r.loraTarget()).isEqualTo("all");
    assertThat(r.formatting()).isEqualTo(Formatting.AUTO);
    assertThat(r.cutoffLen()).isEqualTo(1024);
    assertThat(r.batchSize()).isEqualTo(4);
    assertThat(r.gradientAccumulationSteps()).isEqualTo(1);
    assertThat(r.learningRate()).isEqualTo(1e-4);
    assertThat(r.lrSchedulerType()).isEqualTo(ScheduleType.COSINE);
    assertThat(r.maxSteps()).isEqualTo(100);
    assertThat(r.maxGradNorm()).isEqualTo(1.0);
    assertThat(r.seed()).isEqualTo(42);
    assertThat(r.outputDir()).isEqualTo("runs/sft");
    assertThat(r.precision()).isEqualTo(Precision.FLOAT32);
    assertThat(r.attention()).isEqualTo(AttentionImpl.COMPOSED);
    assertThat(r.template()).isEmpty();
    assertThat(r.doubleQuantization()).isTrue();
    assertThat(r.freezeTrainableLayers()).isEqualTo(2);
    assertThat(r.numVirtualTokens()).isEqualTo(20);
    assertThat(r.encoderHiddenSize()).isEqualTo(128);
    assertThat(r.allowConfigChange()).isFalse();
  }

  @Test
  void theEngineKeysBuildTheTrainerConfigAsBefore() throws Exception {
    SftRecipe r = SftRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "max_steps=7",
        "per_device_train_batch_size=3", "gradient_accumulation_steps=2", "max_grad_norm=0.5", "weight_decay=0.01",
        "save_steps=5", "seed=9", "gradient_checkpointing=true", "lr_scheduler_type=linear", "learning_rate=3e-4",
        "warmup_steps=2", "early_stopping_patience=3", "early_stopping_threshold=0.1"));
    // what SftRun built by hand before the keys described themselves
    assertThat(TrainingKeys.trainerConfig(SftRecipe.SCHEMA, r, 11)).isEqualTo(
        new TrainerConfig(7, 3, 2, 0.5, 0.9, 0.999, 1e-8, 0.01, 5, 2, 9, 11, true));
    assertThat(TrainingKeys.schedule(SftRecipe.SCHEMA, r))
        .isEqualTo(LrScheduleConfig.of(ScheduleType.LINEAR, 3e-4, 2, 7));
    assertThat(TrainingKeys.earlyStopping(SftRecipe.SCHEMA, r))
        .isEqualTo(new EarlyStopping(3, 0.1));
  }

  @Test
  void valuesAreTypedAndReadCaseInsensitively() throws Exception {
    SftRecipe r = SftRecipe.load(null, List.of("model_name_or_path=m", "dataset=d", "attention=FUSED", "precision=bf16",
        "lr_scheduler_type=Linear", "finetuning_type=p_tuning", "template=chatml", "formatting=sharegpt"));
    assertThat(r.attention()).isEqualTo(AttentionImpl.FUSED);
    assertThat(r.precision()).isEqualTo(Precision.BFLOAT16);
    assertThat(r.lrSchedulerType()).isEqualTo(ScheduleType.LINEAR);
    assertThat(r.finetuningType()).isEqualTo(FinetuningType.P_TUNING);
    assertThat(r.template()).isEqualTo(Optional.of(BuiltinTemplate.CHATML));
    assertThat(r.formatting()).isEqualTo(Formatting.SHAREGPT);
    assertThat(SftRecipe.from(r.toJson(), "resolved")).isEqualTo(r);
  }

  @Test
  void unknownValuesListTheValidOnesBeforeAnyDataIsRead() {
    // the dataset and model do not exist: the recipe error must come first
    assertThatThrownBy(() -> Align4jRun.sft("finetuning_type=qlora"))
        .hasMessageContaining("finetuning_type must be one of lora, ia3, prompt_tuning, p_tuning, prefix_tuning, freeze, full, got 'qlora'");
    assertThatThrownBy(() -> Align4jRun.sft("lr_scheduler_type=cosine_annealing"))
        .hasMessageContaining("must be one of constant, constant_with_warmup, linear, cosine");
    assertThatThrownBy(() -> Align4jRun.sft("template=vicuna"))
        .hasMessageContaining("template must be empty (the tokenizer's own chat template) or one of alpaca, chatml, qwen, llama3");
    assertThatThrownBy(() -> Align4jRun.sft("formatting=csv"))
        .hasMessageContaining("formatting must be one of auto, alpaca, sharegpt, openai, text");
    assertThatThrownBy(() -> Align4jRun.sft("precision=half")).hasMessageContaining("precision must be one of float32, float64, bfloat16");
    assertThatThrownBy(() -> Align4jRun.sft("lora_rnak=4")).hasMessageContaining("unknown key 'lora_rnak' (did you mean 'lora_rank'?)")
        .hasMessageContaining("lora_rank, lora_alpha");
    assertThatThrownBy(() -> Align4jRun.sft("quantization_bit=8")).hasMessageContaining("quantization_bit must be 0 or 4");
    assertThatThrownBy(() -> Align4jRun.sft("quantization_bit=4", "finetuning_type=ia3"))
        .hasMessageContaining("quantization_bit 4 needs finetuning_type lora");
  }

  /** Runs the recipe on paths that do not exist. */
  private static final class Align4jRun {
    static void sft(String... extra) throws Exception {
      List<String> ov = new ArrayList<>(List.of("model_name_or_path=/nonexistent/model", "dataset=/nonexistent/d.jsonl",
          "output_dir=/nonexistent/out"));
      ov.addAll(List.of(extra));
      SftRun.run(SftRecipe.load(null, ov));
    }
  }
}
