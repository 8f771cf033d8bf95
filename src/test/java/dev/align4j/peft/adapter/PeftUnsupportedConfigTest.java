package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A PEFT config value align4j does not implement is an error naming the key, never ignored: each case
 * edits one key of an adapter PEFT made (src/test/resources/peft/in) and loads it.
 */
class PeftUnsupportedConfigTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private void refused(String golden, Consumer<ObjectNode> edit, String... messageParts) throws IOException {
    Path dir = tmp.resolve(golden + "-" + System.nanoTime());
    Files.createDirectories(dir);
    Path src = PeftGoldensTest.DIR.resolve(golden);
    Files.copy(src.resolve(PeftAdapterFiles.WEIGHTS), dir.resolve(PeftAdapterFiles.WEIGHTS));
    ObjectNode c = (ObjectNode) JSON.readTree(src.resolve(PeftAdapterFiles.CONFIG).toFile());
    edit.accept(c);
    Files.writeString(dir.resolve(PeftAdapterFiles.CONFIG), c.toPrettyString());
    String base = PeftGoldensTest.expected(golden).get("base").asText();
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(PeftGoldensTest.DIR.resolve(base), Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      var t = assertThatThrownBy(() -> PeftAdapters.apply(pm.model(), Map.of("default", dir), null))
          .isInstanceOfAny(CheckpointFormatException.class, IllegalArgumentException.class);
      for (String part : messageParts) {
        t.hasMessageContaining(part);
      }
    }
  }

  @Test
  void loraValuesThatChangeTheMath() throws IOException {
    refused("lora_names", c -> c.put("lora_bias", true), "lora_bias=true");
    refused("lora_names", c -> c.put("bias", "all"), "bias=\"all\"");
    refused("lora_names", c -> c.put("bias", "lora_only"), "bias=\"lora_only\"");
    refused("lora_names", c -> c.put("fan_in_fan_out", true), "fan_in_fan_out=true");
    refused("lora_names", c -> c.putArray("layer_replication").addArray().add(0).add(2), "layer_replication");
    refused("lora_names", c -> c.putObject("megatron_config").put("tensor_model_parallel_size", 2), "megatron_config");
    refused("lora_names", c -> c.putArray("target_parameters").add("mlp.experts.down_proj"), "target_parameters");
    refused("lora_names", c -> c.putArray("trainable_token_indices").add(3), "trainable_token_indices");
    refused("lora_names", c -> c.put("use_qalora", true), "use_qalora=true");
    refused("lora_names", c -> c.put("ensure_weight_tying", true), "ensure_weight_tying=true");
    refused("lora_names", c -> c.putArray("alora_invocation_tokens").add(5), "alora_invocation_tokens");
    refused("lora_names", c -> c.put("init_lora_weights", "pissa"), "init_lora_weights=\"pissa\"");
    refused("lora_names", c -> c.put("task_type", "SEQ_2_SEQ_LM"), "task_type=\"SEQ_2_SEQ_LM\"");
    refused("lora_names", c -> c.put("peft_type", "LOHA"), "peft_type 'LOHA' is not supported");
    // DoRA/LoRA on a layer align4j cannot wrap: the embedding, a norm, a whole block
    refused("lora_names", c -> c.putArray("target_modules").add("embed_tokens"), "model.embed_tokens", "an embedding");
    refused("dora", c -> c.put("target_modules", ".*norm"), "model.layers.0.input_layernorm", "not a linear layer");
    refused("lora_names", c -> c.putArray("target_modules").add("mlp"), "model.layers.0.mlp");
    refused("lora_names", c -> c.putArray("target_modules").add("nothing_here"), "matches no module");
    refused("lora_names", c -> c.put("target_modules", "q_proj("), "target_modules: not a valid regex");
    refused("lora_names", c -> c.putObject("rank_pattern").put("q_proj", 2.5), "rank_pattern");
  }

  @Test
  void weightsForModulesTheConfigDoesNotSelectAreRefused() throws IOException {
    // the file holds q_proj and v_proj tensors; a config that selects only q_proj would drop v_proj's
    refused("lora_names", c -> c.putArray("target_modules").add("q_proj"),
        "base_model.model.model.layers.0.self_attn.v_proj.lora_A.weight", "does not select");
  }

  @Test
  void otherMethods() throws IOException {
    refused("ia3_default", c -> c.put("fan_in_fan_out", true), "fan_in_fan_out=true");
    refused("ia3_default", c -> c.putArray("modules_to_save").add("lm_head"), "modules_to_save");
    refused("prompt_tuning", c -> c.put("num_transformer_submodules", 2), "num_transformer_submodules=2");
    refused("prompt_tuning", c -> c.put("task_type", "SEQ_CLS"), "task_type");
    refused("prefix_tuning", c -> c.put("prefix_projection", true), "prefix_projection=true");
    refused("prompt_tuning", c -> c.put("peft_type", "MULTITASK_PROMPT_TUNING"), "MULTITASK_PROMPT_TUNING");
  }
}
