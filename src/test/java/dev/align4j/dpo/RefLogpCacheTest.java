package dev.align4j.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reference log-prob cache: exact round trip, and never reused for another dataset or reference. */
class RefLogpCacheTest {
  @TempDir Path tmp;
  private static final List<RefLogps> VALUES = List.of(new RefLogps(-12.345678901234567, -0.1), new RefLogps(-1e-300, -7));

  private static RefCacheKey key(List<DpoPair> pairs, String ref) {
    return new RefCacheKey(RefCacheKey.dataset(pairs, DpoCollator.of(0)), ref);
  }

  @Test
  void roundTripIsExact() throws IOException {
    RefCacheKey k = key(DpoTestSupport.pairs(2, 1), "r1");
    RefLogpCache.write(tmp, k, VALUES);
    assertThat(RefLogpCache.read(tmp, k, 2).values()).contains(VALUES);
  }

  @Test
  void anotherReferenceOrDatasetOrSettingIsAnotherKey() {
    List<DpoPair> pairs = DpoTestSupport.pairs(2, 1);
    RefCacheKey k = key(pairs, "r1");
    assertThat(key(pairs, "r2").id()).isNotEqualTo(k.id());
    List<DpoPair> changed = List.of(pairs.get(0), new DpoPair(pairs.get(1).promptIds(), pairs.get(1).rejectedIds(),
        pairs.get(1).chosenIds()));
    assertThat(key(changed, "r1").id()).isNotEqualTo(k.id());
    assertThat(new RefCacheKey(RefCacheKey.dataset(pairs, new DpoCollator(0, 8, Truncation.KEEP_START, Double.NaN)), "r1")
        .id()).isNotEqualTo(k.id());
    // ids split differently between prompt and completion hash differently
    DpoPair a = new DpoPair(new long[] {1, 2}, new long[] {3}, new long[] {4});
    DpoPair b = new DpoPair(new long[] {1}, new long[] {2, 3}, new long[] {4});
    assertThat(key(List.of(a), "r").id()).isNotEqualTo(key(List.of(b), "r").id());
  }

  @Test
  void aFileOfAnotherReferenceOrCountIsRefusedWithTheReason() throws IOException {
    List<DpoPair> pairs = DpoTestSupport.pairs(2, 1);
    RefCacheKey mine = key(pairs, "r1");
    Path other = RefLogpCache.write(tmp, key(pairs, "r2"), VALUES);
    Files.move(other, RefLogpCache.file(tmp, mine), StandardCopyOption.REPLACE_EXISTING);   // renamed into place
    RefLogpCache.Lookup l = RefLogpCache.read(tmp, mine, 2);
    assertThat(l.values()).isEmpty();
    assertThat(l.reason()).contains("the reference weights changed");
    RefLogpCache.write(tmp, mine, VALUES);
    assertThat(RefLogpCache.read(tmp, mine, 3).reason()).contains("holds 2 pairs, the dataset has 3");
    Files.writeString(RefLogpCache.file(tmp, mine), "{\"format\": \"align4j-ref-logps-1\", \"dataset_sha");
    assertThat(RefLogpCache.read(tmp, mine, 2).reason()).contains("unreadable");
  }

  @Test
  void fingerprintFollowsTheWeightFilesNotTheTokenizer() throws IOException {
    Path d = Files.createDirectories(tmp.resolve("model"));
    Files.writeString(d.resolve("config.json"), "{}");
    Files.write(d.resolve("model.safetensors"), new byte[] {1, 2, 3});
    Files.writeString(d.resolve("tokenizer.json"), "a");
    String h = ReferenceFingerprint.of("float32", List.of(d));
    Files.writeString(d.resolve("tokenizer.json"), "b");
    assertThat(ReferenceFingerprint.of("float32", List.of(d))).isEqualTo(h);
    assertThat(ReferenceFingerprint.of("bfloat16", List.of(d))).isNotEqualTo(h);
    Files.write(d.resolve("model.safetensors"), new byte[] {1, 2, 4});
    assertThat(ReferenceFingerprint.of("float32", List.of(d))).isNotEqualTo(h);
  }
}
