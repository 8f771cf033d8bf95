package dev.align4j.peft.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import java.util.SplittableRandom;

/**
 * A scalar head on the final hidden states: transformers' {@code score} of
 * {@code AutoModelForSequenceClassification} ({@code nn.Linear(hidden, num_labels, bias=False)}),
 * the reward model's score and PPO's value head. Trainable (a float32 master) and saved by PEFT as a
 * {@code modules_to_save} module: {@code base_model.model.score.weight [num_labels, H]} in the
 * adapter file, {@code "score"} in {@code modules_to_save}, {@code task_type: SEQ_CLS}.
 *
 * <p>It is applied by the caller to {@link CausalLM#hiddenStates}, so the adapter scope in force
 * decides the trunk it reads (PPO's value forward: {@code use("value")}, then this head).
 */
public final class ScoreHead {
  /** transformers' module name, also PEFT's {@code modules_to_save} entry. */
  public static final String MODULE = "score";

  private final Parameter weight;

  ScoreHead(Parameter weight) {
    this.weight = weight;
  }

  /**
   * A head of {@code numLabels} outputs initialised as transformers' {@code _init_weights} does for
   * Linear layers: {@code N(0, initializer_range)} ({@code 0.02} by default).
   */
  static ScoreHead create(CausalLM model, String parameterName, int numLabels, long seed) {
    if (numLabels <= 0) {
      throw new IllegalArgumentException("num_labels must be > 0, got " + numLabels);
    }
    int h = model.config().hiddenSize();
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[numLabels * h];
    for (int i = 0; i < v.length; i++) {
      v[i] = (float) (0.02 * Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble()));
    }
    NDArray w = model.manager().create(v, new Shape(numLabels, h));
    return new ScoreHead(Parameter.master(parameterName, w, model.precision()));
  }

  /**
   * A head of a full (or freeze-tuned, or merged) reward model, outside any adapter: transformers'
   * {@code score.weight}, initialised from {@code N(0, 0.02)} with {@code seed}. Frozen until the
   * caller marks it trainable.
   */
  public static ScoreHead standalone(CausalLM model, int numLabels, long seed) {
    return create(model, MODULE + ".weight", numLabels, seed);
  }

  /** A head over an existing weight {@code [num_labels, H]} (a loaded {@code score.weight}). */
  public static ScoreHead of(Parameter weight) {
    if (weight.shape().dimension() != 2) {
      throw new IllegalArgumentException("score weight " + weight.name() + " must be [num_labels, H], got " + weight.shape());
    }
    return new ScoreHead(weight);
  }

  /** The weight {@code [num_labels, H]}. */
  public Parameter weight() {
    return weight;
  }

  /** Outputs per position. */
  public int numLabels() {
    return (int) weight.shape().get(0);
  }

  /** Per-token scores: hidden {@code [B, T, H]} to {@code [B, T, num_labels]} in float32 (float64). */
  public NDArray forward(NDArray hidden) {
    NDArray y = Linear.linear(hidden, weight.forCompute()).singletonOrThrow();   // [B, T, L]
    return weight.precision() == Precision.BFLOAT16 ? Kernels.get().toFloat32(y) : y;
  }

  /**
   * Sequence scores {@code [B, num_labels]}: the per-token scores at each row's last non-pad token, as
   * transformers picks it (the rightmost position whose id is not {@code padId}, so left and right
   * padding both work; position 0 for a row of pads only).
   */
  public NDArray sequenceScores(NDArray perToken, NDArray inputIds, long padId) {
    long[] idx = lastNonPad(inputIds.toLongArray(), (int) inputIds.getShape().get(0), padId);
    NDManager m = perToken.getManager();
    long labels = perToken.getShape().get(2);
    long[] gather = new long[(int) (idx.length * labels)];
    for (int i = 0; i < idx.length; i++) {
      java.util.Arrays.fill(gather, (int) (i * labels), (int) ((i + 1) * labels), idx[i]);
    }
    NDArray at = m.create(gather, new Shape(idx.length, 1, labels));              // [B, 1, L]
    return perToken.gather(at, 1).squeeze(1);                                    // [B, L]
  }

  /** {@code sequenceScores(forward(model.hiddenStates(in)), ...)}: a reward model's output. */
  public NDArray score(CausalLM model, ModelInput in, long padId) {
    NDArray hidden = model.hiddenStates(in, null);                               // [B, T, H]
    return sequenceScores(forward(hidden), in.inputIds(), padId);                // [B, L]
  }

  /** Index of the last non-pad token per row of {@code ids [B, T]} (row-major). */
  static long[] lastNonPad(long[] ids, int batch, long padId) {
    int t = ids.length / batch;
    long[] out = new long[batch];
    for (int b = 0; b < batch; b++) {
      for (int j = t - 1; j >= 0; j--) {
        if (ids[b * t + j] != padId) {
          out[b] = j;
          break;
        }
      }
    }
    return out;
  }
}
