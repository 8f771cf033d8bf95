package dev.align4j.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.train.Objective;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The pairwise reward-model loss of TRL's {@code RewardTrainer.compute_loss}, as a sum over pairs:
 * {@code -log sigmoid(r_c - r_r - margin)}, plus {@code coef * (r_c + r_r)^2} when {@code
 * center_rewards_coefficient} is set (TRL adds {@code coef * mean((r_c + r_r)^2)}, the same term per
 * pair). The engine divides the sums by the effective batch's pairs, giving TRL's means.
 *
 * <p>Metric sums (per pair, so that dividing by pairs gives TRL's batch means): {@code accuracy}
 * ({@code r_c > r_r}), {@code margin} ({@code r_c - r_r}), {@code mean_reward} ({@code (r_c +
 * r_r) / 2}: the mean over both sides), {@code chosen_reward}, {@code rejected_reward}.
 *
 * @param centerRewardsCoefficient 0 for none
 */
public record BradleyTerry(double centerRewardsCoefficient) {
  /** Validates. */
  public BradleyTerry {
    if (!(centerRewardsCoefficient >= 0) || Double.isInfinite(centerRewardsCoefficient)) {
      throw new IllegalArgumentException("center_rewards_coefficient must be >= 0, got " + centerRewardsCoefficient);
    }
  }

  /**
   * The loss sum and metric sums of a batch of pairs.
   *
   * @param chosen rewards of the chosen sequences {@code [B]} (float32 or float64, with autograd)
   * @param rejected rewards of the rejected sequences {@code [B]}
   * @param margin per-pair margins {@code [B]} of the same dtype, or {@code null} for none
   */
  public Objective.Loss loss(NDArray chosen, NDArray rejected, NDArray margin) {
    NDArray diff = chosen.sub(rejected);                                             // [B]
    NDArray x = margin == null ? diff : diff.sub(margin);                            // [B]
    // -log sigmoid(x) = max(-x, 0) + log(1 + exp(-|x|)): no overflow for large |x|
    NDArray nll = x.neg().maximum(Kernels.scalar(x, 0))
        .add(x.abs().neg().exp().add(Kernels.scalar(x, 1)).log());                  // [B]
    NDArray sum = nll.sum();
    if (centerRewardsCoefficient != 0) {
      NDArray s = chosen.add(rejected);                                              // [B]
      sum = sum.add(s.mul(s).sum().mul(Kernels.scalar(s, centerRewardsCoefficient)));
    }
    Map<String, NDArray> metrics = new LinkedHashMap<>();
    NDArray c = chosen.stopGradient();
    NDArray r = rejected.stopGradient();
    metrics.put("accuracy", c.gt(r).toType(DataType.FLOAT64, false).sum());
    metrics.put("margin", c.sub(r).toType(DataType.FLOAT64, false).sum());
    NDArray both = c.add(r).toType(DataType.FLOAT64, false).sum();
    metrics.put("mean_reward", both.mul(Kernels.scalar(both, 0.5)));
    metrics.put("chosen_reward", c.toType(DataType.FLOAT64, false).sum());
    metrics.put("rejected_reward", r.toType(DataType.FLOAT64, false).sum());
    return new Objective.Loss(sum, metrics);
  }
}
