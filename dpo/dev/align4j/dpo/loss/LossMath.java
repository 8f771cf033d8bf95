package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Activation;
import dev.align4j.peft.kernels.Kernels;

/** Stable elementwise helpers shared by the losses; constants through {@link Kernels#scalar}. */
final class LossMath {
  private LossMath() {}

  /** A 0-d array of {@code like}'s dtype and manager (safe inside an autograd graph). */
  static NDArray scalar(NDArray like, double value) {
    return Kernels.scalar(like, value);
  }

  /** {@code log sigmoid(x) = -softplus(-x)} (libtorch's softplus is stable for large |x|). */
  static NDArray logSigmoid(NDArray x) {
    return Activation.softPlus(x.neg()).neg();
  }

  /** {@code sigmoid(x)}. */
  static NDArray sig(NDArray x) {
    return Activation.sigmoid(x);
  }

  /** {@code x * c} with a graph-safe constant. */
  static NDArray times(NDArray x, double c) {
    return x.mul(scalar(x, c));
  }

  /** The mean of a [B] array as a double (a metric; no graph). */
  static double meanValue(NDArray x) {
    if (x.size() == 0) {
      return Double.NaN;
    }
    return x.stopGradient().mean().toType(DataType.FLOAT64, false).getDouble();
  }
}
