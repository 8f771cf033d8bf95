package dev.align4j.recipes.dpo;

import dev.align4j.dpo.CpoPairLoss;
import dev.align4j.dpo.DpoFamilyLoss;
import dev.align4j.dpo.OrpoPairLoss;
import dev.align4j.dpo.PairLoss;
import dev.align4j.dpo.loss.CpoLossConfig;
import dev.align4j.dpo.loss.CpoLossType;
import dev.align4j.dpo.loss.DpoLossConfig;
import dev.align4j.dpo.loss.DpoLossType;
import dev.align4j.dpo.loss.FDivergence;
import dev.align4j.dpo.loss.OrpoLossConfig;
import java.util.Arrays;
import java.util.List;

/** A recipe's loss keys to the pure loss functions of {@code dev.align4j.dpo.loss}, validated there. */
final class LossSelection {
  private LossSelection() {}

  static PairLoss of(Stage stage, DpoRecipe r) {
    List<String> types = r.lossTypes(stage);
    return switch (stage) {
      case DPO -> {
        List<DpoLossType> t = types.stream().map(DpoLossType::fromId).toList();
        List<Double> w = Arrays.stream(r.weights(stage)).boxed().toList();
        double ld = Double.isNaN(r.ldAlphaValue()) ? 1.0 : r.ldAlphaValue();   // the collator applies it to the sums
        yield new DpoFamilyLoss(new DpoLossConfig(r.prefBeta(), t, w, r.dpoLabelSmoothing(),
            FDivergence.fromId(r.fDivergenceType()), r.fAlphaDivergenceCoef(), ld, r.discopopTau(), r.useWeighting(),
            r.referenceFree()));
      }
      case ORPO -> {
        if (!types.equals(List.of("orpo"))) {
          throw new IllegalArgumentException("pref_loss for orpo must be orpo (or empty), got " + types);
        }
        yield new OrpoPairLoss(new OrpoLossConfig(r.prefBeta()));
      }
      case SIMPO -> {
        if (types.size() != 1) {
          throw new IllegalArgumentException("pref_loss for simpo names one CPO loss type (simpo, sigmoid, hinge, ipo), got "
              + types);
        }
        yield new CpoPairLoss(new CpoLossConfig(r.prefBeta(), CpoLossType.fromId(types.get(0)), r.dpoLabelSmoothing(),
            r.simpoGamma(), r.cpoAlpha(), 0.0));
      }
      case KTO -> throw new IllegalArgumentException("kto trains on unpaired data with its own objective");
    };
  }
}
