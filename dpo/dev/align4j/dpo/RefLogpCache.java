package dev.align4j.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reference log-probs on disk, one JSON file per {@link RefCacheKey} ({@code ref_logps-<id>.json} in
 * the cache directory), written atomically. The file repeats both hashes and the pair count; a read
 * checks them all, so a file that does not belong to this dataset and reference (renamed, copied,
 * truncated, or written by another version) is never used: {@link #read} says why and the caller
 * recomputes. Doubles are written in Java's shortest round-trip form, so a reread value is the
 * computed one, bit for bit.
 */
public final class RefLogpCache {
  /** The file format's name and version. */
  public static final String FORMAT = "align4j-ref-logps-1";
  private static final ObjectMapper JSON = new ObjectMapper();

  private RefLogpCache() {}

  /** Where the log-probs for {@code key} live in {@code dir}. */
  public static Path file(Path dir, RefCacheKey key) {
    return dir.resolve("ref_logps-" + key.id().substring(0, 24) + ".json");
  }

  /** A read's outcome: the values, or why the file was not used. */
  public record Lookup(Optional<List<RefLogps>> values, String reason) {}

  /**
   * The cached log-probs for {@code key} and {@code pairs} pairs, or empty with the reason (no file,
   * or a file that does not match: other dataset, other reference, other count, unreadable).
   */
  public static Lookup read(Path dir, RefCacheKey key, int pairs) {
    Path f = file(dir, key);
    if (!Files.exists(f)) {
      return new Lookup(Optional.empty(), "no cache file " + f);
    }
    try {
      JsonNode n = JSON.readTree(Files.readString(f, StandardCharsets.UTF_8));
      String why = mismatch(n, key, pairs);
      if (why != null) {
        return new Lookup(Optional.empty(), f + " does not match this run: " + why);
      }
      List<RefLogps> out = new ArrayList<>(pairs);
      for (int i = 0; i < pairs; i++) {
        out.add(new RefLogps(n.get("chosen").get(i).doubleValue(), n.get("rejected").get(i).doubleValue()));
      }
      return new Lookup(Optional.of(out), "reused " + f);
    } catch (IOException | RuntimeException e) {
      return new Lookup(Optional.empty(), f + " is unreadable (" + e.getMessage() + ")");
    }
  }

  private static String mismatch(JsonNode n, RefCacheKey key, int pairs) {
    if (!FORMAT.equals(n.path("format").asText())) {
      return "format '" + n.path("format").asText() + "', expected " + FORMAT;
    }
    if (!key.datasetSha256().equals(n.path("dataset_sha256").asText())) {
      return "the tokenised dataset changed (dataset_sha256 " + n.path("dataset_sha256").asText() + " vs "
          + key.datasetSha256() + ")";
    }
    if (!key.referenceSha256().equals(n.path("reference_sha256").asText())) {
      return "the reference weights changed (reference_sha256 " + n.path("reference_sha256").asText() + " vs "
          + key.referenceSha256() + ")";
    }
    if (n.path("pairs").asInt(-1) != pairs || n.path("chosen").size() != pairs || n.path("rejected").size() != pairs) {
      return "it holds " + n.path("chosen").size() + " pairs, the dataset has " + pairs;
    }
    return null;
  }

  /** Writes the log-probs for {@code key} atomically (a crash leaves the old file or the new one). */
  public static Path write(Path dir, RefCacheKey key, List<RefLogps> values) throws IOException {
    Files.createDirectories(dir);
    ObjectNode n = JSON.createObjectNode();
    n.put("format", FORMAT);
    n.put("dataset_sha256", key.datasetSha256());
    n.put("reference_sha256", key.referenceSha256());
    n.put("pairs", values.size());
    ArrayNode c = n.putArray("chosen");
    ArrayNode r = n.putArray("rejected");
    for (RefLogps v : values) {
      c.add(v.chosen());
      r.add(v.rejected());
    }
    Path f = file(dir, key);
    AtomicFiles.writeString(f, JSON.writeValueAsString(n) + "\n");
    return f;
  }
}
