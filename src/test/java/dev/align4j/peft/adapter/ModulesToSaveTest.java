package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
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
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModulesToSaveTest {
  @TempDir Path tmp;
  private static final long[][] IDS = {{4, 8, 15, 16, 23, 42}};

  private static CausalLM model(NDManager m, ModelConfig c) {
    return CausalLM.create(c, Precision.FLOAT32, AttentionImpl.COMPOSED, m, RandomWeights.generate(c, m, 2, 0.2, 0.1, DataType.FLOAT32));
  }

  @Test
  void headCopyTrainsSavesWithoutWrapperPrefixAndTheReferenceStaysExact() throws Exception {
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    float[] adapted;
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      float[] base = model.logits(ModelInput.of(m, IDS)).toFloatArray();
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", new LoraConfig(4, 8, 0, List.of("q_proj"), null, false, false, List.of("lm_head")), 1);
      assertThat(peft.trainableParameters()).extracting(Parameter::name).contains("base_model.model.lm_head.weight");
      Parameter head = peft.modulesToSave().get("lm_head").copy().weight();
      head.data().addi(m.randomNormal(0, 0.5f, head.shape(), DataType.FLOAT32));
      adapted = model.logits(ModelInput.of(m, IDS)).toFloatArray();
      assertThat(adapted).isNotEqualTo(base);
      try (AutoCloseable off = peft.disableAdapters()) {
        assertThat(model.logits(ModelInput.of(m, IDS)).toFloatArray()).containsExactly(base);
      }
      PeftAdapterFiles.save(peft, "default", tmp, null);
    }
    try (SafetensorsFile f = SafetensorsFile.open(tmp.resolve(PeftAdapterFiles.WEIGHTS))) {
      assertThat(f.info("base_model.model.lm_head.weight").shape()).containsExactly(64, 16);
    }
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, c)) {
      PeftAdapterFiles.load(new PeftModel(model), tmp, "loaded");
      assertThat(model.logits(ModelInput.of(m, IDS)).toFloatArray()).containsExactly(adapted, Offset.offset(1e-6f));
    }
  }
}
