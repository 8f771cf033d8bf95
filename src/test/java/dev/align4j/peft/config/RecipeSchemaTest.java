package dev.align4j.peft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.train.ScheduleType;
import dev.align4j.peft.train.TrainingKeys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The key registry: parsing, defaults, errors that list what is valid, round trips, diffs. */
class RecipeSchemaTest {
  enum Color { RED, DARK_BLUE }

  record Toy(String path, int rank, double rate, Precision precision, ScheduleType lrSchedulerType,
      Optional<Color> color, boolean flag, long maxSteps) {}

  static final RecipeSchema<Toy> SCHEMA = new RecipeSchema<>(Toy.class, List.of(
      ConfigKey.required("path", KeyType.STRING, "where"),
      ConfigKey.of("rank", KeyType.INT, 8, "rank").check(ConfigKey.positive(), "> 0"),
      ConfigKey.of("rate", KeyType.DOUBLE, 1e-4, "rate"),
      TrainingKeys.PRECISION, TrainingKeys.LR_SCHEDULER,
      ConfigKey.of("color", KeyType.optionalChoice(Color.class, "none"), Optional.empty(), "color"),
      ConfigKey.of("flag", KeyType.BOOL, false, "flag"),
      TrainingKeys.MAX_STEPS));

  @TempDir Path tmp;

  @Test
  void defaultsOverridesAndTypedValues() throws Exception {
    Path y = tmp.resolve("r.yaml");
    Files.writeString(y, "path: a/b\nrate: 2e-4\nprecision: bf16\nlr_scheduler_type: LINEAR\n");
    Toy t = SCHEMA.load(y, List.of("rank=16", "color=dark_blue", "max_steps=7"));
    assertThat(t).isEqualTo(new Toy("a/b", 16, 2e-4, Precision.BFLOAT16, ScheduleType.LINEAR,
        Optional.of(Color.DARK_BLUE), false, 7));
    Toy d = SCHEMA.load(null, List.of("path=x"));
    assertThat(d).isEqualTo(new Toy("x", 8, 1e-4, Precision.FLOAT32, ScheduleType.COSINE, Optional.empty(), false, 100));
    assertThat(SCHEMA.load(null, List.of("path=x", "color=")).color()).isEmpty();
  }

  @Test
  void resolvedJsonReadsBackToTheSameRecord() {
    Toy t = new Toy("p", 3, 0.5, Precision.FLOAT64, ScheduleType.CONSTANT_WITH_WARMUP, Optional.of(Color.RED), true, 9);
    ObjectNode json = SCHEMA.toJson(t);
    assertThat(json.get("precision").asText()).isEqualTo("float64");
    assertThat(json.get("lr_scheduler_type").asText()).isEqualTo("constant_with_warmup");
    assertThat(json.get("color").asText()).isEqualTo("red");
    assertThat(SCHEMA.parse(json, "json")).isEqualTo(t);
    assertThat(SCHEMA.changes(json, t)).isEmpty();
  }

  @Test
  void errorsNameTheKeyAndListWhatIsValid() {
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "precison=bf16")))
        .hasMessageContaining("unknown key 'precison'").hasMessageContaining("did you mean 'precision'")
        .hasMessageContaining("path, rank, rate, precision, lr_scheduler_type, color, flag, max_steps");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "lr_scheduler_type=cosin")))
        .hasMessageContaining("lr_scheduler_type must be one of constant, constant_with_warmup, linear, cosine, got 'cosin'");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "precision=fp8")))
        .hasMessageContaining("precision must be one of float32, float64, bfloat16");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "color=green")))
        .hasMessageContaining("color must be empty (none) or one of red, dark_blue");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "rank=0"))).hasMessageContaining("rank must be > 0, got 0");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "rank=1.5"))).hasMessageContaining("rank must be an integer");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path=x", "flag=yes please")))
        .hasMessageContaining("flag must be true or false");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("rank=2"))).hasMessageContaining("missing required key 'path'");
    assertThatThrownBy(() -> SCHEMA.load(null, List.of("path"))).hasMessageContaining("override 'path' is not key=value");
  }

  @Test
  void aBindingMismatchIsCaughtWhenTheSchemaIsBuilt() {
    assertThatThrownBy(() -> new RecipeSchema<>(Toy.class, List.of(ConfigKey.required("path", KeyType.STRING, "p"))))
        .hasMessageContaining("Toy.rank has no config key");
    record Two(String path, int rank) {}
    assertThatThrownBy(() -> new RecipeSchema<>(Two.class, List.of(ConfigKey.required("path", KeyType.STRING, "p"),
        ConfigKey.of("rank", KeyType.LONG, 1L, "r")))).hasMessageContaining("Two.rank is a int, key rank reads a Long");
  }

  @Test
  void changesCompareValuesNotSpellings() throws Exception {
    Toy t = SCHEMA.load(null, List.of("path=x", "rate=0.5"));
    ObjectNode written = (ObjectNode) new ObjectMapper().readTree(
        "{\"path\": \"x\", \"rank\": 8, \"rate\": \"5e-1\", \"precision\": \"FP32\", \"max_steps\": 3}");
    Map<String, JsonNode[]> c = SCHEMA.changes(written, t);
    assertThat(c.keySet()).containsExactly("max_steps");   // absent keys count as their defaults
  }

  @Test
  void requireSameRunListsChangesAndRecordsAcceptedOnes() {
    Toy before = new Toy("x", 8, 0.5, Precision.FLOAT32, ScheduleType.COSINE, Optional.empty(), false, 10);
    ObjectNode prev = SCHEMA.toJson(before);
    prev.putObject("provenance").put("dataset_sha256", "aa");
    ObjectNode prov = new ObjectMapper().createObjectNode().put("dataset_sha256", "aa");
    Path f = tmp.resolve("resolved_config.json");
    Toy longer = new Toy("x", 8, 0.5, Precision.FLOAT32, ScheduleType.COSINE, Optional.empty(), false, 20);
    assertThat(ResolvedConfig.requireSameRun(SCHEMA, prev, longer, prov, 10, Set.of("max_steps"), Set.of(), false, f)
        .has("config_changes")).isFalse();
    Toy other = new Toy("x", 4, 0.25, Precision.FLOAT32, ScheduleType.COSINE, Optional.empty(), false, 10);
    assertThatThrownBy(() -> ResolvedConfig.requireSameRun(SCHEMA, prev, other, prov, 10, Set.of("max_steps"), Set.of(),
        false, f)).hasMessageContaining("rank 8 -> 4").hasMessageContaining("rate 0.5 -> 0.25")
        .hasMessageContaining("allow_config_change=true");
    ObjectNode changedData = prov.deepCopy().put("dataset_sha256", "bb");
    assertThatThrownBy(() -> ResolvedConfig.requireSameRun(SCHEMA, prev, before, changedData, 10, Set.of(), Set.of(),
        false, f)).hasMessageContaining("dataset_sha256 \"aa\" -> \"bb\"");
    assertThatThrownBy(() -> ResolvedConfig.requireSameRun(SCHEMA, prev, other, prov, 10, Set.of(), Set.of("rank"), true, f))
        .hasMessageContaining("impossible even with allow_config_change").hasMessageContaining("rank 8 -> 4");
    ObjectNode p = ResolvedConfig.requireSameRun(SCHEMA, prev, other, prov, 10, Set.of(), Set.of(), true, f);
    assertThat(p.at("/config_changes/0/resumed_at_step").asLong()).isEqualTo(10);
    assertThat(p.at("/config_changes/0/changed/rank/from").asInt()).isEqualTo(8);
    assertThat(p.at("/config_changes/0/changed/rank/to").asInt()).isEqualTo(4);
    // the history travels with the run: a later resume keeps the earlier entries
    ObjectNode later = SCHEMA.toJson(other);
    later.set("provenance", p);
    ObjectNode p2 = ResolvedConfig.requireSameRun(SCHEMA, later, other, prov, 12, Set.of(), Set.of(), false, f);
    assertThat(p2.get("config_changes").size()).isEqualTo(1);
  }

  @Test
  void markdownTableHasOneRowPerKey() {
    String t = SCHEMA.markdownTable();
    assertThat(t.lines()).hasSize(2 + SCHEMA.keys().size());
    assertThat(t).contains("| `rank` | integer, > 0 | `8` | rank |")
        .contains("| `path` | string | required | where |")
        .contains("| `lr_scheduler_type` | `constant` \\| `constant_with_warmup` \\| `linear` \\| `cosine` | `cosine` |")
        .contains("| `rate` | number | `1.0e-4` |");
  }
}
