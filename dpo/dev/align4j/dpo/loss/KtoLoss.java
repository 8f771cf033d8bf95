package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.scalar;
import static dev.align4j.dpo.loss.LossMath.sig;
import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * KTO (Ethayarajh et al. 2024, eqs. 7-8) as TRL 1.13's {@code KTOTrainer._compute_loss} computes it:
 *
 * <pre>
 *   z0 = max(0, mean(KL_policy - KL_ref))            (detached; from mismatched prompt/completion pairs)
 *   desirable:   lambda_D * (1 - sig(beta * (u - z0)))      u = pi - ref
 *   undesirable: lambda_U * (1 - sig(beta * (z0 - u)))
 *   loss = mean over all N examples
 * </pre>
 *
 * apo_zero_unpaired uses {@code 1 - sig(beta u)} and {@code sig(beta u)} with no KL term.
 */
public final class KtoLoss {
  private KtoLoss() {}

  /** The loss, per-example losses and metrics of one batch. */
  public static KtoLossOutput compute(KtoLossConfig cfg, KtoLogps in) {
    NDArray policy = in.policy();
    double beta = cfg.beta();
    NDManager mgr = policy.getManager();
    boolean[] labels = in.desirable();
    long[] chosenIdx = indices(labels, true);
    long[] rejectedIdx = indices(labels, false);

    double kl = 0;
    if (cfg.lossType().usesKl()) {
      if (in.klPolicy() == null) {
        throw new IllegalArgumentException("loss type kto needs the KL log-probs of mismatched completions");
      }
      NDArray d = in.klPolicy().stopGradient().sub(in.klReference().stopGradient());
      kl = Math.max(0, LossMath.meanValue(d));
    }

    NDArray u = policy.sub(in.reference().stopGradient());                   // [N]
    NDArray chosenLosses = null;
    NDArray rejectedLosses = null;
    NDArray chosenRewards = null;
    NDArray rejectedRewards = null;
    if (chosenIdx.length > 0) {
      NDArray uc = select(u, chosenIdx, mgr);
      NDArray z = cfg.lossType() == KtoLossType.KTO ? uc.sub(scalar(uc, kl)) : uc;
      chosenLosses = times(scalar(z, 1.0).sub(sig(times(z, beta))), cfg.desirableWeight());
      chosenRewards = times(uc.stopGradient(), beta);
    }
    if (rejectedIdx.length > 0) {
      NDArray ur = select(u, rejectedIdx, mgr);
      NDArray l = cfg.lossType() == KtoLossType.KTO
          ? scalar(ur, 1.0).sub(sig(times(scalar(ur, kl).sub(ur), beta)))
          : sig(times(ur, beta));
      rejectedLosses = times(l, cfg.undesirableWeight());
      rejectedRewards = times(ur.stopGradient(), beta);
    }
    NDArray losses = chosenLosses == null ? rejectedLosses
        : rejectedLosses == null ? chosenLosses : chosenLosses.concat(rejectedLosses);
    NDArray loss = losses.mean();

    double rc = chosenRewards == null ? Double.NaN : LossMath.meanValue(chosenRewards);
    double rr = rejectedRewards == null ? Double.NaN : LossMath.meanValue(rejectedRewards);
    double lc = chosenIdx.length == 0 ? Double.NaN : LossMath.meanValue(select(policy.stopGradient(), chosenIdx, mgr));
    double lr = rejectedIdx.length == 0 ? Double.NaN
        : LossMath.meanValue(select(policy.stopGradient(), rejectedIdx, mgr));
    double margin = Double.isNaN(rc) || Double.isNaN(rr) ? Double.NaN : rc - rr;
    KtoMetrics metrics = new KtoMetrics(kl, rc, rr, margin, lc, lr);
    if (chosenRewards == null) {
      chosenRewards = policy.stopGradient().get("0:0");
    }
    if (rejectedRewards == null) {
      rejectedRewards = policy.stopGradient().get("0:0");
    }
    return new KtoLossOutput(loss, losses, chosenRewards, rejectedRewards, kl, metrics);
  }

  /**
   * Where each example's KL completion comes from, as TRL's {@code KTOTrainer._prepare_dataset} builds
   * it: the dataset, in order, is cut into batches of {@code batchSize} (the last may be shorter) and
   * the completions rotate by one within each batch, {@code (x_1, y_n), (x_2, y_1), ..., (x_n, y_(n-1))}.
   * Returns {@code src} with example i's KL sequence = prompt i + completion {@code src[i]}; KTO needs
   * the training batches to be these same, unshuffled groups (TRL requires sequential sampling).
   */
  public static int[] klCompletionSources(int n, int batchSize) {
    if (batchSize < 1 || n < 0) {
      throw new IllegalArgumentException("need n >= 0 and batchSize >= 1, got " + n + " and " + batchSize);
    }
    int[] src = new int[n];
    for (int start = 0; start < n; start += batchSize) {
      int end = Math.min(n, start + batchSize);
      src[start] = end - 1;
      for (int i = start + 1; i < end; i++) {
        src[i] = i - 1;
      }
    }
    return src;
  }

  private static long[] indices(boolean[] labels, boolean want) {
    int n = 0;
    for (boolean b : labels) {
      n += b == want ? 1 : 0;
    }
    long[] idx = new long[n];
    int j = 0;
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] == want) {
        idx[j++] = i;
      }
    }
    return idx;
  }

  /** Rows {@code idx} (ascending) of x, differentiably: a boolean-mask get (TRL's index_select of nonzero). */
  private static NDArray select(NDArray x, long[] idx, NDManager mgr) {
    boolean[] keep = new boolean[(int) x.size()];
    for (long i : idx) {
      keep[(int) i] = true;
    }
    // the mask stays on the caller's manager: autograd keeps it for backward, and DJL may back it by a
    // Java buffer that closing would free (djl-facts: scalars from Java buffers)
    return x.get(mgr.create(keep));
  }
}
