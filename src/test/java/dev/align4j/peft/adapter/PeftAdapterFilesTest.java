package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PeftAdapterFilesTest {
  @TempDir Path tmp;

  private static CausalLM model(NDManager m, ModelConfig c) {
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 3, 0.2, 0.1, DataType.FLOAT32));
  }

  private static float[] logits(NDManager m, CausalLM model) {
    return model.logits(ModelInput.of(m, new long[][] {{5, 9, 33, 2, 17}})).toFloatArray();
  }

  @ParameterizedTest
  @EnumSource(value = ModelFamily.class, names = {"QWEN2", "LLAMA"})
  void savesPeftNamesAndShapesAndLoadsBack(ModelFamily family) throws IOException {
    ModelConfig c = TinyConfigs.of(family);
    Path dir = tmp.resolve(family.name());
    float[] adapted;
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, c)) {
      PeftModel peft = new PeftModel(base);
      peft.addLora("default", LoraConfig.of(4, 8, "q_proj", "v_proj", "down_proj").withDora(true), 1);
      for (Parameter p : peft.trainableParameters()) {
        if (p.name().contains("lora_B")) {
          p.data().addi(m.randomNormal(0, 0.2f, p.shape(), DataType.FLOAT32));
        }
      }
      adapted = logits(m, base);
      PeftAdapterFiles.save(peft, "default", dir, "tiny-" + family.modelType());
    }
    // names and shapes as PEFT writes them
    try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(PeftAdapterFiles.WEIGHTS))) {
      assertThat(f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").shape()).containsExactly(4, 16);
      assertThat(f.info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").shape()).containsExactly(16, 4);
      assertThat(f.info("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight").shape()).containsExactly(8, 4);
      assertThat(f.info("base_model.model.model.layers.1.mlp.down_proj.lora_A.weight").shape()).containsExactly(4, 32);
      assertThat(f.info("base_model.model.model.layers.1.mlp.down_proj.lora_magnitude_vector").shape()).containsExactly(16);
      assertThat(f.tensors()).hasSize(2 * 3 * 3);
    }
    JsonNode cfg = new ObjectMapper().readTree(dir.resolve(PeftAdapterFiles.CONFIG).toFile());
    assertThat(cfg.get("peft_type").asText()).isEqualTo("LORA");
    assertThat(cfg.get("r").asInt()).isEqualTo(4);
    assertThat(cfg.get("lora_alpha").isIntegralNumber()).isTrue();
    assertThat(cfg.get("target_modules").toString()).isEqualTo("[\"down_proj\",\"q_proj\",\"v_proj\"]");
    assertThat(cfg.get("use_dora").asBoolean()).isTrue();
    assertThat(cfg.get("task_type").asText()).isEqualTo("CAUSAL_LM");
    // a fresh base + the loaded adapter computes the same logits
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, c)) {
      PeftModel peft = new PeftModel(base);
      PeftAdapterFiles.load(peft, dir, "loaded");
      assertThat(logits(m, base)).containsExactly(adapted, org.assertj.core.data.Offset.offset(1e-6f));
    }
  }

  @Test
  void corruptOrMismatchedAdaptersAreNamed() throws IOException {
    Path dir = tmp.resolve("a");
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, TinyConfigs.of(ModelFamily.QWEN2))) {
      PeftModel peft = new PeftModel(base);
      peft.addLora("default", LoraConfig.of(4, 8, "q_proj"), 1);
      PeftAdapterFiles.save(peft, "default", dir, null);
    }
    // wrong base: a model with another hidden size
    ModelConfig wide = ModelConfig.fromJson(TinyConfigs.of(ModelFamily.QWEN2).toJson().put("hidden_size", 32).put("head_dim", 8), "w");
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, wide)) {
      assertThatThrownBy(() -> PeftAdapterFiles.load(new PeftModel(base), dir, "x"))
          .hasMessageContaining("has shape (4, 16) but the base model needs (4, 32)");
    }
    // unknown peft_type
    Path cfg = dir.resolve(PeftAdapterFiles.CONFIG);
    String text = Files.readString(cfg);
    Files.writeString(cfg, text.replace("\"LORA\"", "\"LOHA\""));
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, TinyConfigs.of(ModelFamily.QWEN2))) {
      assertThatThrownBy(() -> PeftAdapterFiles.load(new PeftModel(base), dir, "x"))
          .hasMessageContaining("peft_type 'LOHA' is not supported");
    }
    Files.writeString(cfg, text);
    // missing tensor: rewrite the weights without one lora_B
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, TinyConfigs.of(ModelFamily.QWEN2))) {
      PeftModel peft = new PeftModel(base);
      peft.addLora("default", LoraConfig.of(4, 8, "q_proj"), 1);
      var layer = peft.loraLayers().get("model.layers.1.self_attn.q_proj");
      java.util.LinkedHashMap<String, dev.align4j.peft.io.TensorData> t = new java.util.LinkedHashMap<>();
      try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(PeftAdapterFiles.WEIGHTS))) {
        for (String n : f.tensors().keySet()) {
          if (!n.equals("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight")) {
            t.put(n, new dev.align4j.peft.io.TensorData(f.info(n).dtype(), f.info(n).shape(), f.bytes(n)));
          }
        }
      }
      dev.align4j.peft.io.SafetensorsWriter.write(dir.resolve("x.safetensors"), t, java.util.Map.of());
      Files.move(dir.resolve("x.safetensors"), dir.resolve(PeftAdapterFiles.WEIGHTS), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      assertThat(layer).isNotNull();
    }
    try (NDManager m = Torch.newManager(); CausalLM base = model(m, TinyConfigs.of(ModelFamily.QWEN2))) {
      assertThatThrownBy(() -> PeftAdapterFiles.load(new PeftModel(base), dir, "x"))
          .hasMessageContaining("missing tensor 'base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight'");
    }
  }
}
