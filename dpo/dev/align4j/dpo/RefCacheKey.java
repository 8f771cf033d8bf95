package dev.align4j.dpo;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * What precomputed reference log-probs depend on: the tokenised dataset (every pair's ids, in order),
 * the reference's weights, and the settings that shape the rows and the sums (max length, truncation,
 * LD-DPO's alpha, precision). Cached values are reused only under an equal key.
 *
 * @param datasetSha256 hash of the tokenised pairs and the collator's settings ({@link #dataset})
 * @param referenceSha256 hash of the reference weights and how they are computed (precision, ...)
 */
public record RefCacheKey(String datasetSha256, String referenceSha256) {
  /** Both hashes are required. */
  public RefCacheKey {
    if (datasetSha256 == null || datasetSha256.isBlank() || referenceSha256 == null || referenceSha256.isBlank()) {
      throw new IllegalArgumentException("a reference cache key needs the dataset and the reference hashes");
    }
  }

  /** The key's own hash: names the cache file. */
  public String id() {
    return sha256((datasetSha256 + "\n" + referenceSha256).getBytes(StandardCharsets.UTF_8));
  }

  /** Hash of the tokenised pairs (ids in order) and the collator settings that change the sums. */
  public static String dataset(List<DpoPair> pairs, DpoCollator collator) {
    MessageDigest d = digest();
    d.update(("align4j-dpo-pairs-1 max_length=" + collator.maxLength() + " truncation=" + collator.truncation()
        + " ld_alpha=" + collator.ldAlpha() + " n=" + pairs.size() + "\n").getBytes(StandardCharsets.UTF_8));
    for (DpoPair p : pairs) {
      update(d, p.promptIds());
      update(d, p.chosenIds());
      update(d, p.rejectedIds());
    }
    return HexFormat.of().formatHex(d.digest());
  }

  /** Hash of tokenised KTO examples (ids, labels, KL completions, in order) and the row limit. */
  public static String ktoDataset(List<KtoExample> examples, int maxLength) {
    MessageDigest d = digest();
    d.update(("align4j-kto-examples-1 max_length=" + maxLength + " n=" + examples.size() + "\n")
        .getBytes(StandardCharsets.UTF_8));
    for (KtoExample e : examples) {
      update(d, e.promptIds());
      update(d, e.completionIds());
      update(d, e.klCompletionIds());
      d.update((byte) (e.desirable() ? 1 : 0));
    }
    return HexFormat.of().formatHex(d.digest());
  }

  private static void update(MessageDigest d, long[] ids) {
    ByteBuffer b = ByteBuffer.allocate(8 * (ids.length + 1));
    b.putLong(ids.length);   // the length first: [1,2][3] and [1][2,3] hash differently
    for (long id : ids) {
      b.putLong(id);
    }
    d.update(b.array());
  }

  static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
