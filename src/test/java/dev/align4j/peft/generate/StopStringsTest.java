package dev.align4j.peft.generate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.tokenizer.Tokenizer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Incremental stop-string detection (decoding only the new tail) agrees with the definition, a stop
 * string contained in the decoding of the whole completion, on a real byte-level BPE tokenizer whose
 * tokens split multi-byte characters.
 */
class StopStringsTest {
  private static final String TEXT = "Voilà: déjà vu 🙂 twice — naïve café, then \"END\" and ünïcödé 🚀🚀 done.";

  @Test
  void incrementalDetectionStopsAtTheSameTokenAsFullDecoding() throws Exception {
    Path dir = Path.of(getClass().getResource("/tokenizers/llama3_1/tokenizer.json").toURI()).getParent();
    try (Tokenizer tok = Tokenizer.load(dir)) {
      long[] ids = tok.encode(TEXT, false);
      assertThat(ids.length).isGreaterThan(20);
      for (String stop : List.of("🙂", "vu 🙂 tw", "\"END\"", "é", "🚀🚀", "ünïcödé", "done.", "absent")) {
        StopStrings matcher = new StopStrings(List.of(stop), x -> tok.decode(x, false));
        int incremental = -1;
        int full = -1;
        for (int k = 1; k <= ids.length; k++) {
          if (incremental < 0 && matcher.accept(ids[k - 1])) {
            incremental = k;
          }
          if (full < 0 && tok.decode(Arrays.copyOf(ids, k), false).contains(stop)) {
            full = k;
          }
        }
        assertThat(incremental).as("stop %s", stop).isEqualTo(full);
        if (stop.equals("absent")) {
          assertThat(full).isEqualTo(-1);
        } else {
          assertThat(full).as("stop %s found", stop).isPositive();
        }
      }
    }
  }

  @Test
  void decodesOnlyAFewTokensPerStep() {
    int[] longest = new int[1];
    StopStrings matcher = new StopStrings(List.of("zz"), x -> {
      longest[0] = Math.max(longest[0], x.length);
      StringBuilder sb = new StringBuilder();
      for (long id : x) {
        sb.append((char) ('a' + id % 20));
      }
      return sb.toString();
    });
    for (int i = 0; i < 500; i++) {
      matcher.accept(i % 7);
    }
    assertThat(longest[0]).isLessThanOrEqualTo(2);
  }
}
