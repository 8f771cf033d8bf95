package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019, eq. 4): {@code y = x / sqrt(mean(x^2) + eps)
 * * g}, computed in at least float32 and cast back before the gain, as transformers does.
 */
public final class RmsNorm {
  private final Parameter gain;
  private final float eps;
  private final Precision precision;

  /** A norm with gain {@code [dim]}. */
  public RmsNorm(Parameter gain, double eps, Precision precision) {
    this.gain = gain;
    this.eps = (float) eps;
    this.precision = precision;
  }

  /** The gain parameter. */
  public Parameter gain() {
    return gain;
  }

  /** Normalises over the last axis: {@code [..., dim] -> [..., dim]}. */
  public NDArray forward(NDArray x) {
    NDArray xf = Casts.upcast(x, precision);                   // [..., dim] f32 (f64)
    NDArray ms = xf.square().mean(new int[] {-1}, true);       // [..., 1]
    NDArray y = xf.div(ms.add(eps).sqrt());                    // [..., dim]
    return Casts.downcast(y, precision).mul(gain.forCompute());
  }
}
