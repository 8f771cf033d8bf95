package dev.align4j.peft.io;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A Hugging Face checkpoint directory: {@code config.json}, optional {@code generation_config.json},
 * and weights in {@code model.safetensors} or shards listed by {@code model.safetensors.index.json}.
 * Every shard named by the index must exist and hold the tensors the index says it holds.
 */
public final class HfCheckpoint implements AutoCloseable {
  /** The single-file weights name. */
  public static final String WEIGHTS = "model.safetensors";
  /** The shard index name. */
  public static final String INDEX = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final ObjectNode config;
  private final Optional<ObjectNode> generationConfig;
  private final LinkedHashMap<String, SafetensorsFile> owner = new LinkedHashMap<>();
  private final LinkedHashMap<String, SafetensorsFile> files = new LinkedHashMap<>();

  private HfCheckpoint(Path dir, ObjectNode config, Optional<ObjectNode> generationConfig) {
    this.dir = dir;
    this.config = config;
    this.generationConfig = generationConfig;
  }

  /** Opens a checkpoint directory and validates its files (not yet the tensor data). */
  public static HfCheckpoint open(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new CheckpointFormatException(dir, "not a directory");
    }
    ObjectNode config = readObject(dir.resolve("config.json"), true);
    Optional<ObjectNode> gen = Optional.ofNullable(readObject(dir.resolve("generation_config.json"), false));
    HfCheckpoint c = new HfCheckpoint(dir, config, gen);
    try {
      Path index = dir.resolve(INDEX);
      Path single = dir.resolve(WEIGHTS);
      if (Files.exists(index)) {
        c.openSharded(index);
      } else if (Files.exists(single)) {
        SafetensorsFile f = c.file(WEIGHTS);
        for (String name : f.tensors().keySet()) {
          c.owner.put(name, f);
        }
      } else {
        throw new CheckpointFormatException(dir, "no " + WEIGHTS + " or " + INDEX + " found");
      }
      return c;
    } catch (IOException | RuntimeException e) {
      c.close();
      throw e;
    }
  }

  private void openSharded(Path index) throws IOException {
    JsonNode root = readObject(index, true);
    JsonNode map = root.get("weight_map");
    if (map == null || !map.isObject()) {
      throw new CheckpointFormatException(index, "weight_map missing or not an object");
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new CheckpointFormatException(index, "weight_map." + e.getKey() + " must be a file name");
      }
      String shard = e.getValue().asText();
      if (shard.contains("/") || shard.contains("\\") || shard.startsWith(".")) {
        throw new CheckpointFormatException(index, "weight_map." + e.getKey() + ": bad shard name '" + shard + "'");
      }
      if (!Files.exists(dir.resolve(shard))) {
        throw new CheckpointFormatException(index, "shard " + shard + " (for " + e.getKey() + ") does not exist");
      }
      SafetensorsFile f = file(shard);
      if (!f.tensors().containsKey(e.getKey())) {
        throw new CheckpointFormatException(index, "shard " + shard + " does not contain " + e.getKey());
      }
      owner.put(e.getKey(), f);
    }
    // name order: shard by shard, each in its header's order (as the tensors were saved)
    LinkedHashMap<String, SafetensorsFile> ordered = new LinkedHashMap<>();
    for (String shard : new java.util.TreeSet<>(files.keySet())) {
      SafetensorsFile f = files.get(shard);
      for (String name : f.tensors().keySet()) {
        SafetensorsFile o = owner.get(name);
        if (o == null) {
          throw new CheckpointFormatException(index, "tensor " + name + " in " + f.path().getFileName() + " is not in weight_map");
        }
        if (o != f) {
          throw new CheckpointFormatException(index, "tensor " + name + " appears in " + f.path().getFileName()
              + " and " + o.path().getFileName());
        }
        ordered.put(name, f);
      }
    }
    owner.clear();
    owner.putAll(ordered);
  }

  private SafetensorsFile file(String name) throws IOException {
    SafetensorsFile f = files.get(name);
    if (f == null) {
      f = SafetensorsFile.open(dir.resolve(name));
      files.put(name, f);
    }
    return f;
  }

  private static ObjectNode readObject(Path p, boolean required) throws IOException {
    if (!Files.exists(p)) {
      if (required) {
        throw new CheckpointFormatException(p, "missing");
      }
      return null;
    }
    JsonNode n;
    try {
      n = JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new CheckpointFormatException(p, "not valid JSON: " + e.getMessage());
    }
    if (n == null || !n.isObject()) {
      throw new CheckpointFormatException(p, "not a JSON object");
    }
    return (ObjectNode) n;
  }

  /** The directory. */
  public Path dir() {
    return dir;
  }

  /** {@code config.json}. */
  public ObjectNode config() {
    return config;
  }

  /** {@code generation_config.json} when present. */
  public Optional<ObjectNode> generationConfig() {
    return generationConfig;
  }

  /** All tensor names, in file order. */
  public Set<String> tensorNames() {
    return Collections.unmodifiableSet(owner.keySet());
  }

  /** A tensor's header entry. */
  public TensorInfo info(String name) throws IOException {
    return owning(name).info(name);
  }

  /** A tensor's bytes (memory-mapped, little-endian). */
  public ByteBuffer bytes(String name) throws IOException {
    return owning(name).bytes(name);
  }

  private SafetensorsFile owning(String name) throws IOException {
    SafetensorsFile f = owner.get(name);
    if (f == null) {
      throw new CheckpointFormatException(dir, "no tensor named '" + name + "'");
    }
    return f;
  }

  /** {@code tokenizer.json} when present. */
  public Optional<Path> tokenizerJson() {
    Path p = dir.resolve("tokenizer.json");
    return Files.exists(p) ? Optional.of(p) : Optional.empty();
  }

  @Override
  public void close() throws IOException {
    IOException first = null;
    for (SafetensorsFile f : files.values()) {
      try {
        f.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
