package dev.align4j.rl.advantage;

import dev.align4j.rl.TokenArrays;

/**
 * Discounted reward-to-go {@code G_t = sum_{k>=t} gamma^(k-t) r_k} (REINFORCE, Williams 1992), as
 * OpenRLHF's {@code get_cumulative_returns}: rewards are masked first; the advantage of the
 * REINFORCE-family estimators is {@code G_t} itself.
 */
public final class RewardToGo {
  private RewardToGo() {}

  /**
   * Returns {@code [B, T]}.
   *
   * @param rewards per-token rewards {@code [B, T]}
   * @param actionMask {@code [B, T]}; null means every token counts
   * @param gamma discount in [0, 1]
   */
  public static double[][] compute(double[][] rewards, boolean[][] actionMask, double gamma) {
    int b = TokenArrays.rows("rewards", rewards);
    int t = b == 0 ? 0 : rewards[0].length;
    TokenArrays.requireShape("rewards", rewards, b, t);
    if (actionMask != null) {
      TokenArrays.requireShape("actionMask", actionMask, b, t);
    }
    Gae.requireUnit("gamma", gamma);
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      double g = 0;
      for (int j = t - 1; j >= 0; j--) {
        double r = actionMask == null || actionMask[i][j] ? rewards[i][j] : 0.0 * rewards[i][j];
        g = r + gamma * g;
        out[i][j] = g;
      }
    }
    return out;
  }
}
