package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import dev.align4j.peft.model.DenseLinear;
import dev.align4j.peft.model.Linear;
import dev.align4j.peft.model.Parameter;

/**
 * IA3 (Liu et al. 2022, "(IA)^3", eq. in sec. 3.3): a learned vector rescales a layer's activations,
 * initialised to ones so the adapter starts as the identity. As PEFT does, the output is scaled for
 * key and value projections ({@code ia3_l [out, 1]}) and the input is scaled for the feed-forward
 * {@code down_proj} ({@code ia3_l [1, in]}). Merging multiplies the weight's rows or columns.
 */
public final class Ia3Linear implements Linear {
  private final DenseLinear base;
  private final Parameter scale;
  private final boolean feedforward;
  private final AdapterState state;

  /**
   * @param scale {@code [out, 1]} for an output scale, {@code [1, in]} for a feed-forward input scale
   */
  public Ia3Linear(DenseLinear base, Parameter scale, boolean feedforward, AdapterState state) {
    this.base = base;
    this.scale = scale;
    this.feedforward = feedforward;
    this.state = state;
  }

  /** The learned vector. */
  public Parameter scale() {
    return scale;
  }

  /** The wrapped layer. */
  public DenseLinear base() {
    return base;
  }

  /** Whether the input (feed-forward) rather than the output is scaled. */
  public boolean feedforward() {
    return feedforward;
  }

  @Override
  public NDArray forward(NDArray x) {
    if (!state.isActive(Ia3Adapter.NAME)) {
      return base.forward(x);
    }
    NDArray l = scale.forCompute();
    if (feedforward) {
      return base.forward(x.mul(l.reshape(-1)));                           // [..., in] * [in]
    }
    return base.forward(x).mul(l.reshape(-1));                             // [..., out] * [out]
  }

  @Override
  public long inFeatures() {
    return base.inFeatures();
  }

  @Override
  public long outFeatures() {
    return base.outFeatures();
  }
}
