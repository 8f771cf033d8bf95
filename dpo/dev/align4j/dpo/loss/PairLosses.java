package dev.align4j.dpo.loss;

import static dev.align4j.dpo.loss.LossMath.logSigmoid;
import static dev.align4j.dpo.loss.LossMath.scalar;
import static dev.align4j.dpo.loss.LossMath.sig;
import static dev.align4j.dpo.loss.LossMath.times;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;

/**
 * The per-pair formulas of the DPO family, one function per {@link DpoLossType}, each as TRL 1.13's
 * {@code DPOTrainer._compute_loss} writes it. Notation: {@code u_w = pi_w - ref_w} and {@code u_l}
 * the log-ratios ([B]); {@code D = s_w - s_l} the gap of their f-divergence scores ({@link
 * FDivergence#score}; {@code D = u_w - u_l} for reverse KL); {@code b} = beta; {@code eps} = label
 * smoothing. Every function returns [B] with autograd.
 */
public final class PairLosses {
  private PairLosses() {}

  /** DPO, eq. 7 of Rafailov et al. 2023: {@code -logsig(b D)}. */
  public static NDArray sigmoid(NDArray delta, double beta) {
    return logSigmoid(times(delta, beta)).neg();
  }

  /** SLiC hinge: {@code relu(1 - b D)}. */
  public static NDArray hinge(NDArray delta, double beta) {
    return Activation.relu(scalar(delta, 1.0).sub(times(delta, beta)));
  }

  /**
   * IPO, eq. 17 of Azar et al. 2023 on per-token scores, as TRL (with the IPO authors' agreement)
   * normalises: {@code (s_w/n_w - s_l/n_l - 1/(2b))^2}, n clamped to >= 1.
   */
  public static NDArray ipo(NDArray chosenScores, NDArray rejectedScores, NDArray chosenLengths,
      NDArray rejectedLengths, double beta) {
    NDArray d = lengthNormalisedGap(chosenScores, rejectedScores, chosenLengths, rejectedLengths);
    return d.sub(scalar(d, 1.0 / (2 * beta))).square();
  }

  /** {@code -logsig(b (s_w/n_w - s_l/n_l))}: DPO on length-averaged scores (TRL's sigmoid_norm). */
  public static NDArray sigmoidNorm(NDArray chosenScores, NDArray rejectedScores, NDArray chosenLengths,
      NDArray rejectedLengths, double beta) {
    return sigmoid(lengthNormalisedGap(chosenScores, rejectedScores, chosenLengths, rejectedLengths), beta);
  }

  private static NDArray lengthNormalisedGap(NDArray cs, NDArray rs, NDArray cn, NDArray rn) {
    NDArray one = scalar(cs, 1.0);
    return cs.div(cn.toType(cs.getDataType(), false).maximum(one))
        .sub(rs.div(rn.toType(rs.getDataType(), false).maximum(one)));
  }

  /**
   * Robust DPO, eq. 8 of Chowdhury et al. 2024: {@code (-(1-eps) logsig(bD) + eps logsig(-bD)) /
   * (1 - 2 eps)}, unbiased when a fraction eps of the labels is flipped.
   */
  public static NDArray robust(NDArray delta, double beta, double eps) {
    NDArray z = times(delta, beta);
    NDArray clean = times(logSigmoid(z), -(1 - eps));
    NDArray flipped = times(logSigmoid(z.neg()), -eps);
    return times(clean.sub(flipped), 1.0 / (1 - 2 * eps));
  }

  /**
   * EXO-pref, eq. 16 of Ji et al. 2024 (K = 2): {@code KL(q || p)} with {@code q = (sig(bD),
   * sig(-bD))} and {@code p = (1-eps, eps)}.
   */
  public static NDArray exoPair(NDArray delta, double beta, double eps) {
    NDArray z = times(delta, beta);
    NDArray qw = sig(z);
    NDArray ql = sig(z.neg());
    NDArray tw = logSigmoid(z).sub(scalar(z, Math.log1p(-eps)));
    NDArray tl = logSigmoid(z.neg()).sub(scalar(z, Math.log(eps)));
    return qw.mul(tw).add(ql.mul(tl));
  }

  /** NCA pairwise, eq. 12 of Chen et al. 2024: {@code -logsig(b u_w) - logsig(-b u_w)/2 - logsig(-b u_l)/2}. */
  public static NDArray ncaPair(NDArray chosenLogratios, NDArray rejectedLogratios, double beta) {
    NDArray rw = times(chosenLogratios, beta);
    NDArray rl = times(rejectedLogratios, beta);
    return logSigmoid(rw).neg().sub(times(logSigmoid(rw.neg()), 0.5)).sub(times(logSigmoid(rl.neg()), 0.5));
  }

  /** BCO pairwise (Jung et al. 2024, without the running reward mean): {@code -logsig(b u_w) - logsig(-b u_l)}. */
  public static NDArray bcoPair(NDArray chosenLogratios, NDArray rejectedLogratios, double beta) {
    NDArray rw = times(chosenLogratios, beta);
    NDArray rl = times(rejectedLogratios, beta);
    return logSigmoid(rw).neg().sub(logSigmoid(rl.neg()));
  }

  /** SPPO, eq. 4.7 of Wu et al. 2024 with hard probabilities: {@code (u_w - 1/(2b))^2 + (u_l + 1/(2b))^2}. */
  public static NDArray sppoHard(NDArray chosenLogratios, NDArray rejectedLogratios, double beta) {
    NDArray h = scalar(chosenLogratios, 0.5 / beta);
    return chosenLogratios.sub(h).square().add(rejectedLogratios.add(h).square());
  }

  /**
   * AOT paired (Melnyk et al. 2024, distributional alignment via optimal transport): sorts {@code
   * pi_w - pi_l} and {@code ref_w - ref_l} over the batch separately, then the smoothed sigmoid of
   * their difference.
   */
  public static NDArray aot(NDArray chosen, NDArray rejected, NDArray refChosen, NDArray refRejected, double beta,
      double eps) {
    NDArray delta = chosen.sub(rejected).sort(0).sub(refChosen.sub(refRejected).sort(0));
    return smoothedSigmoid(delta, beta, eps);
  }

  /** AOT unpaired: sorts {@code u_w} and {@code u_l} over the batch separately. */
  public static NDArray aotUnpaired(NDArray chosenLogratios, NDArray rejectedLogratios, double beta, double eps) {
    return smoothedSigmoid(chosenLogratios.sort(0).sub(rejectedLogratios.sort(0)), beta, eps);
  }

  /** APO-zero, eq. 7 of D'Oosterlinck et al. 2024: {@code 1 - sig(b u_w) + sig(b u_l)}. */
  public static NDArray apoZero(NDArray chosenLogratios, NDArray rejectedLogratios, double beta) {
    NDArray cw = scalar(chosenLogratios, 1.0).sub(sig(times(chosenLogratios, beta)));
    return cw.add(sig(times(rejectedLogratios, beta)));
  }

  /** APO-down, eq. 8 of D'Oosterlinck et al. 2024: {@code sig(b u_w) + 1 - sig(b (u_w - u_l))}. */
  public static NDArray apoDown(NDArray chosenLogratios, NDArray rejectedLogratios, double beta) {
    NDArray lr = scalar(chosenLogratios, 1.0).sub(sig(times(chosenLogratios.sub(rejectedLogratios), beta)));
    return sig(times(chosenLogratios, beta)).add(lr);
  }

  /**
   * DiscoPOP, eq. 5 of Chris Lu et al. 2024: with {@code z = bD} and {@code m = sig(z/tau)}, {@code
   * (1-m) (-logsig z) + m e^-z}.
   */
  public static NDArray discopop(NDArray delta, double beta, double tau) {
    NDArray z = times(delta, beta);
    NDArray m = sig(times(z, 1.0 / tau));
    NDArray logistic = logSigmoid(z).neg();
    NDArray exp = z.neg().exp();
    return logistic.mul(scalar(m, 1.0).sub(m)).add(exp.mul(m));
  }

  /**
   * Conservative DPO (Mitchell 2023, "A note on DPO with noisy preferences"): {@code -(1-eps)
   * logsig(bD) - eps logsig(-bD)}, TRL's sigmoid before 0.20 and OpenRLHF/torchtune's today.
   */
  public static NDArray cdpo(NDArray delta, double beta, double eps) {
    return smoothedSigmoid(delta, beta, eps);
  }

  /** The {@code sft} term: the batch's chosen token-mean NLL (a scalar) repeated B times. */
  public static NDArray sft(NDArray sftNll, int batchSize) {
    return sftNll.reshape(1).broadcast(new Shape(batchSize));
  }

  private static NDArray smoothedSigmoid(NDArray delta, double beta, double eps) {
    NDArray z = times(delta, beta);
    NDArray l = times(logSigmoid(z), -(1 - eps));
    if (eps == 0) {
      return l;
    }
    return l.sub(times(logSigmoid(z.neg()), eps));
  }
}
