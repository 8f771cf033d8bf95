package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.scalar;
import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;

/**
 * Reductions from next-token logits and per-token log-probs to the sequence quantities the losses take,
 * as TRL 1.13 computes them. Shapes: logits {@code [B, T, V]} already shifted (position t predicts
 * label t), labels {@code [B, T]} int64, masks {@code [B, T]} (any numeric or boolean dtype; 1 = the
 * token counts). Masked-out positions contribute nothing, whatever their log-prob.
 */
public final class SequenceLogps {
  private SequenceLogps() {}

  /** {@code log_softmax(logits)[label]} per position, [B, T], with autograd (TRL's {@code selective_log_softmax}). */
  public static NDArray perToken(NDArray logits, NDArray labels) {
    return logits.logSoftmax(2).gather(labels.expandDims(2), 2).squeeze(2);
  }

  /** Sum of the masked per-token log-probs, [B] (TRL's {@code logps} without ld_alpha). */
  public static NDArray sum(NDArray perToken, NDArray mask) {
    return perToken.mul(asFloat(mask, perToken)).sum(new int[] {1});
  }

  /** Mean of the masked per-token log-probs, [B] (CPO/ORPO {@code average_log_prob=True}; no clamp, as TRL). */
  public static NDArray mean(NDArray perToken, NDArray mask) {
    NDArray m = asFloat(mask, perToken);
    return perToken.mul(m).sum(new int[] {1}).div(m.sum(new int[] {1}));
  }

  /** Number of masked tokens per row, [B], in {@code like}'s dtype (completion lengths for ipo/sigmoid_norm). */
  public static NDArray lengths(NDArray mask, NDArray like) {
    return asFloat(mask, like).sum(new int[] {1});
  }

  /**
   * The token-mean negative log-likelihood over every masked token of the batch, a scalar with
   * autograd: TRL's {@code F.cross_entropy(logits[mask], labels[mask])} (DPO's sft term, CPO's and
   * ORPO's NLL, each with its own mask).
   */
  public static NDArray tokenMeanNll(NDArray perToken, NDArray mask) {
    NDArray m = asFloat(mask, perToken);
    return perToken.mul(m).sum().div(m.sum()).neg();
  }

  /**
   * LD-DPO (Liu et al. 2024, eq. 9): the first {@code min(n_w, n_l)} completion tokens of each side
   * count fully, the rest with weight {@code alpha}; TRL's {@code ld_alpha} reduction for policy and
   * reference alike. Position within the completion is the running count of the mask.
   */
  public static ChosenRejected ldAlphaSums(NDArray chosenPerToken, NDArray rejectedPerToken, NDArray chosenMask,
      NDArray rejectedMask, double alpha) {
    NDArray cm = asFloat(chosenMask, chosenPerToken);
    NDArray rm = asFloat(rejectedMask, rejectedPerToken);
    NDArray shared = cm.sum(new int[] {1}).minimum(rm.sum(new int[] {1})).expandDims(1);   // [B, 1]
    return new ChosenRejected(ldAlphaSum(chosenPerToken, cm, shared, alpha),
        ldAlphaSum(rejectedPerToken, rm, shared, alpha));
  }

  private static NDArray ldAlphaSum(NDArray perToken, NDArray mask, NDArray shared, double alpha) {
    NDArray pos = mask.cumSum(1);                                                     // [B, T]
    NDArray inShared = pos.gt(scalar(pos, 0)).logicalAnd(pos.lte(shared)).toType(perToken.getDataType(), false);
    NDArray inTail = pos.gt(shared).toType(perToken.getDataType(), false);
    NDArray tok = perToken.mul(mask);
    NDArray sharedSum = tok.mul(inShared).sum(new int[] {1});
    NDArray tailSum = tok.mul(inTail).sum(new int[] {1});
    return sharedSum.add(times(tailSum, alpha));
  }

  /**
   * WPO weights (Zhou et al. 2024, eq. 2, as TRL computes them), [B], detached: {@code exp(mean_t
   * (logp_t - log sum_v p_v^2))} over the masked tokens, i.e. the geometric-mean probability of the
   * sequence under the policy's sharpened distribution; the length is clamped to >= 1.
   */
  public static NDArray wpoWeights(NDArray perToken, NDArray logits, NDArray mask) {
    NDArray z = logits.stopGradient();
    NDArray lse1 = logSumExp(z);                                       // [B, T]
    NDArray lse2 = logSumExp(times(z, 2.0));                           // [B, T]
    NDArray logDenom = lse2.sub(times(lse1, 2.0));
    NDArray m = asFloat(mask, perToken);
    NDArray aligned = perToken.stopGradient().sub(logDenom).mul(m);
    NDArray len = m.sum(new int[] {1}).maximum(scalar(m, 1.0));
    return aligned.sum(new int[] {1}).div(len).exp().stopGradient();
  }

  private static NDArray logSumExp(NDArray z) {
    NDArray mx = z.max(new int[] {2}, true);
    return z.sub(mx).exp().sum(new int[] {2}).log().add(mx.squeeze(2));
  }

  private static NDArray asFloat(NDArray mask, NDArray like) {
    return mask.getDataType() == like.getDataType() ? mask : mask.toType(like.getDataType(), false);
  }
}
