package dev.align4j.recipes.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.dpo.DpoPair;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Pre-tokenised pairs, one JSON object per record: {@code prompt_ids}, {@code chosen_ids}, {@code
 * rejected_ids} (TRL's columns after tokenisation). Errors name the file, line and field.
 */
final class TokenizedPairs {
  private TokenizedPairs() {}

  /** Whether a record is pre-tokenised. */
  static boolean isTokenized(JsonNode record) {
    return record.has("chosen_ids") && record.has("rejected_ids");
  }

  /** Every record of {@code file} as a pair; token ids must lie in [0, vocab). */
  static List<DpoPair> read(Path file, long vocab) throws IOException {
    List<DpoPair> out = new ArrayList<>();
    try (JsonRecords records = JsonRecords.open(file)) {
      while (records.hasNext()) {
        SourceRecord r = records.next();
        out.add(new DpoPair(ids(r, "prompt_ids", vocab, true), ids(r, "chosen_ids", vocab, false),
            ids(r, "rejected_ids", vocab, false)));
      }
    }
    return out;
  }

  private static long[] ids(SourceRecord r, String field, long vocab, boolean optional) {
    JsonNode n = r.value().get(field);
    String where = r.file() + ":" + r.line() + ": " + field;
    if (n == null || n.isNull()) {
      if (optional) {
        return new long[0];
      }
      throw new IllegalArgumentException(where + ": missing");
    }
    if (!n.isArray()) {
      throw new IllegalArgumentException(where + ": expected an array of token ids, got " + n.getNodeType());
    }
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode v = n.get(i);
      if (!v.canConvertToLong() || !v.isIntegralNumber() || v.asLong() < 0 || v.asLong() >= vocab) {
        throw new IllegalArgumentException(where + "[" + i + "]: " + v + " is not a token id in [0, " + vocab + ")");
      }
      out[i] = v.asLong();
    }
    return out;
  }
}
