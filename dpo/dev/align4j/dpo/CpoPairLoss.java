package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import dev.align4j.dpo.loss.CpoLogps;
import dev.align4j.dpo.loss.CpoLoss;
import dev.align4j.dpo.loss.CpoLossConfig;
import dev.align4j.dpo.loss.CpoLossOutput;
import dev.align4j.dpo.loss.SequenceLogps;
import dev.align4j.peft.kernels.Kernels;

/**
 * CPO, SimPO and AlphaPO ({@link CpoLoss}) on a {@link DpoBatch}, no reference: completion log-probs
 * summed (sigmoid, hinge) or averaged (ipo, simpo), and the chosen completions' token-mean NLL when
 * {@code cpo_alpha > 0}.
 */
public record CpoPairLoss(CpoLossConfig config) implements PairLoss {
  @Override
  public Output apply(Inputs in) {
    DpoBatch batch = in.batch();
    int b = batch.pairs();
    NDArray perToken = in.policy().perToken();
    NDArray mask = batch.completionMask();
    NDArray chosen = in.chosen();
    NDArray rejected = in.rejected();
    if (config.lossType().averagesLogps()) {
      NDArray mean = SequenceLogps.mean(perToken, mask);                         // [2B]
      chosen = mean.get("0:" + b);
      rejected = mean.get(b + ":");
    }
    NDArray nll = config.cpoAlpha() == 0 ? null
        : SequenceLogps.tokenMeanNll(perToken.get("0:" + b), mask.get("0:" + b));
    CpoLossOutput out = CpoLoss.compute(config, new CpoLogps(chosen, rejected, nll));
    return new Output(out.loss().mul(Kernels.scalar(out.loss(), b)), out.logs());
  }

  @Override
  public boolean needsReference() {
    return false;
  }
}
