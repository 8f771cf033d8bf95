package dev.align4j.rl.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import java.util.ArrayList;
import java.util.List;

/**
 * The log-prob of each sampled completion token and the entropy of each next-token distribution, from
 * the final hidden states at the predicting positions, a few rows at a time: a chunk's {@code [c, T, V]}
 * logits, their log-softmax (and the gradient, when training) exist only while that chunk is computed,
 * never the whole batch's {@code [B, T, V]} (117 MB per copy at 8 rows x 24 tokens and Qwen3's 151,669
 * tokens; the old path held five such copies in an update). Each chunk runs exactly the ops of the
 * whole-batch path on its rows ({@code logits / temperature}, {@code log_softmax}, gather; entropy {@code
 * -sum exp(logp) logp}), so the values are those of {@link PolicySequences#completionLogits} + {@link
 * PolicySequences#tokenLogProbs} + {@code Entropy.of}, bit for bit when one chunk holds the batch.
 *
 * <p>With autograd ({@code hidden} requires a gradient), each chunk's gradient {@code d logp_t / d h_t}
 * ({@code [c, T, H]}: a token's log-prob depends on its own hidden state only) is taken right there by a
 * local backward from a detached copy of the chunk, and the returned log-probs are {@code S - detach(S) +
 * logp} with {@code S = sum_H(h * dh)}: their values are the log-probs and their gradient with respect to
 * the hidden states is exactly {@code dh}, so {@code sum(g * logp)} backpropagates {@code g_t dh_t}, what
 * the whole-batch graph gives up to the order of floating-point products. A head with trainable
 * parameters (a LoRA or full fine-tuning of {@code lm_head}) would take that local backward too, so it
 * goes the whole-batch way, as do precisions other than float32/float64.
 */
public final class TokenStats {
  /** Elements of one chunk's {@code [c, T, V]} logits (16 MB of float32), as the chunked cross-entropy's. */
  public static final long CHUNK_ELEMENTS = 1L << 22;

  /**
   * @param logProbs {@code [B, T]} log-prob of each label (float32; float64 under FLOAT64), with the
   *     gradient of the whole-batch path when the hidden states carry one
   * @param entropy {@code [B, T]} entropies without gradient, or null when not asked
   * @param chunkRows rows per chunk used (B: the whole batch at once; 0: the whole-batch fallback)
   */
  public record Result(NDArray logProbs, NDArray entropy, int chunkRows) {}

  private TokenStats() {}

  /** Rows per chunk so that a chunk's logits hold about {@code elements} elements (at least one row). */
  public static int rowsFor(long width, long vocab, long elements) {
    return (int) Math.max(1, elements / Math.max(1, width * vocab));
  }

  /**
   * The stats of {@code labels} under {@code model}'s head on {@code hidden}.
   *
   * @param hidden {@code [B, T, H]} final hidden states at the positions predicting the labels
   * @param labels {@code [B, T]} int64
   * @param temperature the log-probs are of {@code logits / temperature}
   * @param entropy whether to compute the entropies
   * @param chunkElements logits elements per chunk ({@link #CHUNK_ELEMENTS})
   */
  public static Result compute(CausalLM model, NDArray hidden, NDArray labels, double temperature, boolean entropy,
      long chunkElements) {
    NDManager owner = hidden.getManager();
    long b = hidden.getShape().get(0);
    long t = hidden.getShape().get(1);
    long vocab = model.config().vocabSize();
    int rows = rowsFor(t, vocab, chunkElements);
    boolean grad = JniUtils.isGradMode() && Kernels.get().requiresGrad(hidden);
    DataType dt = hidden.getDataType();
    if (grad && (!(dt == DataType.FLOAT32 || dt == DataType.FLOAT64) || headTrains(model, hidden))) {
      return wholeBatch(model, hidden, labels, temperature, entropy);
    }
    List<NDArray> lps = new ArrayList<>();
    List<NDArray> ents = new ArrayList<>();
    List<NDArray> dhs = new ArrayList<>();
    try (NDScope outer = new NDScope()) {
      NDArray hd = hidden.stopGradient();                                     // [B, T, H], shares storage
      for (long s = 0; s < b; s += rows) {
        long e = Math.min(b, s + rows);
        try (NDScope scope = new NDScope()) {
          NDIndex at = new NDIndex("{}:{}", s, e);
          NDArray hc = hd.get(at);                                            // [c, T, H]
          if (grad) {
            hc = hc.duplicate();                                              // a fresh leaf for the local backward
            hc.setRequiresGradient(true);
          }
          NDArray z = model.logits(hc);                                       // [c, T, V]
          z = temperature == 1.0 ? z : z.div(Kernels.scalar(z, temperature));
          NDArray logp = z.logSoftmax(-1);                                    // [c, T, V]
          NDArray lp = logp.gather(labels.get(at).expandDims(-1), -1).squeeze(-1); // [c, T]
          if (entropy) {
            NDArray lq = logp.stopGradient();
            keep(ents, lq.exp().mul(lq).sum(new int[] {-1}).neg());           // [c, T]
          }
          if (grad) {
            // d logp_t / d h_t for every token at once: the tokens of a chunk do not interact
            NDArray ones = lp.onesLike();
            JniUtils.backward((PtNDArray) lp, (PtNDArray) ones, false, false);
            keep(dhs, hc.getGradient().duplicate());                          // [c, T, H]
          }
          keep(lps, lp.stopGradient().duplicate());                           // [c, T]
        }
      }
    }
    NDArray lp = concat(lps, owner);                                          // [B, T]
    NDArray ent = entropy ? concat(ents, owner) : null;                       // [B, T]
    if (grad) {
      NDArray dh = concat(dhs, owner);                                        // [B, T, H]
      NDArray s = hidden.mul(dh).sum(new int[] {-1});                         // [B, T], gradient dh
      lp = s.sub(s.stopGradient()).add(lp);
    }
    return new Result(lp, ent, rows);
  }

  /** The whole-batch path ({@code [B, T, V]} logits and log-softmax at once). */
  static Result wholeBatch(CausalLM model, NDArray hidden, NDArray labels, double temperature, boolean entropy) {
    NDArray z = model.logits(hidden);                                         // [B, T, V]
    z = temperature == 1.0 ? z : z.div(Kernels.scalar(z, temperature));
    NDArray logp = z.logSoftmax(-1);                                          // [B, T, V]
    NDArray lp = logp.gather(labels.expandDims(-1), -1).squeeze(-1);          // [B, T]
    NDArray ent = null;
    if (entropy) {
      NDArray lq = logp.stopGradient();
      ent = lq.exp().mul(lq).sum(new int[] {-1}).neg();                       // [B, T]
    }
    return new Result(lp, ent, 0);
  }

  /** Whether the output head has parameters that record a gradient (its logits of a detached row do). */
  private static boolean headTrains(CausalLM model, NDArray hidden) {
    try (NDScope scope = new NDScope()) {
      NDArray probe = hidden.stopGradient().get("0:1, 0:1, :");                // [1, 1, H]
      return Kernels.get().requiresGrad(model.logits(probe));
    }
  }

  private static void keep(List<NDArray> into, NDArray x) {
    NDScope.unregister(x);
    into.add(x);
  }

  private static NDArray concat(List<NDArray> parts, NDManager owner) {
    NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 0);
    if (parts.size() > 1) {
      parts.forEach(NDArray::close);
    }
    out.attach(owner);
    return out;
  }
}
