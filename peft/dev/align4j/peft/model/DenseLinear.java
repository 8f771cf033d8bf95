package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;

/** The plain linear layer: {@code y = x W^T + b}, W of shape {@code [out, in]} as in PyTorch. */
public final class DenseLinear implements Linear {
  private final Parameter weight;
  private final Parameter bias;

  /**
   * @param weight {@code [out, in]}
   * @param bias {@code [out]} or {@code null}
   */
  public DenseLinear(Parameter weight, Parameter bias) {
    this.weight = weight;
    this.bias = bias;
  }

  /** The weight parameter, {@code [out, in]}. */
  public Parameter weight() {
    return weight;
  }

  /** The bias parameter or {@code null}. */
  public Parameter bias() {
    return bias;
  }

  @Override
  public NDArray forward(NDArray x) {
    NDArray w = weight.forCompute(x.getManager());
    return bias == null
        ? ai.djl.nn.core.Linear.linear(x, w).singletonOrThrow()
        : ai.djl.nn.core.Linear.linear(x, w, bias.forCompute(x.getManager())).singletonOrThrow();
  }

  @Override
  public long inFeatures() {
    return weight.shape().get(1);
  }

  @Override
  public long outFeatures() {
    return weight.shape().get(0);
  }
}
