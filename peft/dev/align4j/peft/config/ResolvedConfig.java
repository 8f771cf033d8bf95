package dev.align4j.peft.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.HfCheckpointWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code resolved_config.json}: every key of a run with its value, plus {@code provenance} (version,
 * commit, dataset hashes, seed, and every accepted configuration change). Before a run resumes from
 * a checkpoint in its output directory, {@link #requireSameRun} compares the new values with the ones
 * that made the checkpoint, so a rerun with other hyper-parameters never continues silently.
 */
public final class ResolvedConfig {
  /** The file name. */
  public static final String FILE = "resolved_config.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private ResolvedConfig() {}

  /** The resolved config a previous run left in {@code outDir}, if any. */
  public static Optional<ObjectNode> read(Path outDir) throws IOException {
    Path f = outDir.resolve(FILE);
    if (!Files.exists(f)) {
      return Optional.empty();
    }
    JsonNode n;
    try {
      n = JSON.readTree(f.toFile());
    } catch (IOException e) {
      throw new IOException(f + ": not valid JSON (" + e.getMessage() + "); move it away to start afresh", e);
    }
    if (n == null || !n.isObject()) {
      throw new IllegalArgumentException(f + ": not a JSON object; move it away to start afresh");
    }
    return Optional.of((ObjectNode) n);
  }

  /** Writes {@code config} with {@code provenance} atomically into {@code outDir}. */
  public static void write(Path outDir, ObjectNode config, ObjectNode provenance) throws IOException {
    ObjectNode n = config.deepCopy();
    n.set("provenance", provenance);
    AtomicFiles.writeString(outDir.resolve(FILE), HfCheckpointWriter.prettySorted(n));
  }

  /**
   * Checks that resuming {@code previous} (a resolved config written by the run whose checkpoint is
   * about to be resumed) with {@code now} continues the same run. Keys in {@code mayChange} may differ;
   * a change of a dataset's content ({@code provenance.*_sha256}) counts as a change. Other changes
   * are refused with a message listing them, unless {@code allow}; keys in {@code fixed} are refused
   * even then. Returns {@code provenance} extended with the previous run's history of accepted changes
   * and, when something changed, a new entry {@code {"resumed_at_step", "changed": {key: {from, to}}}}.
   */
  public static <R extends Record> ObjectNode requireSameRun(RecipeSchema<R> schema, ObjectNode previous, R now,
      ObjectNode provenance, long resumedStep, Set<String> mayChange, Set<String> fixed, boolean allow, Path file) {
    Map<String, JsonNode[]> changed = new LinkedHashMap<>(schema.changes(previous, now));
    mayChange.forEach(changed::remove);
    JsonNode before = previous.path("provenance");
    for (Iterator<String> it = provenance.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (k.endsWith("_sha256") && before.has(k) && !before.get(k).equals(provenance.get(k))) {
        changed.put(k, new JsonNode[] {before.get(k), provenance.get(k)});
      }
    }
    ObjectNode out = provenance.deepCopy();
    ArrayNode history = out.putArray("config_changes");
    if (before.path("config_changes").isArray()) {
      history.addAll((ArrayNode) before.get("config_changes"));
    }
    if (changed.isEmpty()) {
      if (history.isEmpty()) {
        out.remove("config_changes");
      }
      return out;
    }
    List<String> fixedChanged = new ArrayList<>();
    changed.keySet().stream().filter(fixed::contains).forEach(fixedChanged::add);
    if (!allow || !fixedChanged.isEmpty()) {
      String what = describe(changed, allow ? Set.copyOf(fixedChanged) : changed.keySet());
      throw new IllegalArgumentException(allow
          ? file + ": resuming step " + resumedStep + " with other " + String.join(", ", fixedChanged)
              + " is impossible even with allow_config_change (they fix which examples each step reads and how the "
              + "update is formed): " + what + ". Use a fresh output_dir."
          : file + ": the run in this output_dir (resumable at step " + resumedStep + ") used other values: " + what
              + ". Use a fresh output_dir, restore the values, or set allow_config_change=true to resume with the "
              + "new ones (recorded in the provenance).");
    }
    ObjectNode entry = history.addObject();
    entry.put("resumed_at_step", resumedStep);
    ObjectNode c = entry.putObject("changed");
    changed.forEach((k, v) -> {
      ObjectNode kv = c.putObject(k);
      kv.set("from", v[0]);
      kv.set("to", v[1]);
    });
    return out;
  }

  private static String describe(Map<String, JsonNode[]> changed, Set<String> keys) {
    List<String> parts = new ArrayList<>();
    changed.forEach((k, v) -> {
      if (keys.contains(k)) {
        parts.add(k + " " + (v[0] == null ? "(unset)" : v[0].toString()) + " -> " + v[1]);
      }
    });
    return String.join(", ", parts);
  }
}
