package dev.align4j.dpo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * The reference weights' hash for the cache key: SHA-256 over the weight and config files of the
 * directories the reference is loaded from (the base checkpoint, the starting adapter, a separate
 * {@code ref_model}), by name and content, plus a description of how they are computed (precision,
 * quantisation, attention). A changed file changes the hash, so stale log-probs are never reused.
 */
public final class ReferenceFingerprint {
  private ReferenceFingerprint() {}

  /**
   * @param how everything besides the files that changes the reference's numbers
   * @param dirs checkpoint or adapter directories; their {@code *.safetensors} and {@code *.json}
   *     files are hashed (other files, e.g. the tokenizer, do not change the log-probs of given ids)
   */
  public static String of(String how, List<Path> dirs) throws IOException {
    MessageDigest d = RefCacheKey.digest();
    d.update(("align4j-reference-1 " + how + "\n").getBytes(StandardCharsets.UTF_8));
    byte[] buf = new byte[1 << 20];
    for (Path dir : dirs) {
      List<Path> files = new ArrayList<>();
      try (Stream<Path> s = Files.list(dir)) {
        s.filter(f -> {
          String n = f.getFileName().toString();
          return Files.isRegularFile(f) && (n.endsWith(".safetensors") || n.endsWith(".json"))
              && !n.startsWith("tokenizer") && !n.equals("special_tokens_map.json");
        }).sorted().forEach(files::add);
      }
      if (files.isEmpty()) {
        throw new IOException(dir + ": no weight or config files to fingerprint the reference by");
      }
      for (Path f : files) {
        d.update(("file " + f.getFileName() + " " + Files.size(f) + "\n").getBytes(StandardCharsets.UTF_8));
        try (InputStream in = Files.newInputStream(f)) {
          for (int n; (n = in.read(buf)) > 0; ) {
            d.update(buf, 0, n);
          }
        }
      }
    }
    return HexFormat.of().formatHex(d.digest());
  }
}
