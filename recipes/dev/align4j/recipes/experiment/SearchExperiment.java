package dev.align4j.recipes.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.recipes.search.SearchRun;
import dev.align4j.recipes.search.SearchSpec;
import dev.align4j.recipes.search.TrialRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The hyper-parameter search experiment: a search spec ({@code recipes/search_demo_sft.yaml} by
 * default: Bayesian search over the demo's LoRA SFT) run by {@code align4j search}'s own loop against
 * what {@code align4j demo} left (its pre-trained model and split data replace the spec's paths),
 * afresh in a work folder; the search's table, plot and best recipe are then copied to {@code
 * results/search/} with the spec as run and the exact command. Every trial's seed comes from the
 * spec's seed, so the same spec gives the same table on the same machine and thread count.
 */
public final class SearchExperiment {
  /** The default spec. */
  public static final Path SPEC = Path.of("recipes/search_demo_sft.yaml");
  /** The search's own report files, copied verbatim (best_recipe.yaml only when a trial finished). */
  static final List<String> REPORT = List.of("results.md", "results.csv", "objective.png", "best_recipe.yaml");
  /** The spec as run (demo paths, output_dir, trials), beside the report: {@code align4j search --config} reruns it. */
  static final String SPEC_AS_RUN = "search_spec.yaml";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES));

  /**
   * Experiment settings.
   *
   * @param demo     a demo run folder ({@code runs/demo}): its {@code pt/model} and {@code data/} are used
   * @param spec     the search spec
   * @param out      where the report, the spec as run and the command go ({@code results/search})
   * @param work     the search's own output_dir (trials/NNN, search.jsonl), deleted first
   * @param trials   the number of trials, or null for the spec's
   * @param maxSteps each trial's {@code max_steps}, or null for the spec's
   * @param device   {@code --device} for every trial, or null for the default
   */
  public record Settings(Path demo, Path spec, Path out, Path work, Integer trials, Long maxSteps, String device) {
    /** Validates. */
    public Settings {
      if (trials != null && trials < 1) {
        throw new IllegalArgumentException("--trials must be >= 1, got " + trials);
      }
      if (maxSteps != null && maxSteps < 1) {
        throw new IllegalArgumentException("--max-steps must be >= 1, got " + maxSteps);
      }
      if (device != null) {
        DeviceOption.parse(device);     // a bad name fails here, naming the option, not in every trial
      }
    }
  }

  /** What a run produced: the search's result and the settings' exact command. */
  public record Outcome(SearchRun.Result result, String command) {}

  private SearchExperiment() {}

  /** What {@code align4j demo} must have left for the search. */
  public static List<Path> demoInputs(Path demo) {
    return List.of(demo.resolve("pt/model/config.json"), demo.resolve("data/train.jsonl"),
        demo.resolve("data/val.jsonl"));
  }

  /**
   * The spec of {@code s} as run: the file's with the demo's model and data as fixed overrides (the
   * base recipe's own paths name {@code runs/demo}), {@code output_dir} the work folder, and the
   * trials and steps of the settings when given.
   */
  static ObjectNode specAsRun(Settings s) throws IOException {
    if (!Files.exists(s.spec())) {
      throw new NoSuchFileException(s.spec().toString(), null, "search spec not found");
    }
    JsonNode root;
    try {
      root = YAML.readTree(s.spec().toFile());
    } catch (IOException e) {
      throw new IOException(s.spec() + ": not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(s.spec() + ": a search spec is a mapping of key: value");
    }
    ObjectNode spec = ((ObjectNode) root).deepCopy();
    JsonNode given = spec.get("overrides");
    if (given != null && !given.isNull() && !given.isObject()) {
      throw new IllegalArgumentException(s.spec() + ": overrides must be a mapping");
    }
    ObjectNode overrides = given == null || given.isNull() ? spec.objectNode() : (ObjectNode) given;
    overrides.put("model_name_or_path", s.demo().resolve("pt/model").toString());
    overrides.put("dataset", s.demo().resolve("data/train.jsonl").toString());
    overrides.put("eval_dataset", s.demo().resolve("data/val.jsonl").toString());
    if (s.maxSteps() != null) {
      overrides.put("max_steps", s.maxSteps());
    }
    spec.set("overrides", overrides);
    if (s.trials() != null) {
      spec.put("trials", s.trials());
    }
    spec.put("output_dir", s.work().toString());
    return spec;
  }

  /**
   * Runs the search afresh in {@code work} and copies its report to {@code out}; a search stopped by a
   * signal copies nothing (rerun the command: it starts over).
   */
  public static Outcome run(Settings s) throws IOException {
    for (Path p : demoInputs(s.demo())) {
      if (!Files.exists(p)) {
        throw new IllegalArgumentException(p + " not found: run `align4j demo --out " + s.demo() + "` first (or `align4j"
            + " experiment all`, which runs it)");
      }
    }
    ObjectNode tree = specAsRun(s);
    SearchSpec spec = SearchSpec.parse(tree, s.spec().toString());
    if (Files.exists(s.work())) {
      // afresh: the same spec and seed give the same trials
      AtomicFiles.deleteTree(s.work());
    }
    Files.createDirectories(s.work());
    List<String> stageOptions = s.device() == null ? List.of() : List.of("--device", s.device());
    SearchRun.Result r = SearchRun.run(spec, TrialRunner.of(spec.runner()), stageOptions);
    String command = "./align4j " + String.join(" ", args(s));
    if (r.stopped()) {
      return new Outcome(r, command);
    }
    Files.createDirectories(s.out());
    for (String f : REPORT) {
      Path from = s.work().resolve(f);
      Path to = s.out().resolve(f);
      if (Files.exists(from)) {
        AtomicFiles.writeBytes(to, Files.readAllBytes(from));
      } else {
        Files.deleteIfExists(to);      // no stale best recipe from an earlier search
      }
    }
    AtomicFiles.writeString(s.out().resolve(SPEC_AS_RUN), "# " + s.spec() + " as `" + command + "` ran it\n"
        + YAML.writeValueAsString(tree));
    ResultsIndex.writeCommand(s.out(), command);
    return new Outcome(r, command);
  }

  /** The {@code align4j experiment search} arguments that regenerate these settings. */
  static List<String> args(Settings s) {
    List<String> a = new ArrayList<>(List.of("experiment", "search", "--demo", s.demo().toString(), "--spec",
        s.spec().toString(), "--out", s.out().toString(), "--work", s.work().toString()));
    if (s.trials() != null) {
      a.addAll(List.of("--trials", s.trials().toString()));
    }
    if (s.maxSteps() != null) {
      a.addAll(List.of("--max-steps", s.maxSteps().toString()));
    }
    if (s.device() != null) {
      a.addAll(List.of("--device", s.device()));
    }
    return a;
  }
}
