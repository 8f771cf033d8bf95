package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI end to end on a tiny Qwen3-shaped checkpoint with the real Qwen3 tokenizer. */
class CliTest {
  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void makeModel() {
    model = tmp.resolve("tiny");
    int rc = Align4j.execute("tiny", "--family", "qwen3", "--out", model.toString(), "--tokenizer",
        "recipes/assets/tokenizers/qwen3", "--hidden", "16", "--intermediate", "32", "--heads", "2",
        "--kv-heads", "1", "--seed", "7");
    assertThat(rc).isZero();
  }

  private static String run(String... args) {
    PrintStream old = System.out;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute(args)).as(String.join(" ", args)).isZero();
    } finally {
      System.setOut(old);
    }
    return buf.toString(StandardCharsets.UTF_8);
  }

  @Test
  void logprobsPrintsOneJsonLinePerTextWithNullFirst() throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Files.writeString(in, "{\"text\": \"Hello world\"}\n\n{\"text\": \"告警：暴力破解\"}\n");
    List<String> lines = run("logprobs", "--model", model.toString(), "--input", in.toString()).lines().toList();
    assertThat(lines).hasSize(2);
    ObjectMapper json = new ObjectMapper();
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      for (String line : lines) {
        JsonNode row = json.readTree(line);
        long[] ids = new long[row.get("ids").size()];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = row.get("ids").get(i).asLong();
        }
        assertThat(row.get("token_logprobs").size()).isEqualTo(ids.length);
        assertThat(row.get("token_logprobs").get(0).isNull()).isTrue();
        // reference: log-softmax in double precision on the host
        float[] logits = pm.model().logits(ModelInput.of(m, new long[][] {ids})).toFloatArray();
        int v = pm.model().config().vocabSize();
        for (int t = 1; t < ids.length; t++) {
          double max = Double.NEGATIVE_INFINITY;
          for (int k = 0; k < v; k++) {
            max = Math.max(max, logits[(t - 1) * v + k]);
          }
          double z = 0;
          for (int k = 0; k < v; k++) {
            z += Math.exp(logits[(t - 1) * v + k] - max);
          }
          double want = logits[(t - 1) * v + (int) ids[t]] - max - Math.log(z);
          assertThat(row.get("token_logprobs").get(t).asDouble()).isCloseTo(want, Offset.offset(1e-4));
        }
      }
    }
  }

  @Test
  void infoDescribesTheCheckpoint() {
    String out = run("info", "--model", model.toString());
    assertThat(out).contains("Qwen3ForCausalLM").contains("vocab           151669").contains("q/k norm");
  }

  @Test
  void generateContinuesAPromptAndChats() {
    String out = run("generate", "--model", model.toString(), "--prompt", "Hello", "--max-new-tokens", "4");
    assertThat(out).startsWith("Hello");
    InputStreamSwap swap = new InputStreamSwap("hi\n");
    try {
      String chat = run("generate", "--model", model.toString(), "--chat", "--max-new-tokens", "3");
      assertThat(chat).contains("assistant> ");
    } finally {
      swap.close();
    }
  }

  @Test
  void badInputGivesNonZeroExitAndNamesTheLine() throws Exception {
    Path in = tmp.resolve("bad.jsonl");
    Files.writeString(in, "{\"text\": \"ok\"}\n{\"txt\": 1}\n");
    PrintStream oldErr = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    PrintStream oldOut = System.out;
    System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    try {
      assertThat(Align4j.execute("logprobs", "--model", model.toString(), "--input", in.toString())).isNotZero();
      assertThat(Align4j.execute("info", "--model", tmp.resolve("nope").toString())).isNotZero();
    } finally {
      System.setErr(oldErr);
      System.setOut(oldOut);
    }
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("bad.jsonl:2: field \"text\" must be a string")
        .contains("not a directory");
  }

  @Test
  void mergedCheckpointEqualsBasePlusAdapter() throws Exception {
    Path adapterDir = tmp.resolve("adapter");
    Path merged = tmp.resolve("merged");
    long[] ids = {9707, 1879, 11, 419};
    float[] expected;
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      var peft = new dev.align4j.peft.adapter.PeftModel(pm.model());
      peft.addLora("default", dev.align4j.peft.adapter.LoraConfig.of(2, 4, "all-linear"), 3);
      for (var p : peft.trainableParameters()) {
        if (p.name().contains("lora_B")) {
          p.data().addi(m.randomNormal(0, 0.5f, p.shape(), ai.djl.ndarray.types.DataType.FLOAT32));
        }
      }
      expected = pm.model().logits(ModelInput.of(m, new long[][] {ids})).toFloatArray();
      dev.align4j.peft.adapter.PeftAdapterFiles.save(peft, "default", adapterDir, model.toString());
    }
    run("merge", "--model", model.toString(), "--adapter", adapterDir.toString(), "--out", merged.toString());
    assertThat(merged.resolve("tokenizer.json")).exists();
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(merged, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      // [4 x 151669] logits: compared in linear time (AssertJ's containsExactly with an offset took a minute)
      CloseFloats.assertClose("merged logits", pm.model().logits(ModelInput.of(m, new long[][] {ids})).toFloatArray(),
          expected, 1e-4f);
    }
  }

  /** Temporarily replaces System.in. */
  private static final class InputStreamSwap implements AutoCloseable {
    private final java.io.InputStream old = System.in;

    InputStreamSwap(String text) {
      System.setIn(new java.io.ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public void close() {
      System.setIn(old);
    }
  }
}
