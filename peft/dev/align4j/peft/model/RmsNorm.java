package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.kernels.Kernels;
import java.util.function.Supplier;

/**
 * Root-mean-square layer norm (Zhang and Sennrich 2019, eq. 4): {@code y = x / sqrt(mean(x^2) + eps)
 * * g}, computed in at least float32 and cast back before the gain, as transformers does.
 */
public final class RmsNorm {
  private final Parameter gain;
  private final float eps;
  private final Precision precision;
  private Supplier<Parameter> gainSource;   // a modules_to_save copy serving instead of the gain while non-null

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

  /**
   * Sets (or clears, with null) a source of a gain {@code [dim]} that replaces {@link #gain()} in the
   * forward while it returns non-null (PEFT's {@code modules_to_save} copy of a norm, serving while its
   * adapter is active).
   */
  public void setGainSource(Supplier<Parameter> source) {
    this.gainSource = source;
  }

  /**
   * Normalises over the last axis: {@code [..., dim] -> [..., dim]}. Multiplies by {@code (ms +
   * eps)^-1/2} as transformers does ({@code rsqrt}), instead of dividing by the square root: a
   * division's backward costs three more {@code [..., dim]} ops.
   */
  public NDArray forward(NDArray x) {
    NDArray xf = Casts.upcast(x, precision);                   // [..., dim] f32 (f64)
    NDArray ms = xf.square().mean(new int[] {-1}, true);       // [..., 1]
    NDArray inv = ms.add(eps).pow(Kernels.scalar(ms, -0.5));   // [..., 1], the exponent libtorch-owned
    NDArray y = xf.mul(inv);                                   // [..., dim]
    Parameter g = gainSource == null ? null : gainSource.get();
    return Casts.downcast(y, precision).mul((g != null ? g : gain).forCompute(x.getManager()));
  }
}
