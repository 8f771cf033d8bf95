package dev.align4j.recipes.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.config.YamlMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A pipeline: stages run in order, each stage's outputs feeding the next.
 *
 * <pre>
 * output_dir: runs/demo            # stage NAME writes to output_dir/NAME; markers in output_dir/stages/
 * seed: 42                         # every stage's seed (a stage's overrides may set its own)
 * stages:
 *   - name: sft
 *     kind: sft                    # StageKind: incident_data, char_model, pt, sft, rm, dpo, ..., eval
 *     recipe: recipes/demo_sft.yaml
 *     overrides: {model_name_or_path: "${pt.model}", max_steps: 300}
 * </pre>
 *
 * <p>{@code ${stage.output}} in an override names an output of an earlier stage (see {@link
 * StageDriver#outputs}); {@code output_dir} is the pipeline's to set.
 *
 * @param source the file it was read from (errors name it)
 * @param outputDir the pipeline's directory
 * @param seed every stage's seed unless its overrides set one
 * @param stages in running order
 */
public record PipelineRecipe(Path source, Path outputDir, long seed, List<StageSpec> stages) {
  private static final Set<String> TOP_KEYS = Set.of("output_dir", "seed", "stages");
  private static final Set<String> STAGE_KEYS = Set.of("name", "kind", "recipe", "overrides");

  /**
   * One stage as written.
   *
   * @param name unique; its directory under the pipeline's and the prefix of its outputs' references
   * @param recipe the stage's recipe file, or empty for kinds that need none
   * @param overrides key to value text, applied over the recipe file (may hold {@code ${stage.output}})
   */
  public record StageSpec(String name, StageKind kind, Optional<Path> recipe, Map<String, String> overrides) {
    public StageSpec {
      overrides = Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
    }
  }

  public PipelineRecipe {
    stages = List.copyOf(stages);
    if (stages.isEmpty()) {
      throw new IllegalArgumentException(source + ": stages: at least one stage is needed");
    }
    Set<String> seen = new HashSet<>();
    for (StageSpec s : stages) {
      if (!seen.add(s.name())) {
        throw new IllegalArgumentException(source + ": stages: the name '" + s.name() + "' is used twice");
      }
    }
  }

  /**
   * Reads a pipeline recipe and applies {@code key=value} overrides: {@code output_dir=DIR}, {@code
   * seed=N}, {@code STAGE.recipe=FILE} or {@code STAGE.KEY=VALUE} (a stage override). Errors name the
   * file and the key.
   */
  public static PipelineRecipe load(Path yaml, List<String> overrides) throws IOException {
    JsonNode root = YamlMapping.read(yaml, TOP_KEYS, "output_dir, seed, stages", "a stage's keys go under its overrides");
    JsonNode out = root.get("output_dir");
    if (out == null || !out.isTextual() || out.asText().isBlank()) {
      throw new IllegalArgumentException(yaml + ": output_dir is required (a string)");
    }
    String outputDir = out.asText();
    long seed = 42;
    if (root.has("seed")) {
      if (!root.get("seed").canConvertToExactIntegral()) {
        throw new IllegalArgumentException(yaml + ": seed must be an integer, got " + root.get("seed"));
      }
      seed = root.get("seed").asLong();
    }
    JsonNode list = root.get("stages");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException(yaml + ": stages must be a list");
    }
    List<StageSpec> stages = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      stages.add(stage(list.get(i), yaml, i));
    }
    // command-line overrides, in order
    for (String ov : overrides) {
      int eq = ov.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("override '" + ov + "' is not key=value");
      }
      String key = ov.substring(0, eq).trim();
      String value = ov.substring(eq + 1);
      if (key.equals("output_dir")) {
        outputDir = value;
      } else if (key.equals("seed")) {
        try {
          seed = Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("override '" + ov + "': seed must be an integer");
        }
      } else if (key.contains(".")) {
        String name = key.substring(0, key.indexOf('.'));
        String stageKey = key.substring(key.indexOf('.') + 1);
        int idx = indexOf(stages, name);
        if (idx < 0) {
          throw new IllegalArgumentException("override '" + ov + "': no stage '" + name + "' in " + yaml + " (stages: "
              + stages.stream().map(StageSpec::name).toList() + ")");
        }
        StageSpec s = stages.get(idx);
        if (stageKey.equals("recipe")) {
          stages.set(idx, new StageSpec(s.name(), s.kind(), Optional.of(Path.of(value)), s.overrides()));
        } else {
          Map<String, String> o = new LinkedHashMap<>(s.overrides());
          o.remove(stageKey);   // a command-line value goes last, as in a stage command
          o.put(stageKey, value);
          stages.set(idx, new StageSpec(s.name(), s.kind(), s.recipe(), o));
        }
      } else {
        throw new IllegalArgumentException("override '" + ov + "': unknown key '" + key + "' (valid: output_dir, seed,"
            + " STAGE.recipe, STAGE.KEY)");
      }
    }
    return new PipelineRecipe(yaml, Path.of(outputDir), seed, stages);
  }

  private static StageSpec stage(JsonNode t, Path yaml, int i) {
    String where = yaml + ": stages[" + i + "]";
    if (t == null || !t.isObject()) {
      throw new IllegalArgumentException(where + ": expected a mapping with name, kind, recipe, overrides");
    }
    JsonNode n = t.get("name");
    String named = n != null && n.isTextual() ? where + " (" + n.asText() + ")" : where;
    for (Iterator<String> it = t.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!STAGE_KEYS.contains(k)) {
        throw new IllegalArgumentException(named + ": unknown key '" + k + "' (valid: name, kind, recipe, overrides;"
            + " recipe keys go under overrides)");
      }
    }
    if (n == null || !n.isTextual() || !n.asText().matches("[A-Za-z0-9_-]+")) {
      throw new IllegalArgumentException(where + ": name is required: letters, digits, '_' or '-'"
          + (n == null ? "" : ", got " + n));
    }
    String name = n.asText();
    where = yaml + ": stages[" + i + "] (" + name + ")";
    JsonNode k = t.get("kind");
    if (k == null || !k.isTextual()) {
      throw new IllegalArgumentException(where + ": kind is required (" + StageKind.choices() + ")");
    }
    StageKind kind;
    try {
      kind = StageKind.of(k.asText());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": kind: " + e.getMessage(), e);
    }
    Optional<Path> recipe = Optional.empty();
    if (t.has("recipe")) {
      if (!t.get("recipe").isTextual() || t.get("recipe").asText().isBlank()) {
        throw new IllegalArgumentException(where + ": recipe must be a file name");
      }
      Path p = Path.of(t.get("recipe").asText());
      Path besides = yaml.toAbsolutePath().getParent().resolve(p);
      recipe = Optional.of(Files.exists(p) || !Files.exists(besides) ? p : besides);
    }
    Map<String, String> overrides = new LinkedHashMap<>();
    JsonNode o = t.get("overrides");
    if (o != null && !o.isNull()) {
      if (!o.isObject()) {
        throw new IllegalArgumentException(where + ": overrides must be a mapping of recipe keys");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        JsonNode v = e.getValue();
        overrides.put(e.getKey(), v.isTextual() ? v.asText() : v.isNull() ? "" : v.toString());
      }
    }
    return new StageSpec(name, kind, recipe, overrides);
  }

  private static int indexOf(List<StageSpec> stages, String name) {
    for (int i = 0; i < stages.size(); i++) {
      if (stages.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /** The directory of stage {@code name}. */
  public Path stageDir(String name) {
    return outputDir.resolve(name);
  }

  /** Where a finished stage's marker is written. */
  public Path markerFile(String name) {
    return outputDir.resolve("stages").resolve(name + ".json");
  }
}
