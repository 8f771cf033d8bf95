package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.align4j.dpo.loss.OrpoLoss;
import dev.align4j.dpo.loss.OrpoLossConfig;
import dev.align4j.dpo.loss.OrpoLossOutput;
import dev.align4j.dpo.loss.OrpoLogps;
import dev.align4j.dpo.loss.SequenceLogps;
import dev.align4j.peft.kernels.Kernels;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * ORPO ({@link OrpoLoss}) on a {@link DpoBatch}, no reference: the completions' mean log-probs and
 * the chosen rows' token-mean NLL over every real token after the first (TRL's ORPO masks padding only).
 */
public record OrpoPairLoss(OrpoLossConfig config) implements PairLoss {
  @Override
  public Output apply(Inputs in) {
    DpoBatch batch = in.batch();
    int b = batch.pairs();
    NDArray perToken = in.policy().perToken();                                   // [2B, T-1], 0 off the completion
    NDArray mask = batch.completionMask();
    NDArray mean = SequenceLogps.mean(perToken, mask);                           // [2B]
    NDArray nll = SequenceLogps.tokenMeanNll(realTokenLogps(in, b), realTargets(in, b));
    OrpoLossOutput out = OrpoLoss.compute(config, new OrpoLogps(mean.get("0:" + b), mean.get(b + ":"), nll));
    Map<String, Double> logs = new LinkedHashMap<>(out.logs());
    return new Output(out.loss().mul(Kernels.scalar(out.loss(), b)), logs);
  }

  /** Log-probs of every next token of the chosen rows, {@code [B, T-1]} (the prompt included). */
  static NDArray realTokenLogps(Inputs in, int b) {
    NDArray logits = in.logits().get("0:" + b + ", :-1, :");
    NDArray labels = in.batch().input().inputIds().get("0:" + b + ", 1:");
    return SequenceLogps.perToken(logits, labels);
  }

  /** 1 where token t+1 of a chosen row is real (not padding), {@code [B, T-1]}. */
  static NDArray realTargets(Inputs in, int b) {
    long[] att = in.batch().input().attentionMask();
    int t = in.batch().input().length();
    float[] m = new float[b * (t - 1)];
    for (int i = 0; i < b; i++) {
      for (int j = 1; j < t; j++) {
        m[i * (t - 1) + j - 1] = att == null ? 1 : att[i * t + j];
      }
    }
    return in.logits().getManager().create(m, new Shape(b, t - 1));
  }

  @Override
  public boolean needsReference() {
    return false;
  }
}
