package dev.align4j.peft.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way a recipe mapping file can be wrong is an error naming the file (and the key). */
class YamlMappingTest {
  @TempDir Path tmp;

  private ObjectNode read(String text) throws Exception {
    Path f = tmp.resolve("r.yaml");
    Files.writeString(f, text);
    return YamlMapping.read(f, Set.of("a", "b"), "a, b", "other keys go elsewhere");
  }

  @Test
  void aMappingWithKnownKeysIsReadAsIs() throws Exception {
    ObjectNode n = read("a: 1\nb: [x, y]\n");
    assertThat(n.get("a").asInt()).isEqualTo(1);
    assertThat(n.get("b").get(1).asText()).isEqualTo("y");
  }

  @Test
  void errorsNameTheFileAndTheKey() {
    String f = tmp.resolve("r.yaml").toString();
    assertThatThrownBy(() -> YamlMapping.read(tmp.resolve("none.yaml"), Set.of("a"), "a", ""))
        .hasMessageContaining("none.yaml: no such file");
    assertThatThrownBy(() -> read("a: [1, 2\n")).hasMessageStartingWith(f + ": not valid YAML");
    assertThatThrownBy(() -> read("- a\n- b\n")).hasMessage(f + ": expected a mapping with a, b");
    assertThatThrownBy(() -> read("")).hasMessage(f + ": expected a mapping with a, b");
    assertThatThrownBy(() -> read("a: 1\nc: 2\n"))
        .hasMessage(f + ": unknown key 'c' (valid: a, b; other keys go elsewhere)");
  }
}
