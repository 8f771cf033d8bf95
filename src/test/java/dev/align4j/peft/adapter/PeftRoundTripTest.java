package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * align4j -> PEFT without Python: every LoRA-family adapter PEFT made (goldens), loaded and saved again
 * by align4j, has PEFT's tensor names, shapes and values, a config that selects the same modules with
 * the same rank and alpha under PEFT's rules (target names or full paths, rank_pattern/alpha_pattern),
 * and still gives PEFT's log-probs. (interop/checks/check_peft_out_*.py load align4j's adapters in PEFT
 * itself.)
 */
class PeftRoundTripTest {
  @TempDir Path tmp;

  static Stream<String> loraCases() throws IOException {
    return PeftGoldensTest.cases().filter(c -> {
      try {
        return PeftGoldensTest.expected(c).get("peft_config").asText().equals("LoraConfig");
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
  }

  @ParameterizedTest
  @MethodSource("loraCases")
  void savedAgainAsPeftWroteIt(String c) throws IOException {
    JsonNode e = PeftGoldensTest.expected(c);
    Path golden = PeftGoldensTest.DIR.resolve(c);
    Path base = PeftGoldensTest.DIR.resolve(e.get("base").asText());
    Path out = tmp.resolve(c);
    try (NDManager m = Torch.newManager(); PretrainedModel pm = ModelLoader.load(base, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, golden, "default");
      PeftAdapterFiles.save(peft, "default", out, null);
      // the same modules, ranks and alphas under PEFT's selection rules
      assertThat(selection(out, pm)).isEqualTo(selection(golden, pm));
    }
    try (SafetensorsFile want = SafetensorsFile.open(golden.resolve(PeftAdapterFiles.WEIGHTS));
        SafetensorsFile got = SafetensorsFile.open(out.resolve(PeftAdapterFiles.WEIGHTS))) {
      assertThat(got.tensors().keySet()).containsExactlyInAnyOrderElementsOf(want.tensors().keySet());
      for (String t : want.tensors().keySet()) {
        assertThat(got.info(t).shape()).as(t).containsExactly(want.info(t).shape());
        assertThat(got.toFloatArray(t)).as(t).containsExactly(want.toFloatArray(t));
      }
    }
    try (NDManager m = Torch.newManager(); PretrainedModel pm = ModelLoader.load(base, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftAdapters.apply(pm.model(), Map.of("default", out), null);
      assertThat(PeftGoldensTest.maxDiff(PeftGoldensTest.logprobs(pm.model(), m, e.get("ids")), e.get("logprobs")))
          .isLessThan(PeftGoldensTest.TOL);
    }
  }

  /** Module path -> "r=.., alpha=.., scaling=.." as PEFT would build the adapter from this config. */
  private static Map<String, String> selection(Path dir, PretrainedModel pm) throws IOException {
    LinkedHashMap<String, LoraConfig> modules = PeftAdapterFiles.readSpec(dir).resolve(pm.model().config());
    TreeMap<String, String> out = new TreeMap<>();
    modules.forEach((p, c) -> out.put(p, "r=" + c.r() + " alpha=" + c.alpha() + " scaling=" + c.scaling()
        + " dora=" + c.useDora()));
    out.put("modules_to_save", PeftAdapterFiles.readSpec(dir).base().modulesToSave().toString());
    return out;
  }
}
