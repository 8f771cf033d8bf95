package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A rerun into an output_dir with other hyper-parameters is refused, or recorded when explicitly allowed. */
class ResumeConfigTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TinySft tiny = TinySft.write(tmp, 1);
    model = tiny.model();
    data = tiny.data();
  }

  /** Exit code and stderr of {@code align4j sft} with the base recipe plus {@code extra}. */
  private static String[] sft(Path out, String... extra) {
    List<String> args = new ArrayList<>(List.of("sft", "--device", "cpu", "model_name_or_path=" + model, "dataset=" + data,
        "output_dir=" + out, "lora_rank=2", "per_device_train_batch_size=2", "learning_rate=1.0e-2"));
    args.addAll(List.of(extra));
    CliRun r = CliRun.of(args);
    return new String[] {"" + r.rc(), r.err()};
  }

  private static JsonNode resolved(Path out) throws Exception {
    return new ObjectMapper().readTree(out.resolve("resolved_config.json").toFile());
  }

  @Test
  void changedHyperParametersAreRefusedUnlessAllowedAndThenRecorded() throws Exception {
    Path out = tmp.resolve("run");
    String[] first = sft(out, "max_steps=2");
    assertThat(first[0]).isEqualTo("0");
    // no terminal here: progress comes as plain lines, never carriage-return redraws
    assertThat(first[1]).contains("sft step 2/2 (100%)  loss ").doesNotContain("\r");
    byte[] adapter = Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"));

    // another learning rate and LoRA dropout into the same directory: refused, naming both, nothing touched
    String[] refused = sft(out, "max_steps=3", "learning_rate=5.0e-3", "lora_dropout=0.1");
    assertThat(refused[0]).isEqualTo("1");
    assertThat(refused[1]).contains("resolved_config.json: the run in this output_dir (resumable at step 2) used other values: "
        + "lora_dropout 0.0 -> 0.1, learning_rate 0.01 -> 0.005").contains("allow_config_change=true");
    assertThat(resolved(out).get("learning_rate").asDouble()).isEqualTo(1e-2);
    assertThat(resolved(out).get("max_steps").asLong()).isEqualTo(2);
    assertThat(Files.readAllBytes(out.resolve("adapter/adapter_model.safetensors"))).isEqualTo(adapter);

    // a longer run with another checkpoint cadence is the same run
    assertThat(sft(out, "max_steps=3", "save_steps=1")[0]).isEqualTo("0");
    assertThat(resolved(out).get("max_steps").asLong()).isEqualTo(3);
    assertThat(resolved(out).at("/provenance/config_changes").isMissingNode()).isTrue();

    // explicitly allowed: resumes, and the provenance says what changed and from which step
    assertThat(sft(out, "max_steps=4", "learning_rate=5.0e-3", "allow_config_change=true")[0]).isEqualTo("0");
    JsonNode r = resolved(out);
    assertThat(r.get("learning_rate").asDouble()).isEqualTo(5e-3);
    JsonNode change = r.at("/provenance/config_changes/0");
    assertThat(change.get("resumed_at_step").asLong()).isEqualTo(3);
    assertThat(change.at("/changed/learning_rate/from").asDouble()).isEqualTo(1e-2);
    assertThat(change.at("/changed/learning_rate/to").asDouble()).isEqualTo(5e-3);
    assertThat(out.resolve("checkpoints/checkpoint-4")).exists();

    // what decides which examples each step reads cannot change even when allowed
    String[] fixed = sft(out, "max_steps=5", "learning_rate=5.0e-3", "per_device_train_batch_size=1", "allow_config_change=true");
    assertThat(fixed[0]).isEqualTo("1");
    assertThat(fixed[1]).contains("impossible even with allow_config_change").contains("per_device_train_batch_size 2 -> 1");
  }

  @Test
  void aChangedDatasetContentIsAChangeToo() throws Exception {
    Path out = tmp.resolve("data-changed");
    Path own = tmp.resolve("own.jsonl");
    Files.copy(data, own);
    List<String> base = List.of("dataset=" + own, "max_steps=1");
    assertThat(sft(out, base.toArray(String[]::new))[0]).isEqualTo("0");
    Files.writeString(own, Files.readString(own).replace("暴力破解", "端口扫描"));
    String[] r = sft(out, "dataset=" + own, "max_steps=2");
    assertThat(r[0]).isEqualTo("1");
    assertThat(r[1]).contains("dataset_sha256");
  }
}
