package dev.align4j.peft.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/** Grid, random, Bayesian and genetic proposals: coverage, determinism and a clear margin of BO over random. */
class StrategyTest {
  static SearchSpace mixed() {
    Map<String, Param> p = new LinkedHashMap<>();
    p.put("lr_scheduler_type", new Param.Categorical(List.of(TextNode.valueOf("cosine"), TextNode.valueOf("linear"))));
    p.put("learning_rate", new Param.LogUniform(1e-4, 1e-2));
    p.put("lora_rank", new Param.IntRange(4, 6, false));
    p.put("packing", new Param.Categorical(List.of(BooleanNode.TRUE)));
    return new SearchSpace(p);
  }

  @Test
  void paramsDecodeTheirRanges() {
    assertThat(new Param.Uniform(0, 0.2).decode(0.5).asDouble()).isEqualTo(0.1);
    assertThat(new Param.LogUniform(1e-4, 1e-2).decode(0.5).asDouble()).isCloseTo(1e-3, org.assertj.core.api.Assertions.within(1e-15));
    Param.IntRange r = new Param.IntRange(4, 6, false);
    assertThat(List.of(r.decode(0).asLong(), r.decode(0.34).asLong(), r.decode(0.99).asLong(), r.decode(1).asLong()))
        .containsExactly(4L, 5L, 6L, 6L);
    assertThat(new Param.IntRange(4, 64, true).decode(0.5).asLong()).isEqualTo(16L);
    assertThat(new Param.LogUniform(1e-4, 1e-2).grid(3)).containsExactly(0.0, 0.5, 1.0);
  }

  @Test
  void gridEnumeratesTheProduct() {
    SearchSpace s = mixed();
    Strategy g = new Strategy.Grid(3);
    assertThat(g.maxTrials(s)).isEqualTo(2 * 3 * 3 * 1);
    Set<List<JsonNode>> seen = new HashSet<>();
    for (int i = 0; i < g.maxTrials(s); i++) {
      seen.add(List.copyOf(s.decode(g.propose(i, List.of(), s, 0)).values()));
    }
    Set<List<JsonNode>> expected = new HashSet<>();
    for (String sched : List.of("cosine", "linear")) {
      for (double lr : new double[] {1e-4, 1e-3, 1e-2}) {
        for (long rank = 4; rank <= 6; rank++) {
          expected.add(List.of(TextNode.valueOf(sched), new Param.LogUniform(1e-4, 1e-2).decode(Math.log(lr / 1e-4) / Math.log(100)),
              com.fasterxml.jackson.databind.node.LongNode.valueOf(rank), BooleanNode.TRUE));
        }
      }
    }
    assertThat(seen).isEqualTo(expected);
    // the last key varies fastest
    assertThat(s.decode(g.propose(0, List.of(), s, 0)).get("lora_rank").asLong()).isEqualTo(4);
    assertThat(s.decode(g.propose(1, List.of(), s, 0)).get("lora_rank").asLong()).isEqualTo(5);
  }

  /** Runs a strategy for {@code budget} trials on a synthetic loss; returns the points. */
  static List<Observation> run(Strategy st, SearchSpace s, ToDoubleFunction<double[]> f, int budget, long seed) {
    List<Observation> h = new ArrayList<>();
    for (int i = 0; i < budget; i++) {
      double[] x = st.propose(i, List.copyOf(h), s, seed);
      h.add(new Observation(x, f.applyAsDouble(x)));
    }
    return h;
  }

  static SearchSpace cube(int d) {
    Map<String, Param> p = new LinkedHashMap<>();
    for (int i = 0; i < d; i++) {
      p.put("x" + i, new Param.Uniform(0, 1));
    }
    return new SearchSpace(p);
  }

  @Test
  void randomAndGeneticAreDeterministicForASeed() {
    SearchSpace s = cube(3);
    ToDoubleFunction<double[]> f = x -> Math.pow(x[0] - 0.3, 2) + Math.abs(x[1] - 0.6) + x[2];
    for (Strategy st : List.of(new Strategy.Random(), new GeneticSearch(4, 2, 0.9, 0.3, 0.1), BayesianSearch.defaults(3))) {
      List<Observation> a = run(st, s, f, 12, 7);
      List<Observation> b = run(st, s, f, 12, 7);
      List<Observation> c = run(st, s, f, 12, 8);
      for (int i = 0; i < 12; i++) {
        assertThat(a.get(i).point()).as("%s trial %d", st, i).isEqualTo(b.get(i).point());
      }
      assertThat(a.get(11).point()).isNotEqualTo(c.get(11).point());
    }
  }

  @Test
  void geneticOperatorsDoWhatTheySay() {
    var r = new java.util.SplittableRandom(1);
    List<Observation> pool = List.of(new Observation(new double[] {0.1}, 3), new Observation(new double[] {0.2}, 1),
        new Observation(new double[] {0.3}, Double.NaN));
    // a tournament over the whole pool many times always has the best among its draws sometimes; with size 50 always
    for (int i = 0; i < 20; i++) {
      assertThat(GeneticSearch.select(pool, 50, r).loss()).isEqualTo(1.0);
    }
    double[] a = {0, 0, 0, 0, 0, 0, 0, 0};
    double[] b = {1, 1, 1, 1, 1, 1, 1, 1};
    double[] c = GeneticSearch.crossover(a, b, r);
    for (double v : c) {
      assertThat(v == 0 || v == 1).isTrue();
    }
    assertThat(GeneticSearch.mutate(a, 0, 0.5, r)).isEqualTo(a);
    for (double v : GeneticSearch.mutate(new double[] {0.02, 0.98, 0.5}, 1, 0.5, r)) {
      assertThat(v).isBetween(0.0, 1.0);
    }
    // a generation after the first is bred from the previous one: with mutation off and a pool of
    // identical best points, children equal the parents
    GeneticSearch g = new GeneticSearch(3, 3, 1.0, 0.0, 0.1);
    List<Observation> h = List.of(new Observation(new double[] {0.4, 0.6}, 1), new Observation(new double[] {0.4, 0.6}, 1),
        new Observation(new double[] {0.4, 0.6}, 1));
    assertThat(g.propose(3, h, cube(2), 5)).containsExactly(0.4, 0.6);
  }

  @Test
  void bayesianBeatsRandomOnAverage() {
    // a smooth bowl with its minimum off-centre in 3-D, 20 trials, over 8 search seeds
    SearchSpace s = cube(3);
    ToDoubleFunction<double[]> f = x -> Math.pow(x[0] - 0.2, 2) + Math.pow(x[1] - 0.7, 2) + 0.5 * Math.pow(x[2] - 0.4, 2);
    double bo = 0;
    double rnd = 0;
    double ga = 0;
    int seeds = 8;
    for (long seed = 0; seed < seeds; seed++) {
      bo += best(run(new BayesianSearch(5, 500, Kernel.MATERN52, 0.01, Double.NaN, 1e-6), s, f, 20, seed)) / seeds;
      rnd += best(run(new Strategy.Random(), s, f, 20, seed)) / seeds;
      ga += best(run(new GeneticSearch(5, 2, 0.9, 0.3, 0.1), s, f, 20, seed)) / seeds;
    }
    System.err.printf("mean best after 20 trials: bayesian %.5f, random %.5f, genetic %.5f%n", bo, rnd, ga);
    assertThat(bo).as("Bayesian's mean best loss is under a third of random's").isLessThan(rnd / 3);
  }

  static double best(List<Observation> h) {
    return h.stream().mapToDouble(Observation::loss).min().orElseThrow();
  }
}
