package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a stage trains: typed examples are collated into a batch, whose loss is a SUM over the units
 * the objective counts (target tokens for SFT, pairs for reward modelling and DPO, tokens or
 * sequences for PPO). The engine divides every micro-batch's sum by the count of the whole effective
 * batch, so gradient accumulation is exact for every objective: 1 x 8 gives the gradient of 8 x 1.
 *
 * <p>An objective whose loss is a function of one forward's final hidden states implements {@link
 * #input} and {@link #lossFromHidden}; it then also trains under activation checkpointing. An
 * objective with several forwards (policy and value, chosen and rejected in separate calls)
 * overrides {@link #loss} instead and cannot be checkpointed per layer.
 *
 * @param <E> one training example
 * @param <B> a collated micro-batch; its arrays live on the manager given to {@link #collate}, which
 *     the engine closes after the micro-batch
 */
public interface Objective<E, B> {
  /**
   * A loss sum with autograd, named metric sums and named extremes.
   *
   * @param sum scalar sum of the per-unit losses of the batch (the engine divides it by the count)
   * @param metrics named scalar sums over the same units (no gradient needed); the engine adds them
   *     over micro-batches and reports them divided by the effective batch's count
   * @param minima named scalars reported as the minimum over the effective batch's micro-batches
   *     (not divided by the count: e.g. {@code min_reward}); empty for most objectives
   * @param maxima named scalars reported as the maximum over the effective batch's micro-batches
   */
  record Loss(NDArray sum, Map<String, NDArray> metrics, Map<String, NDArray> minima,
      Map<String, NDArray> maxima) {
    /** Copies the maps (insertion order kept). */
    public Loss {
      metrics = Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
      minima = Collections.unmodifiableMap(new LinkedHashMap<>(minima));
      maxima = Collections.unmodifiableMap(new LinkedHashMap<>(maxima));
    }

    /** A loss with metric sums and no extremes. */
    public Loss(NDArray sum, Map<String, NDArray> metrics) {
      this(sum, metrics, Map.of(), Map.of());
    }

    /** A loss without metrics. */
    public Loss(NDArray sum) {
      this(sum, Map.of());
    }
  }

  /** Collates one micro-batch on {@code manager} (a per-micro-batch sub-manager). */
  B collate(NDManager manager, List<E> examples);

  /** The units these examples' loss sum is normalised by (the effective batch's total is used). */
  long count(List<E> examples);

  /** Name of the count in {@code metrics.jsonl} (e.g. {@code target_tokens}, {@code pairs}). */
  default String countName() {
    return "count";
  }

  /** Tokens these examples feed the model (padding excluded), for the tokens/s figure; 0 if unknown. */
  default long tokens(List<E> examples) {
    return 0;
  }

  /** The loss sum of a batch, with autograd. Default: {@link #lossFromHidden} of one plain forward. */
  default Loss loss(CausalLM model, B batch) {
    return lossFromHidden(model, batch, model.hiddenStates(input(batch), null));
  }

  /**
   * The loss sum of a batch, back-propagated as {@code sum / count} into every trainable parameter
   * (gradients accumulate): what the engine calls per micro-batch without activation checkpointing.
   * Default: {@link #loss}, then one backward. An objective with several forwards may override it to
   * back-propagate each forward's term before the next forward runs, so that only one forward's saved
   * activations are alive at a time (the gradients add up to the joint backward's).
   *
   * @param count the effective batch's count, the divisor of every micro-batch's sum
   * @param gc the open gradient collector
   * @return the loss as {@link #loss} returns it (its sum already back-propagated)
   */
  default Loss lossAndBackward(CausalLM model, B batch, long count, GradientCollector gc) {
    Loss loss = loss(model, batch);
    NDArray sum = loss.sum();
    gc.backward(sum.div(Kernels.scalar(sum, count)));
    return loss;
  }

  /** The single forward's input (what activation checkpointing embeds and recomputes). */
  default ModelInput input(B batch) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " does not expose a single forward (override input and lossFromHidden to train it, also with"
        + " activation checkpointing)");
  }

  /**
   * The loss sum from the final hidden states {@code [B, T, H]} (after the final norm) of {@link
   * #input}'s forward.
   */
  default Loss lossFromHidden(CausalLM model, B batch, NDArray hidden) {
    throw new UnsupportedOperationException(getClass().getSimpleName()
        + " does not compute its loss from one forward's hidden states, so it cannot be trained with"
        + " activation checkpointing");
  }

  /**
   * Extra figures derived from a mean eval loss, logged as {@code eval_<name>} (perplexity for token
   * cross-entropy). Default: none.
   */
  default Map<String, Double> evalExtras(double meanLoss) {
    return Map.of();
  }
}
