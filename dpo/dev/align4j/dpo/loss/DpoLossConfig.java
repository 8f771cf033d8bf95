package dev.align4j.dpo.loss;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The settings of {@link DpoLoss}, validated as TRL 1.13's {@code DPOTrainer.__init__} does. Names
 * follow {@code DPOConfig}.
 *
 * @param beta the KL coefficient (IPO's tau, hinge's 1/delta); > 0, default 0.1
 * @param lossTypes one or more loss types, summed with {@code lossWeights} (RPO = [SIGMOID, SFT]); no
 *     duplicates
 * @param lossWeights one weight per loss type (TRL's {@code loss_weights}; null = all 1.0)
 * @param labelSmoothing eps of robust, exo_pair, aot, aot_unpaired and cdpo; in [0, 0.5) for robust,
 *     > 0 for exo_pair; default 0
 * @param fDivergence {@code f_divergence_type}; non-default only with the types of {@link
 *     DpoLossType#supportsFDivergence()}
 * @param fAlphaDivergenceCoef {@code f_alpha_divergence_coef} (default 0.5)
 * @param ldAlpha LD-DPO's weight of the tokens past the shorter completion ({@code ld_alpha}); 1.0 =
 *     plain sums (TRL's {@code None} and 1.0 agree); in [0, 1]. Applied by the caller's reduction
 *     ({@link SequenceLogps#ldAlphaSums}); the loss itself only sees sequence sums.
 * @param discopopTau DiscoPOP's temperature (default 0.05)
 * @param useWeighting WPO weighting (Zhou et al. 2024, eq. 2); needs {@link PreferenceLogps#chosenWeights()}
 * @param referenceFree reference-free DPO: the reference log-probs are taken as 0 (and may be absent)
 */
public record DpoLossConfig(
    double beta,
    List<DpoLossType> lossTypes,
    List<Double> lossWeights,
    double labelSmoothing,
    FDivergence fDivergence,
    double fAlphaDivergenceCoef,
    double ldAlpha,
    double discopopTau,
    boolean useWeighting,
    boolean referenceFree) {

  /** TRL's defaults: beta 0.1, sigmoid, weight 1, no smoothing, reverse KL, alpha 0.5, tau 0.05. */
  public static final DpoLossConfig DEFAULTS =
      new DpoLossConfig(0.1, List.of(DpoLossType.SIGMOID), null, 0.0, FDivergence.REVERSE_KL, 0.5, 1.0, 0.05, false, false);

  private static final Set<DpoLossType> NO_WEIGHTING = EnumSet.of(DpoLossType.AOT, DpoLossType.AOT_UNPAIRED);

  public DpoLossConfig {
    if (!(beta > 0) || !Double.isFinite(beta)) {
      throw new IllegalArgumentException("beta must be a finite number > 0, got " + beta);
    }
    if (lossTypes == null || lossTypes.isEmpty()) {
      throw new IllegalArgumentException("loss_type must name at least one loss type");
    }
    if (EnumSet.copyOf(lossTypes).size() != lossTypes.size()) {
      throw new IllegalArgumentException("loss_type lists a loss type twice: " + lossTypes);
    }
    lossTypes = List.copyOf(lossTypes);
    if (lossWeights == null) {
      lossWeights = Collections.nCopies(lossTypes.size(), 1.0);
    }
    if (lossWeights.size() != lossTypes.size()) {
      throw new IllegalArgumentException("loss_weights has " + lossWeights.size() + " entries but loss_type has "
          + lossTypes.size() + " (" + lossTypes + ")");
    }
    for (Double w : lossWeights) {
      if (w == null || !Double.isFinite(w)) {
        throw new IllegalArgumentException("loss_weights must be finite numbers, got " + lossWeights);
      }
    }
    lossWeights = List.copyOf(new ArrayList<>(lossWeights));
    if (!(labelSmoothing >= 0 && labelSmoothing < 1)) {
      throw new IllegalArgumentException("label_smoothing must be in [0, 1), got " + labelSmoothing);
    }
    if (lossTypes.contains(DpoLossType.ROBUST) && !(labelSmoothing < 0.5)) {
      // TRL only warns, but (1 - 2 eps) <= 0 flips or divides by zero
      throw new IllegalArgumentException("label_smoothing must be in [0, 0.5) for the robust loss, got " + labelSmoothing);
    }
    if (lossTypes.contains(DpoLossType.EXO_PAIR) && labelSmoothing == 0) {
      throw new IllegalArgumentException(
          "label_smoothing must be > 0 for the exo_pair loss (the EXO paper recommends 1e-3)");
    }
    if (fDivergence == null) {
      fDivergence = FDivergence.REVERSE_KL;
    }
    if (fDivergence != FDivergence.REVERSE_KL) {
      for (DpoLossType t : lossTypes) {
        if (!t.supportsFDivergence()) {
          throw new IllegalArgumentException("f_divergence_type=" + fDivergence + " is not supported by loss type " + t
              + " (the f-DPO reparameterisation only cancels log Z in the chosen-rejected gap)");
        }
      }
    }
    if (!Double.isFinite(fAlphaDivergenceCoef)) {
      throw new IllegalArgumentException("f_alpha_divergence_coef must be finite, got " + fAlphaDivergenceCoef);
    }
    if (!(ldAlpha >= 0 && ldAlpha <= 1)) {
      throw new IllegalArgumentException("ld_alpha must be in [0, 1], got " + ldAlpha);
    }
    if (!(discopopTau > 0) || !Double.isFinite(discopopTau)) {
      throw new IllegalArgumentException("discopop_tau must be a finite number > 0, got " + discopopTau);
    }
    if (useWeighting) {
      for (DpoLossType t : lossTypes) {
        if (NO_WEIGHTING.contains(t)) {
          throw new IllegalArgumentException("use_weighting (WPO) is not defined for " + t + ": it sorts the batch");
        }
      }
    }
  }

  /** TRL's defaults with these loss types (weights 1). */
  public static DpoLossConfig of(double beta, DpoLossType... types) {
    return DEFAULTS.withBeta(beta).withLossTypes(List.of(types), null);
  }

  public DpoLossConfig withBeta(double b) {
    return new DpoLossConfig(b, lossTypes, lossWeights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        discopopTau, useWeighting, referenceFree);
  }

  /** Loss types and their weights (null weights = all 1). */
  public DpoLossConfig withLossTypes(List<DpoLossType> types, List<Double> weights) {
    return new DpoLossConfig(beta, types, weights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        discopopTau, useWeighting, referenceFree);
  }

  public DpoLossConfig withLabelSmoothing(double eps) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, eps, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        discopopTau, useWeighting, referenceFree);
  }

  public DpoLossConfig withFDivergence(FDivergence f, double alphaCoef) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, labelSmoothing, f, alphaCoef, ldAlpha, discopopTau,
        useWeighting, referenceFree);
  }

  public DpoLossConfig withLdAlpha(double alpha) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, alpha,
        discopopTau, useWeighting, referenceFree);
  }

  public DpoLossConfig withDiscopopTau(double tau) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        tau, useWeighting, referenceFree);
  }

  public DpoLossConfig withWeighting(boolean on) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        discopopTau, on, referenceFree);
  }

  public DpoLossConfig withReferenceFree(boolean on) {
    return new DpoLossConfig(beta, lossTypes, lossWeights, labelSmoothing, fDivergence, fAlphaDivergenceCoef, ldAlpha,
        discopopTau, useWeighting, on);
  }

  /** Whether any loss type divides by completion lengths. */
  public boolean needsLengths() {
    return lossTypes.stream().anyMatch(DpoLossType::needsLengths);
  }

  /** Whether the chosen token-mean NLL is needed (the {@code sft} term). */
  public boolean needsSftNll() {
    return lossTypes.contains(DpoLossType.SFT);
  }

  /** Whether the reference log-probs are read (false when reference-free). */
  public boolean needsReference() {
    return !referenceFree;
  }
}
