package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.recipes.sft.SftRecipe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** `align4j sft` smoke: two steps change the adapter and write every artifact; bad recipes are named. */
class SftRecipeTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TinySft tiny = TinySft.write(tmp, 2);
    model = tiny.model();
    data = tiny.data();
  }

  @Test
  void twoStepsChangeTheAdapterAndWriteEverything() throws Exception {
    Path recipe = tmp.resolve("r.yaml");
    Path out = tmp.resolve("out");
    Files.writeString(recipe, "model_name_or_path: " + model + "\ndataset: " + data
        + "\nlora_rank: 4\nlora_alpha: 8\nper_device_train_batch_size: 2\nlearning_rate: 1.0e-2\nmax_steps: 5\n"
        + "eval_dataset: " + data + "\neval_steps: 1\n");
    assertThat(Align4j.execute("sft", "--config", recipe.toString(), "output_dir=" + out, "max_steps=2", "merge=true")).isZero();
    for (String f : List.of("metrics.jsonl", "loss.png", "resolved_config.json", "adapter/adapter_config.json",
        "adapter/adapter_model.safetensors", "merged/model.safetensors", "merged/tokenizer.json", "checkpoints/checkpoint-2")) {
      assertThat(out.resolve(f)).as(f).exists();
    }
    assertThat(Files.readString(out.resolve("resolved_config.json"))).contains("\"max_steps\": 2").contains("dataset_sha256");
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).anyMatch(l -> l.contains("eval_loss"));
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter/adapter_model.safetensors"))) {
      float[] b = f.toFloatArray("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
      double norm = 0;
      for (float x : b) {
        norm += x * x;
      }
      assertThat(norm).as("B moved away from its zero init").isGreaterThan(0);
    }
  }

  @Test
  void packedFullFineTuningWithNeftuneRuns() throws Exception {
    Path out = tmp.resolve("packed");
    assertThat(Align4j.execute("sft", "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out,
        "finetuning_type=full", "packing=true", "neftune_noise_alpha=5", "max_steps=2", "per_device_train_batch_size=1",
        "cutoff_len=128")).isZero();
    assertThat(out.resolve("model/model.safetensors")).exists();
    assertThat(Files.readString(out.resolve("resolved_config.json"))).contains("\"packing\": true");
  }

  @Test
  void qloraIa3AndFreezeRecipesRun() throws Exception {
    for (String[] kind : new String[][] {{"lora", "quantization_bit=4"}, {"ia3", "merge=true"}, {"freeze", "freeze_trainable_layers=1"},
        {"prompt_tuning", "num_virtual_tokens=4"}, {"p_tuning", "encoder_hidden_size=16"}, {"prefix_tuning", "num_virtual_tokens=3"}}) {
      Path out = tmp.resolve("kind-" + kind[0]);
      assertThat(Align4j.execute("sft", "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out,
          "finetuning_type=" + kind[0], kind[1], "max_steps=2", "per_device_train_batch_size=2")).as(kind[0]).isZero();
      assertThat(out.resolve(kind[0].equals("freeze") ? "model/model.safetensors" : "adapter/adapter_config.json")).exists();
    }
    assertThat(Files.readString(tmp.resolve("kind-ia3/adapter/adapter_config.json"))).contains("\"IA3\"");
    assertThat(tmp.resolve("kind-ia3/merged/model.safetensors")).exists();
  }

  @Test
  void earlyStoppingKeepsTheBestAdapter() throws Exception {
    Path out = tmp.resolve("early");
    // a learning rate so high the eval loss cannot keep improving: patience 1 must stop the run
    assertThat(Align4j.execute("sft", "model_name_or_path=" + model, "dataset=" + data, "eval_dataset=" + data,
        "output_dir=" + out, "max_steps=40", "eval_steps=1", "early_stopping_patience=1", "learning_rate=3.0",
        "per_device_train_batch_size=2")).isZero();
    List<String> evals = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("eval_loss")).toList();
    assertThat(evals.size()).isLessThan(40);
    assertThat(out.resolve("best/adapter_model.safetensors")).exists();
    long best = Long.parseLong(Files.readString(out.resolve("best/best_step.txt")).trim());
    double bestLoss = Double.MAX_VALUE;
    long bestAt = 0;
    for (String l : evals) {
      var n = new com.fasterxml.jackson.databind.ObjectMapper().readTree(l);
      if (n.get("eval_loss").asDouble() < bestLoss) {
        bestLoss = n.get("eval_loss").asDouble();
        bestAt = n.get("step").asLong();
      }
    }
    assertThat(best).isEqualTo(bestAt);
  }

  /** A copy of the tiny model whose tokenizer_config.json has no chat_template (as many base models). */
  static Path modelWithoutChatTemplate() throws Exception {
    Path dir = tmp.resolve("m-no-template");
    if (!Files.exists(dir)) {
      Files.createDirectories(dir);
      try (var files = Files.list(model)) {
        for (Path f : files.toList()) {
          Files.copy(f, dir.resolve(f.getFileName()));
        }
      }
      var json = new com.fasterxml.jackson.databind.ObjectMapper();
      var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(dir.resolve("tokenizer_config.json").toFile());
      cfg.remove("chat_template");
      Files.writeString(dir.resolve("tokenizer_config.json"), json.writeValueAsString(cfg));
    }
    return dir;
  }

  @Test
  void plainTextTrainsWithoutAChatTemplate() throws Exception {
    Path noTemplate = modelWithoutChatTemplate();
    Path text = tmp.resolve("text.jsonl");
    Files.writeString(text, "{\"text\": \"登录失败 30 次\"}\n{\"text\": \"事件类型：暴力破解；风险等级：中\"}\n");
    // formatting auto-detected (text) and explicit, LoRA via sft and full fine-tuning via pt
    for (String[] run : new String[][] {{"sft"}, {"sft", "formatting=text"}, {"pt"}}) {
      Path out = tmp.resolve("text-" + String.join("-", run).replace('=', '-'));
      List<String> args = new java.util.ArrayList<>(List.of(run));
      args.addAll(List.of("model_name_or_path=" + noTemplate, "dataset=" + text, "eval_dataset=" + text,
          "output_dir=" + out, "max_steps=2", "per_device_train_batch_size=2"));
      assertThat(Align4j.execute(args.toArray(String[]::new))).as(args.toString()).isZero();
      List<String> losses = Files.readAllLines(out.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"loss\"")).toList();
      assertThat(losses).as(args.toString()).isNotEmpty();
      for (String l : losses) {
        double loss = new com.fasterxml.jackson.databind.ObjectMapper().readTree(l).get("loss").asDouble();
        assertThat(Double.isFinite(loss) && loss > 0).as(l).isTrue();
      }
      assertThat(out.resolve(run[0].equals("pt") ? "model/model.safetensors" : "adapter/adapter_model.safetensors")).exists();
    }
  }

  @Test
  void conversationsWithoutAChatTemplateNameWhatIsMissing() throws Exception {
    Path noTemplate = modelWithoutChatTemplate();
    assertThatThrownBy(() -> dev.align4j.recipes.sft.SftRun.run(SftRecipe.load(null, List.of(
        "dataset=" + data, "model_name_or_path=" + noTemplate, "output_dir=" + tmp.resolve("conv-no-template")))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("train.jsonl:1")
        .hasMessageContaining(noTemplate.resolve("tokenizer_config.json") + " has no chat_template")
        .hasMessageContaining("template: alpaca|chatml|qwen|llama3");
    // with a built-in template the same data trains
    assertThat(Align4j.execute("sft", "model_name_or_path=" + noTemplate, "dataset=" + data, "template=chatml",
        "output_dir=" + tmp.resolve("conv-chatml"), "max_steps=1", "per_device_train_batch_size=2")).isZero();
  }

  @Test
  void badRecipesAreNamed() throws Exception {
    Path recipe = tmp.resolve("bad.yaml");
    Files.writeString(recipe, "model_name_or_path: x\ndataset: y\nlearnig_rate: 1\n");
    assertThatThrownBy(() -> SftRecipe.load(recipe, List.of())).hasMessageContaining("unknown key 'learnig_rate'");
    Files.writeString(recipe, "model_name_or_path: x\n");
    assertThatThrownBy(() -> SftRecipe.load(recipe, List.of())).hasMessageContaining("missing required key 'dataset'");
    Files.writeString(recipe, "model_name_or_path: x\ndataset: y\nmax_steps: many\n");
    assertThatThrownBy(() -> SftRecipe.load(recipe, List.of())).hasMessageContaining("max_steps must be an integer");
    Path missing = tmp.resolve("out2");
    assertThat(Align4j.execute("sft", "dataset=" + tmp.resolve("nope.jsonl"), "model_name_or_path=" + model,
        "output_dir=" + missing)).isEqualTo(1);
    Path bad = tmp.resolve("bad.jsonl");
    Files.writeString(bad, "{\"instruction\": \"a\", \"output\": \"b\"}\n{\"instruction\": 5}\n");
    assertThatThrownBy(() -> dev.align4j.recipes.sft.SftRun.run(SftRecipe.load(null, List.of(
        "dataset=" + bad, "model_name_or_path=" + model, "output_dir=" + tmp.resolve("out3")))))
        .hasMessageContaining("bad.jsonl:2");
  }
}
