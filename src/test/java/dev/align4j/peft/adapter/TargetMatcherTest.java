package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * PEFT's target rules on names the goldens do not reach (derived from {@code check_target_module_exists}
 * and {@code get_pattern_key}, and each answer checked once by calling those functions of peft 0.21; the
 * goldens check the common cases against whole PEFT models).
 */
class TargetMatcherTest {
  private static TargetMatcher of(String json) throws Exception {
    JsonNode c = new ObjectMapper().readTree(json);
    return TargetMatcher.fromConfig(c, List.of("q_proj", "v_proj"));
  }

  @Test
  void suffixMatchIsOnWholeNameSegments() throws Exception {
    TargetMatcher m = of("{\"target_modules\": [\"q_proj\"]}");
    assertThat(m.matches("model.layers.0.self_attn.q_proj")).isTrue();
    assertThat(m.matches("model.layers.0.self_attn.xq_proj")).isFalse();
    assertThat(m.matches("q_proj")).isTrue();   // equal to an entry
  }

  @Test
  void aRegexMustMatchTheWholeName() throws Exception {
    assertThat(of("{\"target_modules\": \"q_proj\"}").matches("model.layers.0.self_attn.q_proj")).isFalse();
    assertThat(of("{\"target_modules\": \".*q_proj\"}").matches("model.layers.0.self_attn.q_proj")).isTrue();
    // Python named groups are accepted
    assertThat(of("{\"target_modules\": \".*layers\\\\.(?P<i>1)\\\\..*q_proj\"}").matches("model.layers.1.self_attn.q_proj"))
        .isTrue();
  }

  @Test
  void layerIndexIsTheFirstNumberAfterThePattern() throws Exception {
    TargetMatcher m = of("{\"target_modules\": [\"down_proj\"], \"layers_to_transform\": [1], \"layers_pattern\": \"layers\"}");
    assertThat(m.matches("model.layers.1.mlp.down_proj")).isTrue();
    assertThat(m.matches("model.layers.0.mlp.down_proj")).isFalse();
    // a nested index (an MoE expert) is not the layer index
    assertThat(m.matches("model.layers.0.mlp.experts.1.down_proj")).isFalse();
    assertThat(of("{\"target_modules\": [\"down_proj\"], \"layers_to_transform\": 1, \"layers_pattern\": [\"blocks\"]}")
        .matches("model.layers.1.mlp.down_proj")).isFalse();
    // without a pattern: the first number after the second name segment
    assertThat(of("{\"target_modules\": [\"down_proj\"], \"layers_to_transform\": 1}").matches("model.layers.1.mlp.down_proj"))
        .isTrue();
    // a full path in target_modules is taken as given, whatever layers_to_transform says
    assertThat(of("{\"target_modules\": [\"model.layers.0.mlp.down_proj\"], \"layers_to_transform\": [1]}")
        .matches("model.layers.0.mlp.down_proj")).isTrue();
  }

  @Test
  void excludedAndSavedModulesAreNeverTargets() throws Exception {
    TargetMatcher m = of("{\"target_modules\": \"all-linear\", \"exclude_modules\": [\"layers.0.self_attn.k_proj\"],"
        + " \"modules_to_save\": [\"lm_head\", \"o_proj\"]}");
    assertThat(m.matches("model.layers.0.self_attn.k_proj")).isFalse();
    assertThat(m.matches("model.layers.1.self_attn.o_proj")).isFalse();
    TargetMatcher r = of("{\"target_modules\": [\"q_proj\", \"k_proj\"], \"exclude_modules\": \".*layers\\\\.1\\\\..*\"}");
    assertThat(r.matches("model.layers.1.self_attn.q_proj")).isFalse();
    assertThat(r.matches("model.layers.0.self_attn.q_proj")).isTrue();
  }

  @Test
  void patternKeysFollowGetPatternKey() {
    PatternKeys p = new PatternKeys("rank_pattern", new java.util.LinkedHashMap<>(java.util.Map.of("q_proj", 2.0)));
    assertThat(p.valueFor("model.layers.0.self_attn.q_proj", 8)).isEqualTo(2.0);
    assertThat(p.valueFor("model.layers.0.self_attn.xq_proj", 8)).isEqualTo(8.0);
    PatternKeys first = new PatternKeys("alpha_pattern", new java.util.LinkedHashMap<>() {{
        put("layers\\.0\\..*", 3.0);
        put("q_proj", 5.0);
      }});
    assertThat(first.valueFor("model.layers.0.self_attn.q_proj", 8)).isEqualTo(3.0);   // first key in order wins
    assertThat(first.valueFor("model.layers.1.self_attn.q_proj", 8)).isEqualTo(5.0);
  }

  @Test
  void badValuesAreNamed() {
    assertThatThrownBy(() -> of("{\"target_modules\": 3}")).hasMessageContaining("target_modules");
    assertThatThrownBy(() -> of("{\"target_modules\": [\"q_proj\"], \"layers_to_transform\": \"1\"}"))
        .hasMessageContaining("layers_to_transform");
    assertThatThrownBy(() -> of("{\"target_modules\": [\"q_proj\"], \"exclude_modules\": \"(\"}"))
        .hasMessageContaining("exclude_modules: not a valid regex");
  }
}
