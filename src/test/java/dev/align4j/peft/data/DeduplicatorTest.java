package dev.align4j.peft.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DeduplicatorTest {
  private static final String BASE = "2026-03-14 02:13 主机 web-03 检测到来自 45.13.x.x 的 SSH 登录失败 327 次，"
      + "请立即核查并封禁来源地址，同时检查账号安全策略";
  private static final String NEAR = BASE.replace("327", "328");
  private static final String OTHER = "2026-03-15 11:40 WAF 拦截针对 app-12 的 SQL 注入请求 58 条，来源 101.7.x.x，"
      + "请修复注入点并更新规则";

  /** Independent reference: Jaccard over java.lang.String n-gram sets of the normalised text. */
  private static double referenceJaccard(String a, String b, int n) {
    Set<String> x = grams(TextNormalizer.normalize(a), n);
    Set<String> y = grams(TextNormalizer.normalize(b), n);
    Set<String> inter = new HashSet<>(x);
    inter.retainAll(y);
    Set<String> union = new HashSet<>(x);
    union.addAll(y);
    return (double) inter.size() / union.size();
  }

  private static Set<String> grams(String s, int n) {
    Set<String> g = new HashSet<>();
    for (int i = 0; i + n <= s.length(); i++) {
      g.add(s.substring(i, i + n));
    }
    return g;
  }

  @Test
  void normalisation() {
    assertThat(TextNormalizer.normalize("  ＨＥＬＬＯ，\t World！ ")).isEqualTo("hello world");
    assertThat(TextNormalizer.normalize("你好，世界。")).isEqualTo("你好 世界");
    assertThat(TextNormalizer.normalize("a.b-c")).isEqualTo("a b c");
  }

  @Test
  void exactDuplicatesAfterNormalisationKeepTheFirst() {
    Deduplicator d = new Deduplicator(DedupConfig.defaults());
    assertThat(d.offer(10, "你好，世界！Hello World")).isTrue();
    assertThat(d.offer(11, "你好 世界 hello   world")).isFalse();
    assertThat(d.offer(12, "ＨＥＬＬＯ")).isTrue();
    assertThat(d.offer(13, "hello!")).isFalse();
    assertThat(d.offer(14, "你好，世界！Hello World")).isFalse();
    assertThat(d.clusters()).containsExactly(
        new DedupCluster(10, List.of(new DedupCluster.Duplicate(11, DedupCluster.Kind.EXACT, 1.0),
            new DedupCluster.Duplicate(14, DedupCluster.Kind.EXACT, 1.0))),
        new DedupCluster(12, List.of(new DedupCluster.Duplicate(13, DedupCluster.Kind.EXACT, 1.0))));
    assertThat(d.keptCount()).isEqualTo(2);
    assertThat(d.droppedCount()).isEqualTo(3);
  }

  @Test
  void nearDuplicateDroppedWithExactJaccardAndDistinctTextSurvives() {
    double j = referenceJaccard(BASE, NEAR, 5);
    assertThat(j).isBetween(0.8, 0.95); // the crafted pair really is near
    assertThat(referenceJaccard(BASE, OTHER, 5)).isLessThan(0.2);
    Deduplicator d = new Deduplicator(DedupConfig.defaults());
    assertThat(d.offer(1, BASE)).isTrue();
    assertThat(d.offer(2, OTHER)).isTrue();
    assertThat(d.offer(3, NEAR)).isFalse();
    assertThat(d.clusters()).hasSize(1);
    DedupCluster c = d.clusters().get(0);
    assertThat(c.keptId()).isEqualTo(1);
    assertThat(c.dropped()).hasSize(1);
    assertThat(c.dropped().get(0).id()).isEqualTo(3);
    assertThat(c.dropped().get(0).kind()).isEqualTo(DedupCluster.Kind.NEAR);
    assertThat(c.dropped().get(0).similarity()).isCloseTo(j, within(1e-12));
  }

  @Test
  void thresholdIsHonoured() {
    // drop two clauses: similarity ~0.65, below 0.8 but above 0.5
    String shorter = BASE.substring(0, BASE.indexOf("，请立即"));
    double j = referenceJaccard(BASE, shorter, 5);
    assertThat(j).isBetween(0.55, 0.78);
    Deduplicator strict = new Deduplicator(DedupConfig.defaults());
    assertThat(strict.offer(1, BASE)).isTrue();
    assertThat(strict.offer(2, shorter)).isTrue();
    Deduplicator loose = new Deduplicator(DedupConfig.defaults().withThreshold(0.5));
    assertThat(loose.offer(1, BASE)).isTrue();
    assertThat(loose.offer(2, shorter)).isFalse();
  }

  @Test
  void estimatedVerificationAndMinHashAccuracy() {
    Deduplicator d = new Deduplicator(new DedupConfig(5, 256, 0.8, 7, false));
    long[] a = Deduplicator.shingles(TextNormalizer.normalize(BASE), 5);
    long[] b = Deduplicator.shingles(TextNormalizer.normalize(NEAR), 5);
    double exact = Deduplicator.jaccard(a, b);
    assertThat(exact).isCloseTo(referenceJaccard(BASE, NEAR, 5), within(1e-12));
    // 256 permutations: standard error sqrt(J(1-J)/256) ~ 0.02
    assertThat(Deduplicator.estimate(d.signature(a), d.signature(b))).isCloseTo(exact, within(0.1));
    assertThat(d.offer(1, BASE)).isTrue();
    assertThat(d.offer(2, OTHER)).isTrue();
    assertThat(d.offer(3, NEAR)).isFalse();
  }

  @Test
  void deterministicForSeedAndDependsOnSeed() {
    long[] sh = Deduplicator.shingles(TextNormalizer.normalize(BASE), 5);
    long[] s1 = new Deduplicator(DedupConfig.defaults()).signature(sh);
    long[] s2 = new Deduplicator(DedupConfig.defaults()).signature(sh);
    long[] s3 = new Deduplicator(new DedupConfig(5, 128, 0.8, 99, true)).signature(sh);
    assertThat(s1).isEqualTo(s2).isNotEqualTo(s3);
  }

  @Test
  void lshBandsFitThreshold() {
    for (double t : new double[] {0.5, 0.7, 0.8, 0.9}) {
      LshParams p = LshParams.forThreshold(t, 128);
      assertThat(p.bands() * p.rows()).isLessThanOrEqualTo(128);
      double knee = Math.pow(1.0 / p.bands(), 1.0 / p.rows());
      assertThat(knee).as("knee for t=%s (%s)", t, p).isCloseTo(t, within(0.12));
      assertThat(p.candidateProbability(Math.min(1, t + 0.1))).isGreaterThan(0.85);
      assertThat(p.candidateProbability(t - 0.3)).isLessThan(0.1);
      assertThat(p.candidateProbability(t)).as("recall at the threshold").isGreaterThan(0.8);
    }
    // equal weights (datasketch's criterion): 9 bands x 13 rows, from an independent Python computation
    assertThat(LshParams.forThreshold(0.8, 128, 0.5, 0.5)).isEqualTo(new LshParams(9, 13));
  }

  @Test
  void shortAndEmptyTexts() {
    Deduplicator d = new Deduplicator(DedupConfig.defaults());
    assertThat(d.offer(1, "abc")).isTrue();   // shorter than n: one shingle
    assertThat(d.offer(2, "abd")).isTrue();
    assertThat(d.offer(3, "!!!")).isTrue();   // normalises to empty
    assertThat(d.offer(4, "...")).isFalse();  // also empty: exact duplicate
    List<Long> kept = new ArrayList<>();
    d.clusters().forEach(c -> kept.add(c.keptId()));
    assertThat(kept).containsExactly(3L);
  }
}
