package dev.align4j.peft.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Set;

/** A YAML file whose top level is a mapping with a fixed set of keys (pipeline and multi-task recipes). */
public final class YamlMapping {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private YamlMapping() {}

  /**
   * The top-level mapping of {@code yaml}, refusing a missing file, invalid YAML, anything but a mapping
   * ({@code expected} says what it should hold) and any key outside {@code keys} ({@code hint} follows the
   * list of valid keys in that message). Every error names the file.
   */
  public static ObjectNode read(Path yaml, Set<String> keys, String expected, String hint) throws IOException {
    if (!Files.isRegularFile(yaml)) {
      throw new IllegalArgumentException(yaml + ": no such file");
    }
    JsonNode root;
    try {
      root = YAML.readTree(yaml.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(yaml + ": not valid YAML: " + e.getMessage(), e);
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(yaml + ": expected a mapping with " + expected);
    }
    for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
      String k = it.next();
      if (!keys.contains(k)) {
        throw new IllegalArgumentException(yaml + ": unknown key '" + k + "' (valid: " + expected + "; " + hint + ")");
      }
    }
    return (ObjectNode) root;
  }
}
