package dev.align4j.recipes.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Greedy generation tokens/s of align4j next to transformers' {@code generate} on the same random
 * checkpoint, prompts and thread count, in one run on one machine; the two greedy outputs are
 * compared token by token.
 *
 * <p>tokens/s counts generated tokens over the wall time of the whole {@code generate} call (prompt
 * forward included), for both sides.
 */
public final class GenerateBenchmark {
  /** One batch size measured on both sides. */
  public record Row(int batch, int promptTokens, int newTokens, double align4jSeconds, double hfSeconds,
      int identicalRows) {
    /** align4j's generated tokens per second. */
    public double align4jTokensPerSec() {
      return (double) batch * newTokens / align4jSeconds;
    }

    /** transformers' generated tokens per second. */
    public double hfTokensPerSec() {
      return (double) batch * newTokens / hfSeconds;
    }
  }

  private GenerateBenchmark() {}

  /** SmolLM2-135M's shape with a 152k (Qwen2.5) vocabulary. */
  public static ModelConfig smolLm2Vocab152k() {
    ModelConfig s = ModelBenchmark.smolLm2Shape();
    return new ModelConfig(s.family(), 151936, s.hiddenSize(), s.intermediateSize(), s.numLayers(), s.numHeads(),
        s.numKvHeads(), s.headDim(), s.rmsNormEps(), s.ropeTheta(), null, s.maxPositionEmbeddings(), true, false,
        "float32");
  }

  /**
   * Measures every batch size on both sides.
   *
   * @param python the interpreter with torch and transformers
   * @param script {@code bench/generate_hf.py}
   */
  public static List<Row> run(ModelConfig c, int[] batches, int newTokens, int minPrompt, int maxPrompt,
      Path python, Path script, PrintStream log) throws IOException, InterruptedException {
    Path dir = Files.createTempDirectory("align4j-bench-generate");
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 0, 0.02, 0, DataType.FLOAT32);
      try (CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m, w)) {
        ObjectNode cfgJson = c.toJson();
        cfgJson.putNull("bos_token_id");
        cfgJson.putNull("eos_token_id");    // neither side stops early: every row makes newTokens
        ModelSaver.save(model, cfgJson, Optional.empty(), dir.resolve("model"), ModelSaver.DEFAULT_MAX_SHARD_BYTES);
        SplittableRandom rng = new SplittableRandom(1);
        ObjectMapper json = new ObjectMapper();
        ObjectNode spec = json.createObjectNode();
        ObjectNode specBatches = spec.putObject("batches");
        List<List<long[]>> prompts = new ArrayList<>();
        for (int b : batches) {
          List<long[]> rows = new ArrayList<>();
          var arr = specBatches.putArray(Integer.toString(b));
          for (int i = 0; i < b; i++) {
            long[] p = new long[minPrompt + rng.nextInt(maxPrompt - minPrompt + 1)];
            var row = arr.addArray();
            for (int j = 0; j < p.length; j++) {
              p[j] = 1 + rng.nextInt(c.vocabSize() - 1);
              row.add(p[j]);
            }
            rows.add(p);
          }
          prompts.add(rows);
        }
        int threads = JniUtils.getNumThreads();
        spec.put("new_tokens", newTokens).put("threads", threads).put("pad", 0);
        Files.writeString(dir.resolve("prompts.json"), spec.toString());
        log.printf("load before: %s", loadAverage());
        JsonNode hf = transformers(python, script, dir, json);
        log.printf("transformers done (%s, %d threads); load: %s", hf.get("versions").asText(),
            hf.get("threads").asInt(), loadAverage());
        Generator gen = new Generator(model);
        GenerationConfig greedy = GenerationConfig.greedy(newTokens);
        gen.generate(prompts.get(0).subList(0, 1), GenerationConfig.greedy(4), null);   // warm-up
        List<Row> out = new ArrayList<>();
        for (int k = 0; k < batches.length; k++) {
          List<long[]> rows = prompts.get(k);
          long t0 = System.nanoTime();
          List<Completion> got = gen.generate(rows, greedy, null);
          double seconds = (System.nanoTime() - t0) / 1e9;
          JsonNode ref = hf.get("rows").get(Integer.toString(batches[k]));
          int identical = 0;
          for (int i = 0; i < rows.size(); i++) {
            long[] theirs = json.treeToValue(ref.get("outputs").get(i), long[].class);
            identical += java.util.Arrays.equals(theirs, got.get(i).tokens()) ? 1 : 0;
          }
          int promptTokens = rows.stream().mapToInt(r -> r.length).sum();
          out.add(new Row(batches[k], promptTokens, newTokens, seconds, ref.get("seconds").asDouble(), identical));
          log.printf("align4j batch %d: %.2f s%n", batches[k], seconds);
        }
        log.printf("align4j done (%d threads); load: %s", threads, loadAverage());
        return out;
      }
    } finally {
      try (Stream<Path> s = Files.walk(dir)) {
        s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static JsonNode transformers(Path python, Path script, Path dir, ObjectMapper json)
      throws IOException, InterruptedException {
    Process proc = new ProcessBuilder(python.toString(), script.toString(), dir.resolve("model").toString(),
        dir.resolve("prompts.json").toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String stdout;
    try (InputStream in = proc.getInputStream()) {
      stdout = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int rc = proc.waitFor();
    if (rc != 0) {
      throw new IOException(python + " " + script + " exited with " + rc);
    }
    String last = stdout.strip();
    last = last.substring(last.lastIndexOf('\n') + 1);
    return json.readTree(last);
  }

  /** The 1/5/15-minute load averages, as /proc/loadavg says (empty elsewhere). */
  static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg"));
    } catch (IOException e) {
      return "unknown\n";
    }
  }
}
