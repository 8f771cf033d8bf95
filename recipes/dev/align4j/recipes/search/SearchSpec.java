package dev.align4j.recipes.search;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.align4j.peft.search.BayesianSearch;
import dev.align4j.peft.search.Direction;
import dev.align4j.peft.search.GeneticSearch;
import dev.align4j.peft.search.Kernel;
import dev.align4j.peft.search.Param;
import dev.align4j.peft.search.Pruner;
import dev.align4j.peft.search.SearchSpace;
import dev.align4j.peft.search.Strategy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A hyper-parameter search ({@code align4j search --config S.yaml}), read from YAML; unknown keys at
 * any level are errors naming the key and listing the valid ones.
 *
 * @param stage the align4j subcommand each trial runs ({@code sft}, {@code pt}, later {@code rm}, {@code dpo}, ...):
 *     any subcommand that takes {@code --config R.yaml key=value...} and writes {@code metrics.jsonl}
 * @param recipe the base recipe every trial starts from
 * @param overrides {@code key: value} applied to every trial (e.g. a shorter {@code max_steps})
 * @param metric the objective: a field of the trial's {@code metrics.jsonl} rows ({@code eval_loss}, {@code loss}, ...);
 *     a trial's value is the metric's last reported value
 * @param direction minimise or maximise the metric
 * @param space the searched recipe keys
 * @param strategy how trials are proposed
 * @param pruner early stopping of bad trials
 * @param trials the number of trials (for a grid, at most its size; default the grid's size)
 * @param seed the search seed: proposals and every trial's {@code seed}
 * @param outputDir where {@code search.jsonl}, {@code trials/NNN/}, the results table, plot and best recipe go
 * @param runner how trials run
 * @param tree the spec as read (for the resume check)
 */
public record SearchSpec(String stage, Path recipe, Map<String, JsonNode> overrides, String metric, Direction direction,
    SearchSpace space, Strategy strategy, Pruner pruner, int trials, long seed, Path outputDir, Runner runner,
    ObjectNode tree) {

  /** How a trial runs. */
  public enum Runner {
    /**
     * A child JVM per trial ({@code java -cp <this classpath> ... align4j <stage>}): native memory is
     * released between trials, and a pruned trial is stopped by SIGTERM at once (it checkpoints and
     * exits), which saves its remaining steps.
     */
    SUBPROCESS,
    /**
     * In this JVM: no start-up cost (tests, tiny runs); a pruned trial runs to its end and is marked
     * pruned afterwards (the same decision, no time saved).
     */
    IN_PROCESS
  }

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
  private static final Set<String> TOP = Set.of("stage", "recipe", "overrides", "objective", "space", "strategy",
      "pruner", "trials", "seed", "output_dir", "runner");

  /** Copies the maps and checks the cross-key rules. */
  public SearchSpec {
    overrides = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(overrides));
    for (String k : space.names()) {
      if (overrides.containsKey(k)) {
        throw new IllegalArgumentException("key '" + k + "' is both searched (space) and fixed (overrides)");
      }
    }
    for (String k : List.of("output_dir")) {
      if (overrides.containsKey(k) || space.params().containsKey(k)) {
        throw new IllegalArgumentException("'" + k + "' is set per trial (trials/NNN) and cannot be searched or overridden");
      }
    }
    if (trials < 1) {
      throw new IllegalArgumentException("trials must be >= 1, got " + trials);
    }
    if (trials > strategy.maxTrials(space)) {
      throw new IllegalArgumentException("trials " + trials + " exceeds the grid's " + strategy.maxTrials(space) + " points");
    }
    tree = tree.deepCopy();
  }

  /** The spec as read (a copy: the record stays immutable). */
  @Override
  public ObjectNode tree() {
    return tree.deepCopy();
  }

  /** Reads a spec file. */
  public static SearchSpec load(Path yaml) throws IOException {
    if (!Files.exists(yaml)) {
      throw new NoSuchFileException(yaml.toString(), null, "search spec not found");
    }
    JsonNode root;
    try {
      root = YAML.readTree(yaml.toFile());
    } catch (IOException e) {
      throw new IOException(yaml + ": not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(yaml + ": a search spec is a mapping of key: value");
    }
    return parse((ObjectNode) root, yaml.toString());
  }

  /** Builds a spec from a tree; errors name {@code source} and the key. */
  public static SearchSpec parse(ObjectNode root, String source) {
    SpecNode n = new SpecNode(root, source);
    n.allowOnly(TOP);
    String stage = n.string("stage", "sft");
    Path recipe = Path.of(n.string("recipe", null));
    Map<String, JsonNode> overrides = new LinkedHashMap<>();
    n.child("overrides").node().fields().forEachRemaining(e -> overrides.put(e.getKey(), e.getValue()));
    SpecNode obj = n.child("objective");
    obj.allowOnly(Set.of("metric", "direction"));
    String metric = obj.string("metric", null);
    Direction direction = obj.choice("direction", Direction.class, null);
    SearchSpace space = space(n.child("space"));
    Strategy strategy = strategy(n, "strategy");
    Pruner pruner = pruner(n, "pruner");
    int max = strategy.maxTrials(space);
    int trials = (int) n.integer("trials", max == Integer.MAX_VALUE ? null : (long) max);
    return new SearchSpec(stage, recipe, overrides, metric, direction, space, strategy, pruner, trials,
        n.integer("seed", 0L), Path.of(n.string("output_dir", "runs/search")), n.choice("runner", Runner.class, Runner.SUBPROCESS),
        root);
  }

  private static SearchSpace space(SpecNode s) {
    Map<String, Param> params = new LinkedHashMap<>();
    for (var it = s.node().fieldNames(); it.hasNext(); ) {
      String key = it.next();
      SpecNode p = s.child(key);
      String type = p.string("type", null);
      try {
        switch (type) {
          case "uniform" -> {
            p.allowOnly(Set.of("type", "low", "high"));
            params.put(key, new Param.Uniform(p.number("low", null), p.number("high", null)));
          }
          case "log_uniform" -> {
            p.allowOnly(Set.of("type", "low", "high"));
            params.put(key, new Param.LogUniform(p.number("low", null), p.number("high", null)));
          }
          case "int" -> {
            p.allowOnly(Set.of("type", "low", "high", "log"));
            params.put(key, new Param.IntRange(p.integer("low", null), p.integer("high", null), p.bool("log", false)));
          }
          case "categorical" -> {
            p.allowOnly(Set.of("type", "choices"));
            JsonNode c = p.node().get("choices");
            if (c == null || !c.isArray()) {
              throw p.error("choices", "must be a list");
            }
            List<JsonNode> choices = new ArrayList<>();
            c.forEach(choices::add);
            params.put(key, new Param.Categorical(choices));
          }
          default -> throw p.error("type", "must be one of uniform | log_uniform | int | categorical, got '" + type + "'");
        }
      } catch (IllegalArgumentException e) {
        throw e.getMessage().startsWith(s.source()) ? e
            : new IllegalArgumentException(s.source() + ": space." + key + ": " + e.getMessage(), e);
      }
    }
    if (params.isEmpty()) {
      throw new IllegalArgumentException(s.source() + ": space needs at least one key (key: {type: ..., ...})");
    }
    return new SearchSpace(params);
  }

  /** {@code strategy: random} or {@code strategy: {kind: bayesian, ...}}. */
  private static Strategy strategy(SpecNode n, String key) {
    SpecNode s = kindNode(n, key, "random");
    String kind = s.string("kind", null);
    try {
      return switch (kind) {
        case "grid" -> {
          s.allowOnly(Set.of("kind", "points"));
          yield new Strategy.Grid((int) s.integer("points", 3L));
        }
        case "random" -> {
          s.allowOnly(Set.of("kind"));
          yield new Strategy.Random();
        }
        case "bayesian" -> {
          s.allowOnly(Set.of("kind", "initial_trials", "candidates", "kernel", "xi", "length_scale", "noise"));
          double ls = s.has("length_scale") && !s.string("length_scale", null).equals("fitted")
              ? s.number("length_scale", null) : Double.NaN;
          yield new BayesianSearch((int) s.integer("initial_trials", 5L), (int) s.integer("candidates", 2000L),
              s.choice("kernel", Kernel.class, Kernel.MATERN52), s.number("xi", 0.01), ls, s.number("noise", 1e-6));
        }
        case "genetic" -> {
          s.allowOnly(Set.of("kind", "population", "tournament", "crossover_rate", "mutation_rate", "mutation_scale"));
          yield new GeneticSearch((int) s.integer("population", 8L), (int) s.integer("tournament", 3L),
              s.number("crossover_rate", 0.9), s.number("mutation_rate", 0.2), s.number("mutation_scale", 0.1));
        }
        default -> throw s.error("kind", "must be one of grid | random | bayesian | genetic, got '" + kind + "'");
      };
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(s.source()) ? e : new IllegalArgumentException(s.source() + ": " + key + ": " + e.getMessage(), e);
    }
  }

  /** {@code pruner: none}, {@code pruner: {kind: median, ...}} or {@code {kind: successive_halving, ...}}. */
  private static Pruner pruner(SpecNode n, String key) {
    SpecNode s = kindNode(n, key, "none");
    String kind = s.string("kind", null);
    try {
      return switch (kind) {
        case "none" -> {
          s.allowOnly(Set.of("kind"));
          yield new Pruner.None();
        }
        case "median" -> {
          s.allowOnly(Set.of("kind", "warmup_steps", "min_trials"));
          yield new Pruner.MedianRule(s.integer("warmup_steps", 0L), (int) s.integer("min_trials", 2L));
        }
        case "successive_halving" -> {
          s.allowOnly(Set.of("kind", "min_steps", "eta"));
          yield new Pruner.SuccessiveHalving(s.integer("min_steps", null), (int) s.integer("eta", 3L));
        }
        default -> throw s.error("kind", "must be one of none | median | successive_halving, got '" + kind + "'");
      };
    } catch (IllegalArgumentException e) {
      throw e.getMessage().startsWith(s.source()) ? e : new IllegalArgumentException(s.source() + ": " + key + ": " + e.getMessage(), e);
    }
  }

  /** A key that is either a bare kind name or a mapping with {@code kind}. */
  private static SpecNode kindNode(SpecNode n, String key, String def) {
    JsonNode v = n.node().get(key);
    if (v == null || v.isNull() || v.isTextual()) {
      ObjectNode o = n.node().objectNode();
      o.put("kind", v == null || v.isNull() ? def : v.asText());
      return new SpecNode(o, n.source(), key + ".");
    }
    return n.child(key);
  }

  /** The overrides of trial with {@code params} and {@code seed}, as {@code key=value} (values in YAML flow syntax). */
  public List<String> trialOverrides(Map<String, JsonNode> params, long trialSeed, Path trialDir) {
    List<String> out = new ArrayList<>();
    Map<String, JsonNode> all = new LinkedHashMap<>(overrides);
    all.putAll(params);
    all.forEach((k, v) -> out.add(k + "=" + flow(v)));
    if (!all.containsKey("seed")) {
      out.add("seed=" + trialSeed);
    }
    out.add("output_dir=" + trialDir);
    return out;
  }

  /**
   * A value as the {@code key=value} parser (YAML) reads it back: text as is unless YAML would read it
   * as something else ({@code "true"}, {@code "8"}, {@code "a: b"}; those are quoted), reals in plain
   * decimal (YAML 1.1 reads {@code 1.0E10} as text), other values as JSON, which is YAML.
   */
  static String flow(JsonNode v) {
    if (v.isTextual()) {
      try {
        JsonNode back = YAML.readTree(v.asText());
        if (back != null && back.isTextual() && back.asText().equals(v.asText())) {
          return v.asText();
        }
      } catch (IOException e) {
        // not plain YAML: quote it
      }
      return v.toString();
    }
    if (v.isFloatingPointNumber() && Double.isFinite(v.doubleValue())) {
      String s = java.math.BigDecimal.valueOf(v.doubleValue()).toPlainString();
      return s.contains(".") ? s : s + ".0";
    }
    return v.toString();
  }
}
