package dev.align4j.recipes.pipeline;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stage with its recipe resolved: the recipe file, the pipeline's seed, the overrides with every
 * {@code ${stage.output}} replaced, and the stage's {@code output_dir}.
 *
 * @param config the resolved recipe, every key (what the marker records and a rerun compares)
 * @param hash SHA-256 of the kind and {@code config}
 * @param outputs what later stages may refer to
 */
public record ResolvedStage(String name, StageKind kind, Record recipe, ObjectNode config, String hash,
    Map<String, String> outputs) {
  private static final Pattern REF = Pattern.compile("\\$\\{([^}.]*)\\.([^}]*)}");

  public ResolvedStage {
    config = config.deepCopy();
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
  }

  /** Resolves every stage in order; any error (a key, a value, a reference) names the file, stage and key. */
  public static List<ResolvedStage> resolveAll(PipelineRecipe p) throws IOException {
    Map<String, ResolvedStage> done = new LinkedHashMap<>();
    List<ResolvedStage> out = new ArrayList<>();
    for (PipelineRecipe.StageSpec s : p.stages()) {
      ResolvedStage r = resolve(p, s, done);
      done.put(s.name(), r);
      out.add(r);
    }
    return out;
  }

  private static ResolvedStage resolve(PipelineRecipe p, PipelineRecipe.StageSpec s, Map<String, ResolvedStage> earlier)
      throws IOException {
    String where = p.source() + ": stage '" + s.name() + "' (" + s.kind().id() + ")";
    StageDriver<?> d = s.kind().driver();
    if (s.recipe().isEmpty() && d.needsRecipeFile()) {
      throw new IllegalArgumentException(where + ": recipe is required (a " + s.kind().id() + " recipe file)");
    }
    if (s.recipe().isPresent() && !Files.isRegularFile(s.recipe().get())) {
      throw new IllegalArgumentException(where + ": recipe " + s.recipe().get() + ": no such file");
    }
    List<String> keys = new ArrayList<>();
    if (d.schema().keys().stream().anyMatch(k -> k.name().equals("seed"))) {
      keys.add("seed=" + p.seed());
    }
    for (Map.Entry<String, String> e : s.overrides().entrySet()) {
      if (e.getKey().equals("output_dir")) {
        throw new IllegalArgumentException(where + ": overrides.output_dir: the pipeline sets it (" + p.stageDir(s.name())
            + "); set the pipeline's output_dir instead");
      }
      keys.add(e.getKey() + "=" + substitute(e.getValue(), earlier, where + ": overrides." + e.getKey()));
    }
    keys.add("output_dir=" + p.stageDir(s.name()));
    return of(s.name(), s.kind(), d, s.recipe().orElse(null), keys, where);
  }

  private static <R extends Record> ResolvedStage of(String name, StageKind kind, StageDriver<R> d, Path file,
      List<String> keys, String where) throws IOException {
    R r;
    try {
      r = d.schema().load(file, keys);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
    ObjectNode config = d.schema().toJson(r);
    return new ResolvedStage(name, kind, r, config, sha256(kind.id() + "\n" + config), d.outputs(r));
  }

  /** Replaces each {@code ${stage.output}} by that earlier stage's output. */
  static String substitute(String text, Map<String, ResolvedStage> earlier, String where) {
    Matcher m = REF.matcher(text);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      ResolvedStage s = earlier.get(m.group(1));
      if (s == null) {
        throw new IllegalArgumentException(where + ": " + m.group() + ": no earlier stage '" + m.group(1) + "'"
            + (earlier.isEmpty() ? "" : " (earlier stages: " + earlier.keySet() + ")"));
      }
      String v = s.outputs().get(m.group(2));
      if (v == null) {
        throw new IllegalArgumentException(where + ": " + m.group() + ": stage '" + s.name() + "' (" + s.kind().id()
            + ") has no output '" + m.group(2) + "' (it has: " + String.join(", ", s.outputs().keySet()) + ")");
      }
      m.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    m.appendTail(sb);
    if (sb.indexOf("${") >= 0) {
      throw new IllegalArgumentException(where + ": '" + text + "': a reference is ${stage.output}");
    }
    return sb.toString();
  }

  /** Runs the stage through its driver. */
  StageDriver.Outcome run(Device device) throws IOException {
    return run(kind.driver(), device);
  }

  @SuppressWarnings("unchecked")
  private <R extends Record> StageDriver.Outcome run(StageDriver<R> d, Device device) throws IOException {
    return d.run((R) recipe, device);
  }

  /** The keys whose values differ from {@code previous} (a marker's config), as {@code key: old -> new}. */
  List<String> changesFrom(ObjectNode previous) {
    List<String> out = new ArrayList<>();
    config.fieldNames().forEachRemaining(k -> {
      if (!same(config.get(k), previous.get(k))) {
        out.add(k + ": " + (previous.has(k) ? previous.get(k) : "(absent)") + " -> " + config.get(k));
      }
    });
    previous.fieldNames().forEachRemaining(k -> {
      if (!config.has(k)) {
        out.add(k + ": " + previous.get(k) + " -> (absent)");
      }
    });
    return out;
  }

  /** Equal values; numbers by value (a marker read back holds 5 as an int where the recipe wrote a long). */
  private static boolean same(JsonNode a, JsonNode b) {
    if (a != null && b != null && a.isNumber() && b.isNumber()) {
      return a.decimalValue().compareTo(b.decimalValue()) == 0;
    }
    return a != null && a.equals(b);
  }

  static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
