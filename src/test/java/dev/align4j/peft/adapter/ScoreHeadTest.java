package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Gradients;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The score head against the real transformers + peft: SEQ_CLS LoRA adapters saved by peft 0.21 on
 * the decoder goldens, with their pooled scores from AutoModelForSequenceClassification
 * ({@code src/test/resources/golden/seqcls/make_seqcls_golden.py}).
 */
class ScoreHeadTest {
  private static final Path GOLDEN = Path.of("src/test/resources/golden");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static ModelInput input(NDManager m, long[][] ids, long pad) {
    long[] flat = new long[ids.length * ids[0].length];
    long[] mask = new long[flat.length];
    for (int i = 0; i < ids.length; i++) {
      for (int j = 0; j < ids[i].length; j++) {
        flat[i * ids[i].length + j] = ids[i][j];
        mask[i * ids[i].length + j] = ids[i][j] == pad ? 0 : 1;
      }
    }
    return new ModelInput(m.create(flat, new Shape(ids.length, ids[0].length)), mask, null);
  }

  private static long[][] ids(JsonNode g) {
    List<long[]> rows = new ArrayList<>();
    g.get("ids").forEach(r -> {
      long[] row = new long[r.size()];
      for (int j = 0; j < row.length; j++) {
        row[j] = r.get(j).asLong();
      }
      rows.add(row);
    });
    return rows.toArray(long[][]::new);
  }

  @ParameterizedTest
  @CsvSource({"qwen3, 1, FLOAT32", "qwen3, 1, FLOAT64", "llama, 2, FLOAT32"})
  void scoresEqualTransformersSequenceClassification(String family, int labels, Precision precision) throws Exception {
    Path adapterDir = GOLDEN.resolve("seqcls").resolve(family + "-" + labels);
    JsonNode g = JSON.readTree(adapterDir.resolve("golden_scores.json").toFile());
    long pad = g.get("pad_token_id").asLong();
    long[][] ids = ids(g);
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(GOLDEN.resolve(family), precision, AttentionImpl.COMPOSED, m)) {
      CausalLM model = pm.model();
      PeftModel peft = new PeftModel(model);
      LoraAdapter reward = LoraAdapter.load(peft, adapterDir, "reward");
      assertThat(reward.scoreHead()).isNotNull();
      assertThat(reward.scoreHead().numLabels()).isEqualTo(labels);
      try (NDManager s = m.newSubManager()) {
        NDArray scores = reward.scoreHead().score(model, input(s, ids, pad), pad);   // [B, L]
        assertThat(scores.getShape()).isEqualTo(new Shape(ids.length, labels));
        double[] got = scores.toType(DataType.FLOAT64, false).toDoubleArray();
        int k = 0;
        for (JsonNode row : g.get("scores")) {
          for (JsonNode v : row) {
            assertThat(got[k++]).isCloseTo(v.asDouble(), Offset.offset(2e-5));
          }
        }
        // the final hidden states heads read: transformers' last_hidden_state of the base model
        try (AdapterScope off = reward.disabled()) {
          NDArray h = model.hiddenStates(input(s, ids, pad), null);                 // [B, T, H]
          double[] last = h.get(ids.length - 1).toType(DataType.FLOAT64, false).toDoubleArray();
          int j = 0;
          for (JsonNode tok : g.get("base_hidden_last_row")) {
            for (JsonNode v : tok) {
              assertThat(last[j++]).isCloseTo(v.asDouble(), Offset.offset(2e-5));
            }
          }
        }
      }
    }
  }

  @Test
  void savesAsPeftDoesForSeqCls(@TempDir Path tmp) throws Exception {
    Path adapterDir = GOLDEN.resolve("seqcls").resolve("qwen3-1");
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(GOLDEN.resolve("qwen3"), Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftModel peft = new PeftModel(pm.model());
      LoraAdapter.load(peft, adapterDir, "reward").save(tmp, null);
    }
    try (SafetensorsFile ours = SafetensorsFile.open(tmp.resolve(PeftAdapterFiles.WEIGHTS));
        SafetensorsFile theirs = SafetensorsFile.open(adapterDir.resolve(PeftAdapterFiles.WEIGHTS))) {
      assertThat(ours.tensors().keySet()).containsExactlyInAnyOrderElementsOf(theirs.tensors().keySet())
          .contains("base_model.model.score.weight");
      for (String t : theirs.tensors().keySet()) {
        assertThat(ours.toFloatArray(t)).as(t).containsExactly(theirs.toFloatArray(t));
      }
    }
    JsonNode ours = JSON.readTree(tmp.resolve(PeftAdapterFiles.CONFIG).toFile());
    JsonNode theirs = JSON.readTree(adapterDir.resolve(PeftAdapterFiles.CONFIG).toFile());
    for (String key : List.of("task_type", "modules_to_save", "peft_type", "r", "lora_alpha")) {
      assertThat(ours.get(key)).as(key).isEqualTo(theirs.get(key));
    }
  }

  @Test
  void ppoValueHeadTrainsWithItsAdapterOnly() {
    // policy and value adapters on one base; the value head reads the value adapter's trunk
    ModelConfig c = TinyConfigs.of(ModelFamily.LLAMA);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, AttentionImpl.COMPOSED, m,
            RandomWeights.generate(c, m, 2, 0.2, 0.1, DataType.FLOAT64))) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("policy", LoraConfig.of(2, 4, "q_proj", "v_proj"), 1);
      peft.addLora("value", LoraConfig.of(2, 4, "q_proj", "v_proj"), 2);
      ScoreHead value = peft.addScoreHead("value", 1, 3);
      peft.setTrainable("policy", "value");
      List<Parameter> params = peft.trainableParameters();
      assertThat(params).contains(value.weight());
      assertThat(value.weight().name()).isEqualTo("base_model.model.score.modules_to_save.value.weight");
      long[][] rows = {{5, 6, 7, 0}, {8, 9, 10, 11}};
      double[] values;
      double[] perToken;
      Gradients.zero(params);
      try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
        NDArray v;
        try (AdapterScope use = peft.use("value")) {
          v = value.forward(model.hiddenStates(input(s, rows, 0), null));          // [B, T, 1]
        }
        assertThat(v.getShape()).isEqualTo(new Shape(2, 4, 1));
        values = value.sequenceScores(v, s.create(new long[] {5, 6, 7, 0, 8, 9, 10, 11}, new Shape(2, 4)), 0)
            .toDoubleArray();
        perToken = v.toDoubleArray();
        gc.backward(v.sum());
      }
      // sequence values are the per-token values at positions 2 and 3
      assertThat(values).containsExactly(perToken[2], perToken[7]);
      assertThat(value.weight().data().getGradient().abs().sum().getDouble()).isGreaterThan(0);
      for (Parameter p : peft.parametersOf("policy")) {
        assertThat(p.data().getGradient().toType(DataType.FLOAT64, false).abs().sum().getDouble()).as(p.name()).isEqualTo(0.0);
      }
      assertThat(peft.parametersOf("value").stream().filter(p -> p.name().contains("lora_A"))
          .mapToDouble(p -> p.data().getGradient().toType(DataType.FLOAT64, false).abs().sum().getDouble()).sum()).isEqualTo(0.0);
      assertThat(peft.parametersOf("value").stream().filter(p -> p.name().contains("lora_B"))
          .mapToDouble(p -> p.data().getGradient().toType(DataType.FLOAT64, false).abs().sum().getDouble()).sum()).isGreaterThan(0.0);
      peft.setTrainable("policy");
      assertThat(peft.trainableParameters()).doesNotContain(value.weight());
      assertThat(ScoreHead.lastNonPad(new long[] {0, 0, 3, 4, 5, 0, 0, 0, 0}, 3, 0)).containsExactly(2, 1, 0);
    }
  }
}
