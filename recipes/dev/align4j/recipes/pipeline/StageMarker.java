package dev.align4j.recipes.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * A finished stage, written atomically to {@code output_dir/stages/NAME.json} once its outputs are on
 * disk: the resolved config and its hash (a rerun skips the stage only when they are unchanged), the
 * outputs, the key metrics and the time the stage took.
 */
public record StageMarker(String name, StageKind kind, String configHash, ObjectNode config, Map<String, String> outputs,
    Map<String, Double> metrics, double seconds) {
  private static final ObjectMapper JSON = new ObjectMapper();

  public StageMarker {
    config = config.deepCopy();
    outputs = Collections.unmodifiableMap(new LinkedHashMap<>(outputs));
    metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** The marker as JSON. */
  public ObjectNode toJson() {
    ObjectNode o = JSON.createObjectNode();
    o.put("name", name).put("kind", kind.id()).put("config_hash", configHash).put("seconds", seconds);
    ObjectNode out = o.putObject("outputs");
    outputs.forEach(out::put);
    ObjectNode m = o.putObject("metrics");
    metrics.forEach((k, v) -> {
      if (Double.isFinite(v)) {
        m.put(k, v);
      } else {
        m.putNull(k);
      }
    });
    o.set("config", config);
    return o;
  }

  /** Writes the marker atomically. */
  public void write(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
  }

  /** The marker in {@code file}, if there is one; a damaged one is an error naming the file. */
  public static Optional<StageMarker> read(Path file) throws IOException {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try {
      JsonNode o = JSON.readTree(file.toFile());
      Map<String, String> outputs = new LinkedHashMap<>();
      o.get("outputs").fields().forEachRemaining(e -> outputs.put(e.getKey(), e.getValue().asText()));
      Map<String, Double> metrics = new LinkedHashMap<>();
      o.get("metrics").fields().forEachRemaining(e -> metrics.put(e.getKey(),
          e.getValue().isNull() ? Double.NaN : e.getValue().asDouble()));
      return Optional.of(new StageMarker(o.get("name").asText(), StageKind.of(o.get("kind").asText()),
          o.get("config_hash").asText(), (ObjectNode) o.get("config"), outputs, metrics, o.get("seconds").asDouble()));
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException(file + ": not a stage marker (" + e.getMessage() + "); delete it to rerun the stage", e);
    }
  }
}
