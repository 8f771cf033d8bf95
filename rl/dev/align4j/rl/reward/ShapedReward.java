package dev.align4j.rl.reward;

import dev.align4j.rl.TokenArrays;

/**
 * The per-token reward of KL-penalised RLHF (Ziegler et al. 2019 eq. 2; Ouyang et al. 2022 eq. 2) as
 * OpenRLHF's {@code models/utils.py: compute_reward}: the sequence reward {@code r}, clipped, sits on
 * the LAST action token of each row, and every token carries {@code -kl_coef * KL_t}.
 */
public final class ShapedReward {
  private ShapedReward() {}

  /**
   * {@code reward[i][t] = (t == last(i) ? clip(r[i]) : 0) - klCoef * kl[i][t]}.
   *
   * <p>As OpenRLHF: a negative {@code klCoef} counts as 0; the KL term is NOT masked here (GAE masks
   * rewards); {@code last(i)} is the rightmost true position of the mask, and T-1 for an empty row.
   *
   * @param r sequence rewards {@code [B]}
   * @param klCoef the KL controller's current value
   * @param kl per-token KL estimate {@code [B, T]} (see {@link dev.align4j.rl.kl.ApproxKl})
   * @param actionMask {@code [B, T]}
   * @param clip clip range for {@code r}, or null for none
   * @return per-token rewards {@code [B, T]}
   */
  public static double[][] compute(double[] r, double klCoef, double[][] kl, boolean[][] actionMask, RewardClip clip) {
    int b = actionMask.length;
    int t = TokenArrays.columns(actionMask);
    TokenArrays.requireShape("actionMask", actionMask, b, t);
    TokenArrays.requireShape("kl", kl, b, t);
    TokenArrays.requireLength("r", r, b);
    double coef = klCoef <= 0 ? 0.0 : klCoef;
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      int last = t - 1;
      for (int j = t - 1; j >= 0; j--) {
        if (actionMask[i][j]) {
          last = j;
          break;
        }
      }
      for (int j = 0; j < t; j++) {
        out[i][j] = -coef * kl[i][j];
      }
      out[i][last] += clip == null ? r[i] : clip.apply(r[i]);
    }
    return out;
  }
}
