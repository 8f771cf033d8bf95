package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The DPO-family objective of TRL 1.13's {@code DPOTrainer._compute_loss}, from sequence log-probs to
 * the loss and TRL's metrics:
 *
 * <pre>
 *   u_w = pi_w - ref_w, u_l = pi_l - ref_l           (ref = 0 when reference-free)
 *   s = f'(e^u) per side (FDivergence), D = s_w - s_l
 *   loss = sum_k w_k * mean_B(loss_k(u, s, D) * [WPO weight w_c * w_l])
 *   rewards/chosen = mean(beta * u_w) (detached), etc.
 * </pre>
 */
public final class DpoLoss {
  private DpoLoss() {}

  /** The loss, per-pair values and metrics of one batch. */
  public static DpoLossOutput compute(DpoLossConfig cfg, PreferenceLogps in) {
    NDArray chosen = in.chosen();
    NDArray rejected = in.rejected();
    NDArray refChosen = reference(cfg, in.refChosen(), chosen, "refChosen");
    NDArray refRejected = reference(cfg, in.refRejected(), rejected, "refRejected");
    double beta = cfg.beta();

    NDArray uw = chosen.sub(refChosen);                                    // [B]
    NDArray ul = rejected.sub(refRejected);                                // [B]
    NDArray sw = cfg.fDivergence().score(uw, cfg.fAlphaDivergenceCoef());  // [B]
    NDArray sl = cfg.fDivergence().score(ul, cfg.fAlphaDivergenceCoef());  // [B]
    NDArray delta = sw.sub(sl);                                            // [B]

    NDArray wpo = null;
    if (cfg.useWeighting()) {
      if (in.chosenWeights() == null || in.rejectedWeights() == null) {
        throw new IllegalArgumentException("use_weighting needs WPO weights (SequenceLogps.wpoWeights) for both sides");
      }
      wpo = in.chosenWeights().mul(in.rejectedWeights()).stopGradient();
    }

    Map<DpoLossType, NDArray> perType = new EnumMap<>(DpoLossType.class);
    NDArray perPair = null;
    List<DpoLossType> types = cfg.lossTypes();
    for (int k = 0; k < types.size(); k++) {
      DpoLossType t = types.get(k);
      NDArray l = perTypeLoss(t, cfg, in, chosen, rejected, refChosen, refRejected, uw, ul, sw, sl, delta);
      if (wpo != null) {
        l = l.mul(wpo);
      }
      perType.put(t, l);
      double w = cfg.lossWeights().get(k);
      NDArray weighted = w == 1.0 ? l : times(l, w);
      perPair = perPair == null ? weighted : perPair.add(weighted);
    }
    NDArray loss = perPair.mean();

    NDArray chosenRewards = times(uw.stopGradient(), beta);
    NDArray rejectedRewards = times(ul.stopGradient(), beta);
    PreferenceMetrics metrics = PreferenceMetrics.of(chosenRewards, rejectedRewards, chosen, rejected);
    return new DpoLossOutput(loss, perPair, Collections.unmodifiableMap(perType), chosenRewards, rejectedRewards,
        metrics);
  }

  private static NDArray reference(DpoLossConfig cfg, NDArray ref, NDArray policy, String name) {
    if (cfg.referenceFree()) {
      return policy.zerosLike().stopGradient();
    }
    if (ref == null) {
      throw new IllegalArgumentException(name + " log-probs are required unless reference_free is set");
    }
    return ref.stopGradient();
  }

  private static NDArray perTypeLoss(DpoLossType t, DpoLossConfig cfg, PreferenceLogps in, NDArray chosen,
      NDArray rejected, NDArray refChosen, NDArray refRejected, NDArray uw, NDArray ul, NDArray sw, NDArray sl,
      NDArray delta) {
    double beta = cfg.beta();
    double eps = cfg.labelSmoothing();
    switch (t) {
      case SIGMOID:
        return PairLosses.sigmoid(delta, beta);
      case HINGE:
        return PairLosses.hinge(delta, beta);
      case IPO:
        requireLengths(t, in);
        return PairLosses.ipo(sw, sl, in.chosenLengths(), in.rejectedLengths(), beta);
      case SIGMOID_NORM:
        requireLengths(t, in);
        return PairLosses.sigmoidNorm(sw, sl, in.chosenLengths(), in.rejectedLengths(), beta);
      case ROBUST:
        return PairLosses.robust(delta, beta, eps);
      case EXO_PAIR:
        return PairLosses.exoPair(delta, beta, eps);
      case NCA_PAIR:
        return PairLosses.ncaPair(uw, ul, beta);
      case BCO_PAIR:
        return PairLosses.bcoPair(uw, ul, beta);
      case SPPO_HARD:
        return PairLosses.sppoHard(uw, ul, beta);
      case AOT:
        return PairLosses.aot(chosen, rejected, refChosen, refRejected, beta, eps);
      case AOT_UNPAIRED:
        return PairLosses.aotUnpaired(uw, ul, beta, eps);
      case APO_ZERO:
        return PairLosses.apoZero(uw, ul, beta);
      case APO_DOWN:
        return PairLosses.apoDown(uw, ul, beta);
      case DISCOPOP:
        return PairLosses.discopop(delta, beta, cfg.discopopTau());
      case CDPO:
        return PairLosses.cdpo(delta, beta, eps);
      case SFT:
        if (in.sftNll() == null) {
          throw new IllegalArgumentException("loss type sft needs the chosen token-mean NLL (PreferenceLogps.withSftNll)");
        }
        return PairLosses.sft(in.sftNll(), in.batchSize());
      default:
        throw new IllegalStateException("unhandled loss type " + t);
    }
  }

  private static void requireLengths(DpoLossType t, PreferenceLogps in) {
    if (in.chosenLengths() == null || in.rejectedLengths() == null) {
      throw new IllegalArgumentException("loss type " + t + " needs completion lengths (PreferenceLogps.withLengths)");
    }
  }
}
