package dev.align4j.peft.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HfCheckpointTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private static LinkedHashMap<String, TensorData> tensors() {
    LinkedHashMap<String, TensorData> t = new LinkedHashMap<>();
    Random r = new Random(1);
    for (int i = 0; i < 5; i++) {
      byte[] b = new byte[400];
      r.nextBytes(b);
      t.put("model.layers." + i + ".w", new TensorData(DType.F32, new long[] {10, 10}, ByteBuffer.wrap(b)));
    }
    return t;
  }

  private static ObjectNode config() {
    ObjectNode c = JSON.createObjectNode();
    c.put("model_type", "llama").put("hidden_size", 10);
    return c;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void shardedEqualsSingleFile() throws IOException {
    Path single = tmp.resolve("single");
    Path sharded = tmp.resolve("sharded");
    HfCheckpointWriter.write(single, config(), Optional.empty(), tensors(), 1_000_000);
    HfCheckpointWriter.write(sharded, config(), Optional.empty(), tensors(), 900);   // two 400-byte tensors per shard
    assertThat(sharded.resolve("model-00001-of-00003.safetensors")).exists();
    assertThat(sharded.resolve("model-00003-of-00003.safetensors")).exists();
    assertThat(sharded.resolve(HfCheckpoint.WEIGHTS)).doesNotExist();
    var index = JSON.readTree(sharded.resolve(HfCheckpoint.INDEX).toFile());
    assertThat(index.at("/metadata/total_size").asLong()).isEqualTo(2000);
    assertThat(index.at("/weight_map/model.layers.4.w").asText()).isEqualTo("model-00003-of-00003.safetensors");
    try (HfCheckpoint a = HfCheckpoint.open(single); HfCheckpoint b = HfCheckpoint.open(sharded)) {
      assertThat(b.tensorNames()).containsExactlyInAnyOrderElementsOf(a.tensorNames());
      for (String n : a.tensorNames()) {
        assertThat(bytes(b.bytes(n))).containsExactly(bytes(a.bytes(n)));
      }
      assertThat(b.config()).isEqualTo(config());
    }
  }

  @Test
  void resavingRemovesStaleShards() throws IOException {
    Path d = tmp.resolve("d");
    HfCheckpointWriter.write(d, config(), Optional.empty(), tensors(), 900);
    HfCheckpointWriter.write(d, config(), Optional.empty(), tensors(), 1_000_000);
    try (var s = Files.list(d)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted())
          .containsExactly("config.json", "model.safetensors");
    }
  }

  @Test
  void configIsWrittenLikeTransformers() throws IOException {
    Path d = tmp.resolve("cfg");
    ObjectNode c = JSON.createObjectNode();
    c.put("vocab_size", 3).put("architectures", "x").putArray("list").add(1).add(2);
    HfCheckpointWriter.write(d, c, Optional.empty(), tensors(), 1_000_000);
    // python: json.dumps(c, indent=2, sort_keys=True) + "\n"
    assertThat(Files.readString(d.resolve("config.json")))
        .isEqualTo("{\n  \"architectures\": \"x\",\n  \"list\": [\n    1,\n    2\n  ],\n  \"vocab_size\": 3\n}\n");
  }

  @Test
  void indexProblemsAreNamed() throws IOException {
    Path d = tmp.resolve("bad");
    HfCheckpointWriter.write(d, config(), Optional.empty(), tensors(), 900);
    Path index = d.resolve(HfCheckpoint.INDEX);
    String text = Files.readString(index);
    Files.writeString(index, text.replace("\"model.layers.0.w\": \"model-00001", "\"model.layers.0.w\": \"model-00002"));
    assertThatThrownBy(() -> HfCheckpoint.open(d)).hasMessageContaining("does not contain model.layers.0.w");
    Files.writeString(index, text.replace("model-00003-of-00003", "model-00009-of-00003"));
    assertThatThrownBy(() -> HfCheckpoint.open(d)).hasMessageContaining("shard model-00009-of-00003.safetensors")
        .hasMessageContaining("does not exist");
  }

  @Test
  void missingFilesAreNamed() throws IOException {
    Path d = Files.createDirectories(tmp.resolve("empty"));
    assertThatThrownBy(() -> HfCheckpoint.open(d)).hasMessageContaining("config.json").hasMessageContaining("missing");
    Files.writeString(d.resolve("config.json"), "{}");
    assertThatThrownBy(() -> HfCheckpoint.open(d)).hasMessageContaining("no model.safetensors");
    Files.writeString(d.resolve("config.json"), "{oops");
    assertThatThrownBy(() -> HfCheckpoint.open(d)).hasMessageContaining("config.json: not valid JSON");
  }
}
