package dev.align4j.recipes.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * One benchmark child process (an align4j JVM or the Python anchor) run in a fresh process, so that the
 * sides of a side-by-side comparison never share a heap, a libtorch pool or an allocator.
 */
final class BenchChild {
  private static final ObjectMapper JSON = new ObjectMapper();

  private BenchChild() {}

  /**
   * Runs {@code cmd}; its last stdout line that parses as JSON with a {@code step_ms} is its result.
   * On a non-zero exit or no result, prints {@code what}, the command and the last 20 lines of its
   * stderr, and returns null.
   */
  static JsonNode run(List<String> cmd, String what) throws IOException, InterruptedException {
    Path log = Files.createTempFile("align4j-bench-", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectError(log.toFile()).start();
      JsonNode result = null;
      try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          if (line.startsWith("{")) {
            try {
              JsonNode n = JSON.readTree(line);
              if (n.has("step_ms")) {
                result = n;
              }
            } catch (IOException notJson) {
              // a log line that starts with a brace: not the result
            }
          }
        }
      }
      int rc = p.waitFor();
      if (rc != 0 || result == null) {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        System.err.printf("%s failed (exit %d): %s%n%s%n", what, rc, String.join(" ", cmd),
            String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size())));
        return null;
      }
      return result;
    } finally {
      Files.deleteIfExists(log);
    }
  }
}
