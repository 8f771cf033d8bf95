package dev.align4j.recipes.pipeline;

import ai.djl.Device;
import dev.align4j.peft.config.RecipeSchema;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One stage kind: its recipe keys, the outputs a resolved recipe will produce (known before it runs,
 * so later stages can refer to them) and the run itself, in this JVM.
 *
 * @param <R> the stage's recipe record
 */
public interface StageDriver<R extends Record> {
  /** The stage's recipe keys ({@code output_dir} among them; the pipeline sets it). */
  RecipeSchema<R> schema();

  /** Whether a recipe file is required ({@code recipe:}); kinds with sensible defaults need none. */
  default boolean needsRecipeFile() {
    return true;
  }

  /**
   * The outputs of a run of {@code r}, by name ({@code adapter}, {@code model}, ...): what
   * {@code ${stage.name}} resolves to in later stages. {@code output_dir} is always there.
   */
  Map<String, String> outputs(R r);

  /** Runs the stage; a checkpoint in its output directory is resumed by the stage itself. */
  Outcome run(R r, Device device) throws IOException;

  /**
   * What a run produced.
   *
   * @param stopped a SIGINT/SIGTERM stopped it (checkpointed; rerunning resumes it)
   * @param metrics the key numbers of the run, for the report (insertion order kept)
   */
  record Outcome(boolean stopped, Map<String, Double> metrics) {
    public Outcome {
      metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    }

    /** A stopped run. */
    static Outcome stop() {
      return new Outcome(true, Map.of());
    }
  }

  /** {@code output_dir} and the given outputs under it. */
  static Map<String, String> under(String outputDir, String... names) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put("output_dir", outputDir);
    for (String n : names) {
      out.put(n, Path.of(outputDir).resolve(n).toString());
    }
    return out;
  }
}
