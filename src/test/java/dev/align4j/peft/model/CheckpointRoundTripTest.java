package dev.align4j.peft.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.HfCheckpoint;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Save -> load is bit-exact, names round-trip, sharded == single, bf16 checkpoints load either way. */
class CheckpointRoundTripTest {
  @TempDir Path tmp;

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  private static void assertSameTensors(Path a, Path b) throws IOException {
    try (HfCheckpoint x = HfCheckpoint.open(a); HfCheckpoint y = HfCheckpoint.open(b)) {
      assertThat(y.tensorNames()).containsExactlyElementsOf(x.tensorNames());
      for (String n : x.tensorNames()) {
        assertThat(y.info(n).dtype()).isEqualTo(x.info(n).dtype());
        assertThat(bytes(y.bytes(n))).as(n).containsExactly(bytes(x.bytes(n)));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(ModelFamily.class)
  void saveLoadSaveIsBitExactWithHfNames(ModelFamily family) throws IOException {
    ModelConfig c = TinyConfigs.of(family);
    Path first = tmp.resolve("first");
    Path second = tmp.resolve("second");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(first, c, 42, null, Optional.empty(), m);
      try (PretrainedModel pm = ModelLoader.load(first, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        assertThat(pm.model().parameters().keySet()).containsExactlyElementsOf(WeightNames.expected(c).keySet());
        ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), second, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
    }
    assertSameTensors(first, second);
    assertThat(Files.readString(second.resolve("config.json"))).isEqualTo(Files.readString(first.resolve("config.json")));
  }

  @Test
  void shardedLoadsLikeSingleFile() throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN2);
    Path single = tmp.resolve("single");
    Path sharded = tmp.resolve("sharded");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(single, c, 1, null, Optional.empty(), m);
      float[] a;
      try (PretrainedModel pm = ModelLoader.load(single, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        ModelSaver.save(pm.model(), pm.configJson(), Optional.empty(), sharded, 5_000);
        a = pm.model().logits(ModelInput.of(m, new long[][] {{1, 2, 3}})).toFloatArray();
      }
      assertThat(sharded.resolve(HfCheckpoint.INDEX)).exists();
      assertSameTensors(single, sharded);
      try (PretrainedModel pm = ModelLoader.load(sharded, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        assertThat(pm.model().logits(ModelInput.of(m, new long[][] {{1, 2, 3}})).toFloatArray()).containsExactly(a);
      }
    }
  }

  @Test
  void bfloat16CheckpointLoadsWidenedOrNativeAndSavesBack() throws IOException {
    ObjectNode json = TinyConfigs.of(ModelFamily.LLAMA).toJson().put("torch_dtype", "bfloat16");
    ModelConfig c = ModelConfig.fromJson(json, "bf16");
    Path dir = tmp.resolve("bf16");
    Path again = tmp.resolve("again");
    Path again2 = tmp.resolve("again2");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(dir, c, 5, null, Optional.empty(), m);
      try (HfCheckpoint ck = HfCheckpoint.open(dir)) {
        assertThat(ck.info("model.norm.weight").dtype()).isEqualTo(dev.align4j.peft.io.DType.BF16);
      }
      float[] wide;
      try (PretrainedModel pm = ModelLoader.load(dir, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        wide = pm.model().logits(ModelInput.of(m, new long[][] {{1, 2, 3, 4}})).toFloatArray();
        ModelSaver.save(pm.model(), pm.configJson(), Optional.empty(), again, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
      try (PretrainedModel pm = ModelLoader.load(dir, Precision.BFLOAT16, AttentionImpl.FUSED, m)) {
        float[] nat = pm.model().logits(ModelInput.of(m, new long[][] {{1, 2, 3, 4}})).toFloatArray();
        for (int i = 0; i < wide.length; i++) {
          assertThat(nat[i]).isCloseTo(wide[i], Offset.offset(0.05f + 0.05f * Math.abs(wide[i])));
        }
        ModelSaver.save(pm.model(), pm.configJson(), Optional.empty(), again2, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
    }
    assertSameTensors(dir, again);
    assertSameTensors(dir, again2);
  }

  @Test
  void loadErrorsNameTheProblem() throws IOException {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    Path dir = tmp.resolve("bad");
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(dir, c, 1, null, Optional.empty(), m);
      ObjectMapper json = new ObjectMapper();
      ObjectNode cfg = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
      cfg.put("hidden_size", 32);
      Files.writeString(dir.resolve("config.json"), cfg.toString());
      assertThatThrownBy(() -> ModelLoader.load(dir, Precision.FLOAT32, AttentionImpl.COMPOSED, m))
          .hasMessageContaining("model.embed_tokens.weight has shape (64, 16), expected (64, 32)");
      cfg.put("hidden_size", 16).put("model_type", "gpt_neox");
      Files.writeString(dir.resolve("config.json"), cfg.toString());
      assertThatThrownBy(() -> ModelLoader.load(dir, Precision.FLOAT32, AttentionImpl.COMPOSED, m))
          .hasMessageContaining("config.json").hasMessageContaining("unsupported model_type 'gpt_neox'");
    }
  }
}
