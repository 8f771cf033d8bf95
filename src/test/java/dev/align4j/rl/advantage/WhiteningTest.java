package dev.align4j.rl.advantage;

import static dev.align4j.rl.RlGoldens.assertClose;
import static dev.align4j.rl.RlGoldens.mask;
import static dev.align4j.rl.RlGoldens.mat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.rl.RlGoldens;
import org.junit.jupiter.api.Test;

/**
 * Whitening: OpenRLHF masked_normalize and the old TRL masked_whiten (goldens); the global variant is
 * covered by {@link OpenRlhfAdvantagesTest} and here by its invariants.
 */
class WhiteningTest {
  @Test
  void perRowMatchesOpenRlhfMaskedNormalize() {
    JsonNode c = RlGoldens.cases("masked_normalize").get(0);
    assertClose("masked_normalize", Whitening.perRow(mat(c.get("x")), mask(c.get("mask"))), mat(c.get("out")), 1e-13);
  }

  @Test
  void maskedMatchesTrlMaskedWhiten() {
    for (JsonNode c : RlGoldens.cases("masked_whiten_trl0")) {
      double[][] out = Whitening.masked(mat(c.get("x")), mask(c.get("mask")), c.get("shift_mean").asBoolean());
      assertClose("masked_whiten", out, mat(c.get("out")), 1e-13);
    }
  }

  @Test
  void globalHasZeroMeanUnitVarianceOverActiveTokens() {
    double[][] a = {{1, 2, 3, 99}, {-4, 0.5, 77, 77}};
    boolean[][] m = {{true, true, true, false}, {true, true, false, false}};
    double[][] w = Whitening.global(a, m, true);
    double s = 0;
    double s2 = 0;
    int n = 0;
    for (int i = 0; i < 2; i++) {
      for (int j = 0; j < 4; j++) {
        if (m[i][j]) {
          s += w[i][j];
          s2 += w[i][j] * w[i][j];
          n++;
        }
      }
    }
    assertThat(s / n).isCloseTo(0, offset(1e-14));
    assertThat(s2 / n).isCloseTo(1, offset(1e-12)); // population variance, as OpenRLHF
    double[][] centred = Whitening.global(a, m, false);
    assertThat(centred[0][0] - centred[0][1]).isCloseTo(-1, offset(1e-14));
  }
}
