package dev.align4j.rl.advantage;

import dev.align4j.rl.TokenArrays;

/**
 * Generalized Advantage Estimation (Schulman et al. 2016, "High-Dimensional Continuous Control Using
 * Generalized Advantage Estimation", eq. 16: {@code A_t = sum_l (gamma lambda)^l delta_{t+l}}, {@code
 * delta_t = r_t + gamma V_{t+1} - V_t}), exactly as OpenRLHF's {@code
 * experience_maker.py: get_advantages_and_returns}: values and rewards are multiplied by the action
 * mask first, the value after the last column is 0, and the returns are {@code A + V} (masked V).
 */
public final class Gae {
  private Gae() {}

  /**
   * GAE over a right-padded batch.
   *
   * @param values critic values {@code V_t} {@code [B, T]}
   * @param rewards per-token rewards {@code [B, T]} (e.g. {@link dev.align4j.rl.reward.ShapedReward})
   * @param actionMask {@code [B, T]}; null means every token counts
   * @param gamma discount, in [0, 1]
   * @param lambda GAE lambda, in [0, 1]
   */
  public static AdvantagesAndReturns compute(double[][] values, double[][] rewards, boolean[][] actionMask,
      double gamma, double lambda) {
    int b = TokenArrays.rows("rewards", rewards);
    int t = b == 0 ? 0 : rewards[0].length;
    TokenArrays.requireShape("rewards", rewards, b, t);
    TokenArrays.requireShape("values", values, b, t);
    if (actionMask != null) {
      TokenArrays.requireShape("actionMask", actionMask, b, t);
    }
    requireUnit("gamma", gamma);
    requireUnit("lambda", lambda);
    double[][] adv = new double[b][t];
    double[][] ret = new double[b][t];
    for (int i = 0; i < b; i++) {
      double lastGaeLam = 0;
      for (int j = t - 1; j >= 0; j--) {
        double v = masked(values[i][j], actionMask, i, j);
        double next = j < t - 1 ? masked(values[i][j + 1], actionMask, i, j + 1) : 0.0;
        double delta = masked(rewards[i][j], actionMask, i, j) + gamma * next - v;
        lastGaeLam = delta + gamma * lambda * lastGaeLam;
        adv[i][j] = lastGaeLam;
        ret[i][j] = lastGaeLam + v;
      }
    }
    return new AdvantagesAndReturns(adv, ret);
  }

  private static double masked(double x, boolean[][] mask, int i, int j) {
    return mask == null || mask[i][j] ? x : 0.0 * x;
  }

  static void requireUnit(String name, double x) {
    if (!(x >= 0 && x <= 1)) {
      throw new IllegalArgumentException(name + " must be in [0, 1], got " + x);
    }
  }
}
