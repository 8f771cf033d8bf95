package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.align4j.peft.model.Parameter;
import java.util.List;

/**
 * Gradient bookkeeping. Gradients accumulate across backward calls (that is how micro-batches add
 * up); they are zeroed in place after each optimizer step, which is cheap, unlike DJL's
 * collector-wide zeroing that scans every array of every manager.
 */
public final class Gradients {
  private Gradients() {}

  /** Zeroes the gradient of each parameter in place. */
  public static void zero(List<Parameter> params) {
    for (Parameter p : params) {
      NDArray d = p.data();
      if (d.hasGradient()) {
        JniUtils.zeroGrad((PtNDArray) d);
      }
    }
  }

  /**
   * Frees the gradient of each parameter (PyTorch's {@code zero_grad(set_to_none=True)}, the default of
   * its optimizers and of transformers' Trainer): after an optimizer step, so that no gradient is held
   * through the next forward. The next backward's gradients are the same as after {@link #zero} (the
   * first one into a freed gradient is taken as is instead of added to zeros).
   */
  public static void release(List<Parameter> params) {
    boolean copied = false;
    for (Parameter p : params) {
      copied |= p.dropGradient();
    }
    if (copied) {
      // the first release copies arrays DJL made from host data (a loaded checkpoint's weights): their
      // Java direct buffers are native memory that only a garbage collection frees, and a training
      // loop allocates too little on the Java heap to trigger one soon (a full model's worth otherwise)
      System.gc();
    }
  }

  /**
   * The global L2 norm of all gradients, and when it exceeds {@code maxNorm} (&gt; 0) every gradient
   * is scaled by {@code maxNorm / (norm + 1e-6)} in place, as torch.nn.utils.clip_grad_norm_.
   * Parameters without a gradient (no backward reached them) are left out, as torch leaves out
   * {@code None} gradients.
   *
   * @return the norm before clipping
   */
  public static double clipGlobalNorm(List<Parameter> params, double maxNorm) {
    double sq = 0;
    for (Parameter p : params) {
      // the gradient handle and every temporary live in a scratch manager, not the model's
      try (NDManager s = p.data().getManager().newSubManager()) {
        NDArray g = p.gradient(s);
        if (g != null) {
          sq += g.square().sum().toType(DataType.FLOAT64, false).getDouble();
        }
      }
    }
    double norm = Math.sqrt(sq);
    if (maxNorm > 0 && norm > maxNorm) {
      float coef = (float) (maxNorm / (norm + 1e-6));
      for (Parameter p : params) {
        try (NDManager s = p.data().getManager().newSubManager()) {
          NDArray g = p.gradient(s);
          if (g != null) {
            g.muli(coef);
          }
        }
      }
    }
    return norm;
  }
}
