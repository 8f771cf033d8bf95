package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Adapters the real PEFT 0.21 made on tiny transformers checkpoints (src/test/resources/peft/in, made
 * by make_goldens.py there): align4j applies each and gives PEFT's own log-probs.
 */
class PeftGoldensTest {
  static final Path DIR = Path.of("src/test/resources/peft/in");
  private static final ObjectMapper JSON = new ObjectMapper();
  static final double TOL = 2e-5;

  @TempDir Path tmp;

  static Stream<String> cases() throws IOException {
    try (Stream<Path> s = Files.list(DIR)) {
      return s.filter(p -> Files.exists(p.resolve("expected.json"))).map(p -> p.getFileName().toString()).sorted()
          .toList().stream();
    }
  }

  static JsonNode expected(String c) throws IOException {
    return JSON.readTree(DIR.resolve(c).resolve("expected.json").toFile());
  }

  /** log p(ids[t] | ids[:t]), t >= 1, per sequence. */
  static List<double[]> logprobs(CausalLM model, NDManager m, JsonNode ids) {
    List<double[]> out = new ArrayList<>();
    for (JsonNode seq : ids) {
      long[] x = new long[seq.size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = seq.get(i).asLong();
      }
      try (NDManager step = m.newSubManager()) {
        ModelInput in = ModelInput.of(step, new long[][] {x});
        NDArray logits = model.logits(in).get(":, :-1, :");
        float[] lp = CausalLM.tokenLogProbs(logits, in.inputIds().get(":, 1:")).toFloatArray();
        double[] d = new double[lp.length];
        for (int i = 0; i < d.length; i++) {
          d[i] = lp[i];
        }
        out.add(d);
      }
    }
    return out;
  }

  static double maxDiff(List<double[]> got, JsonNode want) {
    assertThat(got).hasSize(want.size());
    double max = 0;
    for (int s = 0; s < got.size(); s++) {
      assertThat(got.get(s)).hasSize(want.get(s).size());
      for (int i = 0; i < got.get(s).length; i++) {
        max = Math.max(max, Math.abs(got.get(s)[i] - want.get(s).get(i).asDouble()));
      }
    }
    return max;
  }

  private static PretrainedModel base(String c, NDManager m) throws IOException {
    return ModelLoader.load(DIR.resolve(expected(c).get("base").asText()), Precision.FLOAT32, AttentionImpl.COMPOSED, m);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void logprobsEqualPefts(String c) throws IOException {
    JsonNode e = expected(c);
    try (NDManager m = Torch.newManager(); PretrainedModel pm = base(c, m)) {
      PeftAdapters.Applied a = PeftAdapters.apply(pm.model(), Map.of("default", DIR.resolve(c)), null);
      assertThat(maxDiff(logprobs(pm.model(), m, e.get("ids")), e.get("logprobs"))).as(c).isLessThan(TOL);
      // the adapter matters: without it, the base model's log-probs (also PEFT's numbers)
      assertThat(maxDiff(logprobs(pm.model(), m, e.get("ids")), e.get("base_logprobs"))).as(c).isGreaterThan(1e-3);
      a.state().disable();
      assertThat(maxDiff(logprobs(pm.model(), m, e.get("ids")), e.get("base_logprobs"))).as(c).isLessThan(TOL);
    }
  }

  /**
   * Defects 2 and 3 of issue 8: an all-linear adapter (target_modules saved as full paths) merges, and
   * the merged checkpoint includes the modules_to_save copies (lm_head, embed_tokens): reloaded alone,
   * it gives PEFT's log-probs of base + adapter.
   */
  @ParameterizedTest
  @MethodSource("mergeable")
  void mergedCheckpointGivesPeftsLogprobs(String c) throws IOException {
    JsonNode e = expected(c);
    Path out = tmp.resolve(c);
    try (NDManager m = Torch.newManager(); PretrainedModel pm = base(c, m)) {
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, DIR.resolve(c), "default");
      peft.merge();
      ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), out, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      // merged forward with adapters off is still the base (the originals are kept for unmerge)
      try (AutoCloseable off = peft.disableAdapters()) {
        assertThat(maxDiff(logprobs(pm.model(), m, e.get("ids")), e.get("base_logprobs"))).isLessThan(TOL);
      } catch (Exception ex) {
        throw new AssertionError(ex);
      }
      peft.unmerge();
      assertThat(maxDiff(logprobs(pm.model(), m, e.get("ids")), e.get("logprobs"))).isLessThan(TOL);
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel merged = ModelLoader.load(out, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThat(maxDiff(logprobs(merged.model(), m, e.get("ids")), e.get("logprobs"))).as(c).isLessThan(TOL);
    }
  }

  static Stream<String> mergeable() {
    return Stream.of("lora_all_linear", "lora_regex", "lora_rank_alpha_pattern", "dora", "dora_rslora_pattern_qwen2",
        "mts_lm_head", "mts_embed");
  }

  @Test
  void mergingModulesToSaveIntoTiedEmbeddingsIsRefused() throws IOException {
    try (NDManager m = Torch.newManager(); PretrainedModel pm = base("tied_mts_lm_head", m)) {
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, DIR.resolve("tied_mts_lm_head"), "default");
      assertThatThrownBy(peft::merge).hasMessageContaining("tie_word_embeddings").hasMessageContaining("lm_head");
    }
  }

  @Test
  void severalNamedLoraAdaptersOneActive() throws IOException {
    JsonNode names = expected("lora_names");
    JsonNode rslora = expected("lora_rslora");
    try (NDManager m = Torch.newManager(); PretrainedModel pm = base("lora_names", m)) {
      LinkedHashMap<String, Path> both = new LinkedHashMap<>();
      both.put("a", DIR.resolve("lora_names"));
      both.put("b", DIR.resolve("lora_rslora"));
      PeftAdapters.Applied a = PeftAdapters.apply(pm.model(), both, "b");
      assertThat(maxDiff(logprobs(pm.model(), m, rslora.get("ids")), rslora.get("logprobs"))).isLessThan(TOL);
      a.lora().setActive("a");
      assertThat(maxDiff(logprobs(pm.model(), m, names.get("ids")), names.get("logprobs"))).isLessThan(TOL);
    }
  }
}
