package dev.align4j.recipes.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny pipeline data -> base -> sft -> rm -> dpo -> grpo -> eval, run end to end in this JVM: each
 * stage reads the previous stages' outputs; a rerun skips every stage and writes the same report; a
 * run that died inside DPO after its step-2 checkpoint resumes there and ends with the same weights
 * and evaluation as the uninterrupted run, bit for bit; a changed key of a finished stage is refused
 * before anything runs.
 */
class PipelineRunTest {
  @TempDir Path tmp;

  static final String PIPELINE = """
      output_dir: OUT
      seed: 7
      stages:
        - name: data
          kind: incident_data
          overrides: {examples: 60, val_size: 6, pairs: 16, pairs_heldout: 6, rm_pairs: 12, rm_risk_weight: 4}
        - name: base
          kind: char_model
          overrides: {datasets: "${data.train},${data.val}", hidden_size: 32, intermediate_size: 64, num_layers: 1,
                      num_heads: 2, num_kv_heads: 1, head_dim: 16}
        - name: sft
          kind: sft
          recipe: recipes/demo_sft.yaml
          overrides: {model_name_or_path: "${base.model}", dataset: "${data.train}", eval_dataset: "", max_steps: 3,
                      per_device_train_batch_size: 4, lora_rank: 4, lora_alpha: 8, warmup_steps: 0, eval_steps: 0}
        - name: rm
          kind: rm
          recipe: recipes/demo_rm.yaml
          overrides: {model_name_or_path: "${base.model}", adapter_name_or_path: "${sft.adapter}",
                      dataset: "${data.pairs_rm}", eval_dataset: "${data.pairs_val}",
                      max_steps: 2, per_device_train_batch_size: 4, lora_rank: 4, lora_alpha: 8, warmup_steps: 0,
                      eval_steps: 0}
        - name: dpo
          kind: dpo
          recipe: recipes/demo_dpo.yaml
          overrides: {model_name_or_path: "${base.model}", adapter_name_or_path: "${sft.adapter}",
                      dataset: "${data.pairs_train}", eval_dataset: "", max_steps: 4, save_steps: 2, eval_steps: 0,
                      per_device_train_batch_size: 4, warmup_steps: 0}
        - name: grpo
          kind: grpo
          recipe: recipes/grpo_incident.yaml
          overrides: {model_name_or_path: "${base.model}", adapter_name_or_path: "${dpo.adapter}",
                      dataset: "${data.train}", eval_dataset: "", max_steps: 2, save_steps: 0, prompts_per_rollout: 2,
                      num_generations: 2, max_completion_length: 6, per_device_train_batch_size: 4, num_mini_batches: 1}
        - name: eval
          kind: eval
          overrides:
            model_name_or_path: "${base.model}"
            dataset: "${data.val}"
            reference: "${sft.adapter}"
            reward_model: "${rm.adapter}"
            reward_pairs: "${data.pairs_val}"
            max_new_tokens: 6
            samples_per_prompt: 2
            policies: {base: "", sft: "${sft.adapter}", dpo: "${dpo.adapter}", grpo: "${grpo.adapter}"}
      """;

  private PipelineRecipe recipe(Path out, List<String> overrides) throws IOException {
    Path yaml = tmp.resolve("pipeline.yaml");
    Files.writeString(yaml, PIPELINE.replace("OUT", out.toString()));
    return PipelineRecipe.load(yaml, overrides);
  }

  @Test
  void runsFeedsForwardSkipsResumesAndRefusesChanges() throws IOException {
    Path out = tmp.resolve("run");
    PipelineRun.Result first = PipelineRun.run(recipe(out, List.of()), Device.cpu());
    assertThat(first.stopped()).isFalse();
    assertThat(first.ran()).containsExactly("data", "base", "sft", "rm", "dpo", "grpo", "eval");

    // outputs fed forward: each stage's resolved config names the earlier stages' outputs
    ObjectMapper json = new ObjectMapper();
    JsonNode dpo = json.readTree(out.resolve("dpo/resolved_config.json").toFile());
    assertThat(dpo.get("adapter_name_or_path").asText()).isEqualTo(out.resolve("sft/adapter").toString());
    assertThat(dpo.get("model_name_or_path").asText()).isEqualTo(out.resolve("base").toString());
    assertThat(dpo.get("dataset").asText()).isEqualTo(out.resolve("data/pairs_train.jsonl").toString());
    assertThat(dpo.get("seed").asLong()).isEqualTo(7);
    // the reward model starts from the SFT adapter, on the data stage's reward-model pairs (alerts new to the
    // training and held-out pairs)
    JsonNode rm = json.readTree(out.resolve("rm/resolved_config.json").toFile());
    assertThat(rm.get("adapter_name_or_path").asText()).isEqualTo(out.resolve("sft/adapter").toString());
    assertThat(rm.get("dataset").asText()).isEqualTo(out.resolve("data/pairs_rm.jsonl").toString());
    List<String> rmAlerts = new ArrayList<>();
    for (String line : Files.readAllLines(out.resolve("data/pairs_rm.jsonl"))) {
      rmAlerts.add(json.readTree(line).get("prompt").toString());
    }
    assertThat(rmAlerts).hasSize(12).doesNotHaveDuplicates();
    for (String f : List.of("data/pairs_train.jsonl", "data/pairs_val.jsonl")) {
      for (String line : Files.readAllLines(out.resolve(f))) {
        assertThat(rmAlerts).as(f).doesNotContain(json.readTree(line).get("prompt").toString());
      }
    }
    JsonNode grpo = json.readTree(out.resolve("grpo/resolved_config.json").toFile());
    assertThat(grpo.get("adapter_name_or_path").asText()).isEqualTo(out.resolve("dpo/adapter").toString());
    for (String f : List.of("sft/adapter/adapter_model.safetensors", "rm/adapter/adapter_model.safetensors",
        "dpo/adapter/adapter_model.safetensors", "grpo/adapter/adapter_model.safetensors", "eval/eval.json",
        "stages/eval.json", "report.md", "report.json")) {
      assertThat(out.resolve(f)).exists();
    }
    StageMarker eval = first.stage("eval").orElseThrow();
    // the SFT adapter is the reference: its KL to (a second copy of) itself is exactly 0; the base's is not
    assertThat(eval.metrics().get("sft/kl")).isZero();
    assertThat(eval.metrics().get("base/kl")).isNotZero();
    assertThat(eval.metrics()).containsKeys("rm/pair_accuracy", "grpo/judge", "grpo/rm_score", "dpo/risk_level",
        "grpo/sampled_judge", "grpo/sampled_risk_level");
    String report = Files.readString(out.resolve("report.md"));
    assertThat(report).contains("| grpo |", "judge score (greedy)", "judge score (sampled, T 1)", "KL to reference");

    // a rerun skips every finished stage and writes the same report
    byte[] md = Files.readAllBytes(out.resolve("report.md"));
    byte[] rj = Files.readAllBytes(out.resolve("report.json"));
    PipelineRun.Result again = PipelineRun.run(recipe(out, List.of()), Device.cpu());
    assertThat(again.ran()).isEmpty();
    assertThat(out.resolve("report.md")).hasBinaryContent(md);
    assertThat(out.resolve("report.json")).hasBinaryContent(rj);

    // a changed key of a finished stage is refused by name, before anything runs
    assertThatThrownBy(() -> PipelineRun.run(recipe(out, List.of("sft.learning_rate=1.0e-3")), Device.cpu()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stage 'sft'").hasMessageContaining("changed: learning_rate: 0.003 -> 0.001. Restore");
    assertThat(out.resolve("report.md")).hasBinaryContent(md);

    // a finished stage after an unfinished one is refused: its outputs would be stale
    byte[] rmMarker = Files.readAllBytes(out.resolve("stages/rm.json"));
    Files.delete(out.resolve("stages/rm.json"));
    assertThatThrownBy(() -> PipelineRun.run(recipe(out, List.of()), Device.cpu()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("stage 'dpo' finished, but the earlier stage 'rm' has not");
    Files.write(out.resolve("stages/rm.json"), rmMarker);

    // the state a kill inside DPO after its step-2 checkpoint leaves: DPO's checkpoint-2 and no later
    // work (no checkpoint-4, adapter, marker; the stages after it never started)
    byte[] dpoAdapter = Files.readAllBytes(out.resolve("dpo/adapter/adapter_model.safetensors"));
    byte[] grpoAdapter = Files.readAllBytes(out.resolve("grpo/adapter/adapter_model.safetensors"));
    byte[] evalJson = Files.readAllBytes(out.resolve("eval/eval.json"));
    assertThat(out.resolve("dpo/checkpoints/checkpoint-2")).exists();
    for (String p : List.of("dpo/checkpoints/checkpoint-4", "dpo/adapter", "grpo", "eval", "stages/dpo.json",
        "stages/grpo.json", "stages/eval.json", "report.md", "report.json")) {
      delete(out.resolve(p));
    }
    PipelineRun.Result resumed = PipelineRun.run(recipe(out, List.of()), Device.cpu());
    assertThat(resumed.ran()).containsExactly("dpo", "grpo", "eval");
    assertThat(out.resolve("dpo/adapter/adapter_model.safetensors")).hasBinaryContent(dpoAdapter);
    assertThat(out.resolve("grpo/adapter/adapter_model.safetensors")).hasBinaryContent(grpoAdapter);
    assertThat(out.resolve("eval/eval.json")).hasBinaryContent(evalJson);
    assertThat(resumed.stage("eval").orElseThrow().metrics()).isEqualTo(eval.metrics());
    // DPO resumed at step 3: its metrics log holds steps 1..4 once each
    assertThat(Files.readAllLines(out.resolve("dpo/metrics.jsonl")).stream()
        .filter(l -> l.contains("\"step\"") && !l.contains("eval_")).count()).isEqualTo(4);
  }

  private static void delete(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
