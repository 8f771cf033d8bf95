package dev.align4j.recipes.dpo;

import ai.djl.ndarray.NDArray;
import dev.align4j.dpo.PairLoss;
import dev.align4j.peft.kernels.Kernels;
import java.util.List;

/** The recipe's loss keys to a {@link PairLoss}. */
final class LossSelection {
  private LossSelection() {}

  static PairLoss of(Stage stage, DpoRecipe r) {
    List<String> types = r.lossTypes(stage);
    double[] weights = r.weights(stage);
    if (!types.equals(List.of("sigmoid"))) {
      throw new IllegalArgumentException("pref_loss " + types + " is not supported yet (sigmoid)");
    }
    double beta = r.prefBeta();
    double w = weights[0];
    return new PairLoss() {
      @Override
      public NDArray perPair(Inputs in) {
        NDArray d = in.chosen().sub(in.refChosen()).sub(in.rejected().sub(in.refRejected()));
        NDArray x = d.mul(Kernels.scalar(d, beta));
        NDArray l = x.neg().maximum(Kernels.scalar(x, 0)).add(x.abs().neg().exp().add(Kernels.scalar(x, 1)).log());
        return l.mul(Kernels.scalar(l, w));
      }

      @Override
      public boolean needsReference() {
        return true;
      }

      @Override
      public double beta() {
        return beta;
      }
    };
  }
}
