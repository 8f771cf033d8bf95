package dev.align4j.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The reward model against transformers' AutoModelForSequenceClassification: full checkpoints that
 * transformers saved (golden/rm, make_rm_golden.py) and PEFT SEQ_CLS LoRA adapters (golden/seqcls,
 * make_seqcls_golden.py) score as transformers scored them, left and right padded, with pad == EOS; a
 * full reward model saved by align4j holds the tensors and config transformers wrote.
 */
class RewardModelTest {
  static final Path GOLDEN = Path.of("src/test/resources/golden");
  private static final ObjectMapper JSON = new ObjectMapper();

  static long[][] ids(JsonNode g) {
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

  static double[] golden(JsonNode g) {
    List<Double> out = new ArrayList<>();
    g.get("scores").forEach(v -> out.add(v.isArray() ? v.get(0).asDouble() : v.asDouble()));
    return out.stream().mapToDouble(Double::doubleValue).toArray();
  }

  /** Scores of rows as given (pads included), with the attention mask transformers got: ids != 0. */
  static double[] scores(RewardModel rm, long[][] ids) {
    try (NDManager s = rm.model().manager().newSubManager()) {
      int b = ids.length;
      int t = ids[0].length;
      long[] flat = new long[b * t];
      long[] mask = new long[b * t];
      for (int i = 0; i < b; i++) {
        for (int j = 0; j < t; j++) {
          flat[i * t + j] = ids[i][j];
          mask[i * t + j] = ids[i][j] == 0 ? 0 : 1;
        }
      }
      NDArray r = rm.scores(s.create(flat, new Shape(b, t)), s.create(mask, new Shape(b, t)));
      assertThat(r.getShape()).isEqualTo(new Shape(b));
      return r.toType(DataType.FLOAT64, false).toDoubleArray();
    }
  }

  @ParameterizedTest
  @CsvSource({"qwen3, FLOAT32", "qwen3, FLOAT64", "llama, FLOAT32", "llama, BFLOAT16"})
  void loadsAFullRewardModelTransformersSaved(String family, Precision precision) throws Exception {
    Path dir = GOLDEN.resolve("rm").resolve(family);
    JsonNode g = JSON.readTree(dir.resolve("golden_scores.json").toFile());
    double tol = precision == Precision.BFLOAT16 ? 5e-2 : 2e-5;
    try (NDManager m = Torch.newManager();
        RewardModel rm = RewardModel.load(dir, null, precision, AttentionImpl.COMPOSED, m)) {
      assertThat(rm.padId()).isEqualTo(0);
      assertThat(scores(rm, ids(g))).containsExactly(golden(g), Offset.offset(tol));
      assertThat(rm.storedStats()).hasValueSatisfying(s -> {
        assertThat(s.mean()).isEqualTo(0.25);
        assertThat(s.std()).isEqualTo(1.5);
      });
    }
  }

  @Test
  void paddedBatchesScoreEachRowAsAlone() throws Exception {
    Path dir = GOLDEN.resolve("rm").resolve("qwen3");
    JsonNode g = JSON.readTree(dir.resolve("golden_scores.json").toFile());
    List<long[]> unpadded = new ArrayList<>();
    for (long[] row : ids(g)) {
      unpadded.add(java.util.Arrays.stream(row).filter(x -> x != 0).toArray());
    }
    try (NDManager m = Torch.newManager();
        RewardModel rm = RewardModel.load(dir, null, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      double[] batched = rm.score(unpadded, 3);
      double[] ones = rm.score(unpadded, 1);
      assertThat(batched).containsExactly(golden(g), Offset.offset(2e-5));
      assertThat(ones).containsExactly(batched, Offset.offset(2e-6));
    }
  }

  @ParameterizedTest
  @CsvSource({"qwen3, qwen3-1"})
  void loadsABasePlusAPeftSeqClsAdapter(String family, String adapter) throws Exception {
    Path dir = GOLDEN.resolve("seqcls").resolve(adapter);
    JsonNode g = JSON.readTree(dir.resolve("golden_scores.json").toFile());
    try (NDManager m = Torch.newManager();
        RewardModel rm = RewardModel.load(GOLDEN.resolve(family), dir, Precision.FLOAT32, AttentionImpl.COMPOSED, m, 0L)) {
      assertThat(scores(rm, ids(g))).containsExactly(golden(g), Offset.offset(2e-5));
    }
  }

  @Test
  void anAdapterOnASharedBaseScoresUnderItsOwnScope() throws Exception {
    Path dir = GOLDEN.resolve("seqcls").resolve("qwen3-1");
    JsonNode g = JSON.readTree(dir.resolve("golden_scores.json").toFile());
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(GOLDEN.resolve("qwen3"), Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftModel peft = new PeftModel(pm.model());
      peft.addLora("policy", LoraConfig.of(4, 8, "all-linear"), 3);
      RewardModel rm = RewardModel.loadAdapter(peft, dir, "reward", 0);
      // a policy adapter is active around the call: the reward still sees only its own adapter
      try (AdapterScope policy = peft.use("policy")) {
        assertThat(scores(rm, ids(g))).containsExactly(golden(g), Offset.offset(2e-5));
        assertThat(peft.state().activeNames()).containsExactly("policy");
      }
    }
  }

  @Test
  void savesWhatTransformersSaves(@TempDir Path tmp) throws Exception {
    Path theirs = GOLDEN.resolve("rm").resolve("llama");
    JsonNode g = JSON.readTree(theirs.resolve("golden_scores.json").toFile());
    Path ours = tmp.resolve("rm");
    try (NDManager m = Torch.newManager();
        PretrainedModel base = ModelLoader.load(GOLDEN.resolve("llama"), Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        RewardModel rm = RewardModel.load(theirs, null, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      // the base's config.json (a causal LM) plus this head, as a training run saves it
      RewardModelFiles.saveFull(rm.model(), rm.head(), base.configJson(), base.generationConfig(), 0,
          new RewardStats(0.25, 1.5, -1, 1, 6), null, ours);
    }
    try (SafetensorsFile a = SafetensorsFile.open(ours.resolve("model.safetensors"));
        SafetensorsFile b = SafetensorsFile.open(theirs.resolve("model.safetensors"))) {
      assertThat(a.tensors().keySet()).containsExactlyInAnyOrderElementsOf(b.tensors().keySet())
          .contains("score.weight").doesNotContain("lm_head.weight");
      for (String t : b.tensors().keySet()) {
        assertThat(a.info(t).shape()).as(t).isEqualTo(b.info(t).shape());
        assertThat(bytes(a.bytes(t))).as(t).isEqualTo(bytes(b.bytes(t)));
      }
    }
    JsonNode cfg = JSON.readTree(ours.resolve("config.json").toFile());
    JsonNode ref = JSON.readTree(theirs.resolve("config.json").toFile());
    for (String k : List.of("architectures", "id2label", "label2id", "pad_token_id", "mean", "std")) {
      assertThat(cfg.get(k)).as(k).isEqualTo(ref.get(k));
    }
    try (NDManager m = Torch.newManager();
        RewardModel again = RewardModel.load(ours, null, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThat(scores(again, ids(g))).containsExactly(golden(g), Offset.offset(2e-5));
    }
  }

  @Test
  void aCausalLmIsNoRewardModel() {
    assertThatThrownBy(() -> {
      try (NDManager m = Torch.newManager();
          RewardModel rm = RewardModel.load(GOLDEN.resolve("qwen3"), null, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        rm.padId();
      }
    }).hasMessageContaining("no score.weight");
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }
}
