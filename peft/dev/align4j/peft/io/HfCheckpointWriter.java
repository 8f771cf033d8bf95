package dev.align4j.peft.io;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Saves a checkpoint directory as transformers' {@code save_pretrained} does: {@code config.json}
 * (2-space indent, sorted keys), {@code generation_config.json}, and {@code model.safetensors}, or
 * shards {@code model-0000i-of-0000n.safetensors} with {@code model.safetensors.index.json} when the
 * tensors exceed the shard size. Each file is atomic; weights files of an earlier save that the new
 * one does not use are removed afterwards, so a directory never mixes two saves.
 */
public final class HfCheckpointWriter {
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private HfCheckpointWriter() {}

  /**
   * Writes the directory (created when missing) in place. To replace an existing checkpoint so that
   * a crash never leaves a mix of old and new files, write into {@link
   * AtomicFiles#replaceDirectory}'s temporary directory instead.
   */
  public static void write(
      Path dir, ObjectNode config, Optional<ObjectNode> generationConfig,
      LinkedHashMap<String, TensorData> tensors, long maxShardBytes) throws IOException {
    if (maxShardBytes <= 0) {
      throw new IllegalArgumentException("max shard size must be > 0");
    }
    Files.createDirectories(dir);
    AtomicFiles.writeString(dir.resolve("config.json"), prettySorted(config));
    if (generationConfig.isPresent()) {
      AtomicFiles.writeString(dir.resolve("generation_config.json"), prettySorted(generationConfig.get()));
    }
    List<LinkedHashMap<String, TensorData>> shards = shard(tensors, maxShardBytes);
    Set<String> written = new HashSet<>();
    Map<String, String> meta = Map.of("format", "pt");
    if (shards.size() == 1) {
      SafetensorsWriter.write(dir.resolve(HfCheckpoint.WEIGHTS), shards.get(0), meta);
      written.add(HfCheckpoint.WEIGHTS);
    } else {
      TreeMap<String, String> weightMap = new TreeMap<>();
      long total = 0;
      for (int i = 0; i < shards.size(); i++) {
        String name = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
        SafetensorsWriter.write(dir.resolve(name), shards.get(i), meta);
        written.add(name);
        for (Map.Entry<String, TensorData> e : shards.get(i).entrySet()) {
          weightMap.put(e.getKey(), name);
          total += e.getValue().byteSize();
        }
      }
      ObjectNode index = JSON.createObjectNode();
      index.putObject("metadata").put("total_size", total);
      ObjectNode wm = index.putObject("weight_map");
      weightMap.forEach(wm::put);
      AtomicFiles.writeString(dir.resolve(HfCheckpoint.INDEX), prettySorted(index));
      written.add(HfCheckpoint.INDEX);
    }
    removeStale(dir, written);
  }

  /** Greedy sharding in tensor order, as huggingface_hub's split_torch_state_dict_into_shards. */
  static List<LinkedHashMap<String, TensorData>> shard(Map<String, TensorData> tensors, long max) {
    List<LinkedHashMap<String, TensorData>> out = new ArrayList<>();
    LinkedHashMap<String, TensorData> cur = new LinkedHashMap<>();
    long size = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      long s = e.getValue().byteSize();
      if (!cur.isEmpty() && size + s > max) {
        out.add(cur);
        cur = new LinkedHashMap<>();
        size = 0;
      }
      cur.put(e.getKey(), e.getValue());
      size += s;
    }
    out.add(cur);
    return out;
  }

  private static void removeStale(Path dir, Set<String> keep) throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        boolean weights = n.equals(HfCheckpoint.WEIGHTS) || n.equals(HfCheckpoint.INDEX)
            || n.matches("model-\\d{5}-of-\\d{5}\\.safetensors");
        if (weights && !keep.contains(n)) {
          Files.delete(p);
        }
      }
    }
  }

  /** JSON as Python's {@code json.dumps(obj, indent=2, sort_keys=True) + "\n"}. */
  public static String prettySorted(JsonNode node) throws IOException {
    Object sorted = JSON.treeToValue(node, Object.class);
    DefaultPrettyPrinter pp = new DefaultPrettyPrinter()
        .withObjectIndenter(new DefaultIndenter("  ", "\n"))
        .withArrayIndenter(new DefaultIndenter("  ", "\n"))
        .withSeparators(com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
            .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER));
    return JSON.writer(pp).writeValueAsString(sorted) + "\n";
  }
}
