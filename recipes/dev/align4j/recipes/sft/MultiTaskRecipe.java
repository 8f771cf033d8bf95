package dev.align4j.recipes.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.peft.config.YamlMapping;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Several LoRA task adapters on one base, trained one after another on the same loaded model:
 *
 * <pre>
 * model_name_or_path: runs/demo/pt/model
 * output_dir: runs/multi              # adapters/NAME/ (PEFT format) and tasks/NAME/ (metrics, checkpoints)
 * defaults: {lora_rank: 8}            # SFT keys every task shares
 * tasks:
 *   - adapter: incident
 *     recipe: recipes/demo_sft.yaml   # optional: an SFT recipe the task starts from
 *     dataset: data/incident.jsonl    # any SFT key, over the recipe and the defaults
 *   - adapter: risk
 *     dataset: data/risk.jsonl
 * </pre>
 *
 * <p>Each task is an SFT recipe: its {@code recipe} file's keys, then {@code defaults}, then its own
 * keys; {@code model_name_or_path} and {@code output_dir} are the top level's ({@code
 * output_dir/tasks/NAME}). Every task must be LoRA without quantisation or merging.
 *
 * @param modelNameOrPath the shared base
 * @param outputDir the run's directory
 * @param tasks in training order
 */
public record MultiTaskRecipe(String modelNameOrPath, Path outputDir, List<Task> tasks) {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP_KEYS = Set.of("model_name_or_path", "output_dir", "defaults", "tasks");

  /** One task: its adapter name and its resolved SFT recipe. */
  public record Task(String adapter, SftRecipe recipe) {}

  public MultiTaskRecipe {
    tasks = List.copyOf(tasks);
    if (tasks.isEmpty()) {
      throw new IllegalArgumentException("tasks: at least one task is needed");
    }
    Set<String> seen = new HashSet<>();
    for (Task t : tasks) {
      if (!seen.add(t.adapter())) {
        throw new IllegalArgumentException("tasks: the adapter name '" + t.adapter() + "' is used twice");
      }
    }
  }

  /** The directory adapter {@code name} is saved to: {@code output_dir/adapters/NAME}. */
  public Path adapterDir(String name) {
    return outputDir.resolve("adapters").resolve(name);
  }

  /** Reads a multi-task recipe; errors name the file and the key. */
  public static MultiTaskRecipe load(Path yaml) throws IOException {
    JsonNode root = YamlMapping.read(yaml, TOP_KEYS, "model_name_or_path, output_dir, tasks, defaults",
        "SFT keys go under defaults or a task");
    String base = text(root, "model_name_or_path", yaml);
    Path out = Path.of(text(root, "output_dir", yaml));
    JsonNode defaults = root.path("defaults");
    if (!defaults.isMissingNode() && !defaults.isObject()) {
      throw new IllegalArgumentException(yaml + ": defaults must be a mapping of SFT keys");
    }
    JsonNode list = root.get("tasks");
    if (list == null || !list.isArray()) {
      throw new IllegalArgumentException(yaml + ": tasks must be a list");
    }
    List<Task> tasks = new ArrayList<>();
    for (int i = 0; i < list.size(); i++) {
      String where = yaml + ": tasks[" + i + "]";
      JsonNode t = list.get(i);
      if (!t.isObject()) {
        throw new IllegalArgumentException(where + ": expected a mapping");
      }
      String name = text(t, "adapter", yaml);
      if (!name.matches("[A-Za-z0-9_-]+")) {
        throw new IllegalArgumentException(where + ": adapter '" + name + "' must be letters, digits, '_' or '-'");
      }
      ObjectNode keys = YAML.createObjectNode();
      if (t.has("recipe")) {
        Path recipe = yaml.toAbsolutePath().getParent().resolve(t.get("recipe").asText());
        if (!Files.isRegularFile(recipe)) {
          recipe = Path.of(t.get("recipe").asText());                 // relative to the working directory
        }
        keys.setAll(SftRecipe.load(recipe, List.of()).toJson());
      }
      if (defaults.isObject()) {
        keys.setAll((ObjectNode) defaults);
      }
      for (Map.Entry<String, JsonNode> e : iterable(t.fields())) {
        if (!e.getKey().equals("adapter") && !e.getKey().equals("recipe")) {
          keys.set(e.getKey(), e.getValue());
        }
      }
      keys.put("model_name_or_path", base);
      keys.put("output_dir", out.resolve("tasks").resolve(name).toString());
      SftRecipe r = SftRecipe.from(keys, where);
      if (r.finetuningType() != FinetuningType.LORA || r.quantizationBit() != 0 || r.merge()) {
        throw new IllegalArgumentException(where + ": adapters that share one base are LoRA (finetuning_type lora,"
            + " quantization_bit 0, merge false)");
      }
      tasks.add(new Task(name, r));
    }
    return new MultiTaskRecipe(base, out, tasks);
  }

  private static String text(JsonNode n, String key, Path yaml) {
    JsonNode v = n.get(key);
    if (v == null || !v.isTextual() || v.asText().isBlank()) {
      throw new IllegalArgumentException(yaml + ": " + key + " is required (a string)");
    }
    return v.asText();
  }

  private static <T> Iterable<T> iterable(Iterator<T> it) {
    return () -> it;
  }
}
