package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import dev.align4j.dpo.loss.DpoLoss;
import dev.align4j.dpo.loss.DpoLossConfig;
import dev.align4j.dpo.loss.DpoLossOutput;
import dev.align4j.dpo.loss.PreferenceLogps;
import dev.align4j.dpo.loss.SequenceLogps;
import dev.align4j.peft.kernels.Kernels;

/**
 * TRL's {@code DPOTrainer} loss family ({@link DpoLoss}) on a {@link DpoBatch}: the sequence sums,
 * and where a loss type needs them the completion lengths (ipo, sigmoid_norm), the chosen token-mean
 * NLL (sft) and the WPO weights.
 */
public record DpoFamilyLoss(DpoLossConfig config) implements PairLoss {
  @Override
  public Output apply(Inputs in) {
    DpoBatch batch = in.batch();
    int b = batch.pairs();
    PreferenceLogps p = PreferenceLogps.of(in.chosen(), in.rejected(), in.refChosen(), in.refRejected());
    if (config.needsLengths()) {
      double[] len = new double[2 * b];
      for (int i = 0; i < 2 * b; i++) {
        len[i] = Math.max(1, batch.completionLengths()[i]);   // TRL clamps the count to >= 1
      }
      NDArray l = in.chosen().getManager().create(len).toType(in.chosen().getDataType(), false);
      p = p.withLengths(l.get("0:" + b), l.get(b + ":"));
    }
    NDArray perToken = in.policy().perToken();                                   // [2B, T-1]
    NDArray mask = batch.completionMask();                                       // [2B, T-1]
    if (config.needsSftNll()) {
      p = p.withSftNll(SequenceLogps.tokenMeanNll(perToken.get("0:" + b), mask.get("0:" + b)));
    }
    if (config.useWeighting()) {
      NDArray w = SequenceLogps.wpoWeights(perToken, in.logits().get(":, :-1, :"), mask);   // [2B]
      p = p.withWpoWeights(w.get("0:" + b), w.get(b + ":"));
    }
    DpoLossOutput out = DpoLoss.compute(config, p);
    NDArray sum = out.loss().mul(Kernels.scalar(out.loss(), b));
    return new Output(sum, out.metrics().logs());
  }

  @Override
  public boolean needsReference() {
    return config.needsReference();
  }
}
