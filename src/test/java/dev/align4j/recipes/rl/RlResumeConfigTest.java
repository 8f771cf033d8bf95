package dev.align4j.recipes.rl;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.recipes.CliRun;
import dev.align4j.recipes.TinyIncident;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An RL rerun into an output_dir whose checkpoint was made with other hyper-parameters is refused as
 * SFT/DPO/RM reruns are (the engine's rule: max_steps, save_steps and eval_steps may change), or
 * resumed and recorded with {@code allow_config_change=true}, except for the keys a checkpoint fixes
 * and the algorithm itself.
 */
class RlResumeConfigTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TinyIncident task = TinyIncident.write(tmp, 6, 5, 1);
    model = task.model();
    data = task.data();
  }

  /** Exit code and stderr of {@code align4j <cmd>} with a small recipe plus {@code extra}. */
  private static String[] rl(String cmd, Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of(cmd, "--device", "cpu", "model_name_or_path=" + model, "dataset=" + data,
        "output_dir=" + out, "reward=incident_judge", "max_completion_length=4", "prompts_per_rollout=2",
        "num_generations=2", "per_device_train_batch_size=4", "lora_rank=2", "lora_alpha=4", "learning_rate=1.0e-2"));
    args.addAll(List.of(extra));
    CliRun r = CliRun.of(args);
    return new String[] {"" + r.rc(), r.err()};
  }

  private static JsonNode resolved(Path out) throws Exception {
    return new ObjectMapper().readTree(out.resolve("resolved_config.json").toFile());
  }

  @Test
  void changedRlKeysAreRefusedUnlessAllowedAndThenRecorded() throws Exception {
    Path out = tmp.resolve("run");
    assertThat(rl("grpo", out, "max_steps=2", "save_steps=1")[0]).isEqualTo("0");
    assertThat(resolved(out).at("/provenance/algorithm").asText()).isEqualTo("grpo");
    assertThat(resolved(out).at("/provenance/dataset_sha256").asText()).hasSize(64);
    byte[] adapter = Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"));
    List<String> metrics = Files.readAllLines(out.resolve("metrics.jsonl"));

    // another learning rate and KL coefficient: refused, naming both, nothing touched
    String[] refused = rl("grpo", out, "max_steps=3", "learning_rate=5.0e-3", "beta=0.1");
    assertThat(refused[0]).isEqualTo("1");
    assertThat(refused[1]).contains("resolved_config.json: the run in this output_dir (resumable at step 2) used other values: ")
        .contains("beta 0.0 -> 0.1").contains("learning_rate 0.01 -> 0.005").contains("allow_config_change=true");
    assertThat(resolved(out).get("learning_rate").asDouble()).isEqualTo(1e-2);
    assertThat(resolved(out).get("max_steps").asLong()).isEqualTo(2);
    assertThat(Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"))).isEqualTo(adapter);
    assertThat(Files.readAllLines(out.resolve("metrics.jsonl"))).isEqualTo(metrics);

    // a longer run with another checkpoint and evaluation cadence is the same run
    assertThat(rl("grpo", out, "max_steps=3", "save_steps=2", "eval_steps=5")[0]).isEqualTo("0");
    assertThat(resolved(out).get("max_steps").asLong()).isEqualTo(3);
    assertThat(resolved(out).at("/provenance/config_changes").isMissingNode()).isTrue();

    // explicitly allowed: resumes, and the provenance says what changed and from which step
    assertThat(rl("grpo", out, "max_steps=4", "save_steps=2", "eval_steps=5", "temperature=0.7",
        "allow_config_change=true")[0]).isEqualTo("0");
    JsonNode r = resolved(out);
    assertThat(r.get("temperature").asDouble()).isEqualTo(0.7);
    JsonNode change = r.at("/provenance/config_changes/0");
    assertThat(change.get("resumed_at_step").asLong()).isEqualTo(3);
    assertThat(change.at("/changed/temperature/from").asDouble()).isEqualTo(1.0);
    assertThat(change.at("/changed/temperature/to").asDouble()).isEqualTo(0.7);
    assertThat(out.resolve("checkpoints/checkpoint-4")).exists();

    // what fixes how each update is formed cannot change even when allowed
    String[] fixed = rl("grpo", out, "max_steps=5", "temperature=0.7", "per_device_train_batch_size=2",
        "allow_config_change=true");
    assertThat(fixed[0]).isEqualTo("1");
    assertThat(fixed[1]).contains("impossible even with allow_config_change").contains("per_device_train_batch_size 4 -> 2");
    // nor the prompts per rollout: the resumed rollout count would point elsewhere in the prompt order
    String[] prompts = rl("grpo", out, "max_steps=5", "temperature=0.7", "prompts_per_rollout=1",
        "allow_config_change=true");
    assertThat(prompts[0]).isEqualTo("1");
    assertThat(prompts[1]).contains("impossible even with allow_config_change").contains("prompts_per_rollout 2 -> 1");

    // nor the algorithm: an RLOO run does not continue a GRPO checkpoint
    String[] other = rl("rloo", out, "max_steps=5", "temperature=0.7", "allow_config_change=true");
    assertThat(other[0]).isEqualTo("1");
    assertThat(other[1]).contains("is an align4j grpo run; align4j rloo cannot resume it");
    assertThat(resolved(out).at("/provenance/algorithm").asText()).isEqualTo("grpo");
  }
}
