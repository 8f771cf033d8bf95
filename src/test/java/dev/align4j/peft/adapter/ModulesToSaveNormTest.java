package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEFT's modules_to_save on RMS norms: one copy per adapter, the reference exact, saved as PEFT names it. */
class ModulesToSaveNormTest {
  @TempDir Path tmp;
  private static final long[][] IDS = {{4, 8, 15, 16, 23, 42}};

  private static CausalLM model(NDManager m, ModelConfig c) {
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 2, 0.2, 0.1, DataType.FLOAT32));
  }

  /** Qwen3 (q/k norms) with tied embeddings, as the demo's model. */
  private static ModelConfig tiedQwen3() {
    ObjectNode j = TinyConfigs.of(ModelFamily.QWEN3).toJson();
    j.put("tie_word_embeddings", true);
    return ModelConfig.fromJson(j, "tiny");
  }

  private static float[] logits(NDManager m, CausalLM model) {
    return model.logits(ModelInput.of(m, IDS)).toFloatArray();
  }

  @Test
  void eachAdapterHasItsOwnNormCopyTheBaseStaysExactAndTheFilesUsePeftsNames() throws Exception {
    ModelConfig c = tiedQwen3();
    float[] adapted;
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] base = logits(m, model);
      PeftModel peft = new PeftModel(model);
      peft.addLora("a", new LoraConfig(2, 4, 0, List.of("q_proj"), null, false, false, List.of("model.norm")), 1);
      peft.addLora("b", LoraConfig.of(2, 4, "v_proj"), 2);
      Parameter copyA = peft.savedNorms().get("model.norm").copies().get("a");
      assertThat(copyA.name()).isEqualTo("base_model.model.model.norm.modules_to_save.a.weight");
      assertThat(copyA.data().toFloatArray()).containsExactly(model.norm("model.norm").gain().data().toFloatArray());
      copyA.data().muli(2f);                                   // an inverse temperature of 2, as far as the norm goes
      peft.setActive("a");
      assertThat(peft.trainableParameters()).contains(copyA);
      adapted = logits(m, model);
      assertThat(adapted).isNotEqualTo(base);
      try (AutoCloseable off = peft.disableAdapters()) {
        assertThat(logits(m, model)).containsExactly(base);
      }
      // b has no copy: the base gain serves; then its own copy, independent of a's
      peft.setActive("b");
      assertThat(peft.trainableParameters()).doesNotContain(copyA);
      peft.addModulesToSave("b", List.of("model.norm"));
      Parameter copyB = peft.savedNorms().get("model.norm").copies().get("b");
      assertThat(copyB.data().toFloatArray()).containsExactly(model.norm("model.norm").gain().data().toFloatArray());
      assertThat(peft.trainableParameters()).contains(copyB).doesNotContain(copyA);
      assertThat(peft.configs().get("b").modulesToSave()).containsExactly("model.norm");
      peft.setActive("a");
      assertThat(logits(m, model)).containsExactly(adapted);
      PeftAdapterFiles.save(peft, "a", tmp, null);
    }
    try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve(PeftAdapterFiles.WEIGHTS))) {
      assertThat(f.info("base_model.model.model.norm.weight").shape()).containsExactly(c.hiddenSize());
    }
    assertThat(new ObjectMapper().readTree(tmp.resolve(PeftAdapterFiles.CONFIG).toFile()).get("modules_to_save").toString())
        .isEqualTo("[\"model.norm\"]");
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      PeftModel peft = new PeftModel(model);
      PeftAdapterFiles.load(peft, tmp, "loaded");
      assertThat(logits(m, model)).containsExactly(adapted, Offset.offset(1e-6f));
      // merge writes the copy into the base gain (the tied embeddings do not matter for a norm); unmerge restores it
      float[] gain = model.norm("model.norm").gain().data().toFloatArray();
      peft.merge();
      assertThat(model.norm("model.norm").gain().data().toFloatArray())
          .containsExactly(peft.savedNorms().get("model.norm").copies().get("loaded").data().toFloatArray());
      peft.unmerge();
      assertThat(model.norm("model.norm").gain().data().toFloatArray()).containsExactly(gain);
    }
  }

  @Test
  void adaptersWithNormCopiesLoadTogetherEachServingAsWhenLoadedAlone() throws Exception {
    ModelConfig c = tiedQwen3();
    Path withNorm = tmp.resolve("with-norm");
    Path plain = tmp.resolve("plain");
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("n", new LoraConfig(2, 4, 0, List.of("q_proj"), null, false, false, List.of("model.norm")), 1);
      peft.addLora("p", LoraConfig.of(2, 4, "v_proj"), 2);
      peft.savedNorms().get("model.norm").copies().get("n").data().muli(1.5f);
      for (Parameter b : List.of(peft.parametersOf("n").get(1), peft.parametersOf("p").get(1))) {
        b.data().addi(m.randomNormal(0, 0.3f, b.shape(), DataType.FLOAT32));
      }
      PeftAdapterFiles.save(peft, "n", withNorm, null);
      PeftAdapterFiles.save(peft, "p", plain, null);
    }
    float[][] alone = new float[2][];
    for (int i = 0; i < 2; i++) {
      try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
        PeftAdapters.apply(model, Map.of("x", i == 0 ? withNorm : plain), null);
        alone[i] = logits(m, model);
      }
    }
    assertThat(alone[0]).isNotEqualTo(alone[1]);
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      LinkedHashMap<String, Path> both = new LinkedHashMap<>();
      both.put("plain", plain);
      both.put("norm", withNorm);
      PeftModel peft = PeftAdapters.apply(model, both, "plain").lora();
      assertThat(logits(m, model)).containsExactly(alone[1]);
      peft.setActive("norm");
      assertThat(logits(m, model)).containsExactly(alone[0]);
    }
  }

  @Test
  void aPlainSuffixCopiesEveryNormItEndsAsPeftMatchesAndANonModuleIsNamed() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("a", new LoraConfig(2, 4, 0, List.of("q_proj"), null, false, false, List.of("norm")), 1);
      // PEFT's _set_trainable: key.endswith("norm"): every layer's input/post-attention/q/k norm and the final one
      assertThat(peft.savedNorms()).hasSize(4 * c.numLayers() + 1).containsKey("model.layers.0.self_attn.k_norm");
      assertThatThrownBy(() -> peft.addModulesToSave("a", List.of("no_such_norm")))
          .hasMessageContaining("modules_to_save: no module named 'no_such_norm'");
    }
  }
}
