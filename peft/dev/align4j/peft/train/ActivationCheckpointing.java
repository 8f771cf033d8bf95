package dev.align4j.peft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.LayerPlan;
import dev.align4j.peft.model.ModelInput;

/**
 * Activation checkpointing per decoder layer (Chen et al. 2016): the forward keeps only each layer's
 * input, without autograd; backward then runs layer by layer from the top, recomputing that layer's
 * forward with autograd and back-propagating the incoming gradient through it. Peak activation memory
 * is one layer's instead of all layers'; gradients equal those of a plain backward. Dropout draws are
 * reseeded per layer, so the recomputation sees the same masks as the first pass.
 */
public final class ActivationCheckpointing {
  private ActivationCheckpointing() {}

  /**
   * Computes {@code scale * sum NLL} of the batch and back-propagates it into every trainable
   * parameter (gradients accumulate). Must run inside an open gradient collector.
   *
   * @param seed seeds dropout; the same seed gives the same masks in both passes
   * @return the (unscaled) sum of NLL over the batch's targets
   */
  public static double backward(CausalLM model, TokenLoss.Batch batch, double scale, long seed) {
    Objective.Loss loss = backward(model, new TokenCrossEntropy(0), batch, scale, seed);
    return loss.sum().toType(DataType.FLOAT64, false).getDouble();
  }

  /**
   * Computes {@code scale *} the objective's loss sum over the final hidden states of its single
   * forward ({@link Objective#input}, {@link Objective#lossFromHidden}) and back-propagates it into
   * every trainable parameter (gradients accumulate). Must run inside an open gradient collector.
   *
   * @param seed seeds dropout; the same seed gives the same masks in both passes
   * @return the objective's (unscaled) loss sum and metric sums
   */
  public static <B> Objective.Loss backward(CausalLM model, Objective<?, B> objective, B batch, double scale,
      long seed) {
    ModelInput input = objective.input(batch);
    int layers = model.config().numLayers();
    NDManager m = input.inputIds().getManager();
    NDArray[] inputs = new NDArray[layers + 1];
    LayerPlan plan = model.layerPlan(input);   // virtual tokens included
    // 1. forward without autograd, keeping each layer's input
    JniUtils.setGradMode(false);
    try {
      Engine.getInstance().setRandomSeed(seedFor(seed, -1));
      inputs[0] = plan.embed();
      for (int i = 0; i < layers; i++) {
        Engine.getInstance().setRandomSeed(seedFor(seed, i));
        inputs[i + 1] = plan.layer(i, inputs[i]);
      }
    } finally {
      JniUtils.setGradMode(true);
    }
    // 2. the final norm and the objective's loss with autograd, from the last layer's output as a leaf
    NDArray top = leaf(inputs[layers]);
    Objective.Loss loss = objective.lossFromHidden(model, batch, plan.finalHidden(top));   // scalar sum
    NDArray sum = loss.sum();
    backward(sum.mul(dev.align4j.peft.kernels.Kernels.scalar(sum, scale)), null);
    NDArray grad = top.getGradient();
    grad.attach(m);
    // 3. layers from the top: recompute with autograd, back-propagate the incoming gradient
    for (int i = layers - 1; i >= 0; i--) {
      NDArray x = leaf(inputs[i]);
      Engine.getInstance().setRandomSeed(seedFor(seed, i));
      NDArray y = plan.layer(i, x);
      backward(y, grad);
      grad = x.getGradient();
      grad.attach(m);
    }
    // 4. the embeddings, when they (or prompt tuning's virtual tokens in front of them) train
    if (model.parameters().get("model.embed_tokens.weight").trainable() || plan.embedTrains()) {
      Engine.getInstance().setRandomSeed(seedFor(seed, -1));
      backward(plan.embed(), grad);
    }
    return loss;
  }

  private static int seedFor(long seed, int layer) {
    return (int) (seed * 1_000_003L + layer + 1);
  }

  /** A detached copy of {@code x} that collects its own gradient. */
  private static NDArray leaf(NDArray x) {
    NDArray l = x.stopGradient();
    l.setRequiresGradient(true);
    return l;
  }

  private static void backward(NDArray y, NDArray upstream) {
    NDArray g = upstream != null ? upstream : y.onesLike();
    JniUtils.backward((PtNDArray) y, (PtNDArray) g, false, false);
  }
}
