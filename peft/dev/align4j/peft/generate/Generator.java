package dev.align4j.peft.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.KvCache;
import dev.align4j.peft.model.LayeredForward;
import dev.align4j.peft.model.ModelInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Autoregressive decoding with a preallocated KV cache over a left-padded batch of prompts.
 *
 * <p>The prompt is run once; each later step feeds one token per live row. Row {@code i} sits at
 * position {@code (real tokens so far)}, so a padded row decodes exactly as it would alone. Between
 * steps everything stays on the device (next ids, positions, the padding mask in the cache, the
 * seen-token mask of the repetition penalty); only the chosen ids {@code [B]} come to the host, for
 * EOS and stop strings. A row that finishes leaves the batch (cache rows included), so it costs
 * nothing afterwards. Each token's log-probabilities (sampling distribution and plain model) stay on
 * the device until the end and come back in one copy.
 *
 * <p>Legend: B live rows, V vocabulary, P longest prompt.
 */
public final class Generator {
  private static final long STREAM = 0x9E3779B97F4A7C15L;
  private final CausalLM model;

  /** A generator over a model (used as it is: adapters included when they are on). */
  public Generator(CausalLM model) {
    this.model = model;
  }

  /**
   * Generates a continuation for each prompt.
   *
   * @param prompts token ids of each prompt (non-empty)
   * @param cfg decoding settings
   * @param decoder turns completion ids into text, for stop strings; may be null when there are none
   */
  public List<Completion> generate(
      List<long[]> prompts, GenerationConfig cfg, Function<long[], String> decoder) {
    if (prompts.isEmpty()) {
      return List.of();
    }
    int p = 0;
    for (long[] prompt : prompts) {
      if (prompt.length == 0) {
        throw new IllegalArgumentException("empty prompt: generation needs at least one token");
      }
      p = Math.max(p, prompt.length);
    }
    if (!cfg.stopStrings().isEmpty() && decoder == null) {
      throw new IllegalArgumentException("stop strings need a decoder");
    }
    Rows rows = new Rows(prompts, cfg, decoder);
    if (cfg.maxNewTokens() == 0) {
      return rows.completions(null, null);
    }
    try (NDManager gm = model.manager().newSubManager();
        KvCache cache = new KvCache(gm, model.config().numLayers(), p + cfg.maxNewTokens())) {
      // without autograd: no sampling step backpropagates, yet under a trainable adapter (the RL policy)
      // each step would record a graph, referenced from the cache buffers its keys/values are written into
      int width = p;
      return LayeredForward.noGrad(() -> decode(prompts, width, cfg, rows, gm, cache));
    }
  }

  private List<Completion> decode(
      List<long[]> prompts, int p, GenerationConfig cfg, Rows rows, NDManager gm, KvCache cache) {
    int b = prompts.size();
    int[] active = new int[b];                 // batch slot -> prompt index
    long[] start = new long[b];
    for (int i = 0; i < b; i++) {
      active[i] = i;
      start[i] = prompts.get(i).length - 1;   // position of the last prompt token
    }
    NDArray ids = null;                        // [B, 1] next input, carried in gm between steps
    NDArray pos = gm.create(start, new Shape(b, 1));   // [B, 1] position of the last input
    NDArray seen = null;                       // [B, V] tokens seen so far (repetition penalty)
    boolean deviceMask = true;
    List<NDArray> stepLogProbs = new ArrayList<>();    // per step [2, B]: sampling, model
    List<int[]> stepRows = new ArrayList<>();
    for (int t = 0; t < cfg.maxNewTokens(); t++) {
      try (NDManager step = gm.newSubManager()) {
        NDArray logits;                                                          // [B, V]
        if (t == 0) {
          ModelInput in = ModelInput.padded(step, prompts.toArray(new long[0][]), cfg.padId(), true);
          logits = lastLogits(model.hiddenStates(in, cache), b);
          // prompt or prefix tuning put virtual positions in the cache and keep their masks on the host
          deviceMask = cache.length() == p;
          if (deviceMask) {
            cache.setPadding(in.attentionMask(), b);
          }
          if (cfg.repetitionPenalty() != 1.0) {
            seen = seenTokens(gm, prompts, p, model.config().vocabSize());
          }
        } else {
          ids.attach(step);
          pos.attach(step);
          long[] mask = deviceMask ? null : hostMask(prompts, active, p + t);
          logits = lastLogits(model.hiddenStates(new ModelInput(ids, mask, pos), cache), active.length);
        }
        NDArray scores = LogitsProcessors.apply(logits, seen, cfg);              // [B, V]
        NDArray next = cfg.doSample()
            ? Sampler.draw(scores, step.create(rows.uniforms(active), new Shape(active.length, 1)))
            : Sampler.greedy(scores);                                            // [B]
        long[] chosen = next.toLongArray();                                      // the one host copy
        NDArray col = next.reshape(active.length, 1);                            // [B, 1]
        NDArray modelLp = logits.logSoftmax(1).gather(col, 1);                   // [B, 1]
        NDArray samplingLp = scores == logits ? modelLp : scores.logSoftmax(1).gather(col, 1);
        NDArray lp = samplingLp.concat(modelLp, 1).transpose();                  // [2, B]
        lp.attach(gm);
        stepLogProbs.add(lp);
        stepRows.add(active);
        int[] live = rows.accept(active, chosen, t);
        if (live.length == 0 || t == cfg.maxNewTokens() - 1) {
          break;
        }
        if (seen != null) {
          Kernels.get().markTokens(seen, col);
        }
        ids = col;
        pos = pos.add(Kernels.scalar(pos, 1));
        if (live.length < active.length) {
          // finished rows leave the batch: cache, mask, positions, next ids and seen tokens
          long[] keep = new long[live.length];
          int[] nextActive = new int[live.length];
          for (int j = 0; j < live.length; j++) {
            keep[j] = live[j];
            nextActive[j] = active[live[j]];
          }
          cache.keepRows(keep);
          NDArray idx = step.create(keep);
          ids = Kernels.get().selectRows(ids, idx);
          pos = Kernels.get().selectRows(pos, idx);
          if (seen != null) {
            NDArray kept = Kernels.get().selectRows(seen, idx);
            kept.attach(gm);
            seen.close();
            seen = kept;
          }
          active = nextActive;
        }
        ids.attach(gm);
        pos.attach(gm);
      }
    }
    // every step's log-probs in one copy: [2, sum of B over steps]; a float64 (or float16) model's
    // are cast first, since toFloatArray only reads float32
    NDArray joined = NDArrays.concat(new NDList(stepLogProbs), 1);
    float[] all = (joined.getDataType() == DataType.FLOAT32 ? joined : joined.toType(DataType.FLOAT32, false))
        .toFloatArray();
    int total = all.length / 2;
    float[][] sampling = new float[prompts.size()][];
    float[][] plain = new float[prompts.size()][];
    for (int i = 0; i < prompts.size(); i++) {
      sampling[i] = new float[rows.length(i)];
      plain[i] = new float[rows.length(i)];
    }
    int off = 0;
    for (int s = 0; s < stepRows.size(); s++) {
      int[] act = stepRows.get(s);
      for (int j = 0; j < act.length; j++) {
        sampling[act[j]][s] = all[off + j];
        plain[act[j]][s] = all[total + off + j];
      }
      off += act.length;
    }
    return rows.completions(sampling, plain);
  }

  /** Logits of each row's last position {@code [B, V]}, in the model's dtype (float32 or float64). */
  private NDArray lastLogits(NDArray hidden, int b) {
    NDArray last = hidden.getShape().get(1) == 1 ? hidden : hidden.get(":, -1:, :");   // [B, 1, H]
    return model.logits(last).reshape(b, -1);                                          // [B, V]
  }

  /** Boolean {@code [B, V]}: the real (not padding) tokens of each prompt. */
  private static NDArray seenTokens(NDManager gm, List<long[]> prompts, int p, int vocab) {
    int b = prompts.size();
    long[] flat = new long[b * p];
    for (int i = 0; i < b; i++) {
      long[] row = prompts.get(i);
      for (int j = 0; j < p; j++) {
        // repeat the row's own tokens instead of padding: marking a token twice is harmless
        flat[i * p + j] = row[j % row.length];
      }
    }
    NDArray seen = gm.zeros(new Shape(b, vocab), DataType.BOOLEAN);
    try (NDManager s = gm.newSubManager()) {
      Kernels.get().markTokens(seen, s.create(flat, new Shape(b, p)));
    }
    return seen;
  }

  /** The host padding mask {@code [B, S]} of the live rows, for forwards that build their own masks. */
  private static long[] hostMask(List<long[]> prompts, int[] active, int s) {
    int p = 0;
    for (long[] prompt : prompts) {
      p = Math.max(p, prompt.length);
    }
    long[] mask = new long[active.length * s];
    for (int j = 0; j < active.length; j++) {
      int pads = p - prompts.get(active[j]).length;
      Arrays.fill(mask, j * s + pads, (j + 1) * s, 1);
    }
    return mask;
  }

  /** Host state of every prompt's completion. */
  private static final class Rows {
    private final GenerationConfig cfg;
    private final long[][] tokens;
    private final int[] count;
    private final FinishReason[] reason;
    private final SplittableRandom[] rng;
    private final StopStrings[] stops;

    Rows(List<long[]> prompts, GenerationConfig cfg, Function<long[], String> decoder) {
      int b = prompts.size();
      this.cfg = cfg;
      this.tokens = new long[b][cfg.maxNewTokens()];
      this.count = new int[b];
      this.reason = new FinishReason[b];
      this.rng = new SplittableRandom[b];
      this.stops = new StopStrings[b];
      for (int i = 0; i < b; i++) {
        rng[i] = new SplittableRandom(cfg.seed() * STREAM + i);
        stops[i] = cfg.stopStrings().isEmpty() ? null : new StopStrings(cfg.stopStrings(), decoder);
      }
    }

    /** One uniform per live row, from that row's own stream. */
    double[] uniforms(int[] active) {
      double[] u = new double[active.length];
      for (int j = 0; j < active.length; j++) {
        u[j] = rng[active[j]].nextDouble();
      }
      return u;
    }

    /** Records step {@code t}'s tokens; returns the batch slots still running. */
    int[] accept(int[] active, long[] chosen, int t) {
      int[] live = new int[active.length];
      int n = 0;
      for (int j = 0; j < active.length; j++) {
        int i = active[j];
        tokens[i][count[i]++] = chosen[j];
        if (cfg.isEos(chosen[j])) {
          reason[i] = FinishReason.EOS;
        } else if (stops[i] != null && stops[i].accept(chosen[j])) {
          reason[i] = FinishReason.STOP_STRING;
        } else if (count[i] >= cfg.maxNewTokens()) {
          reason[i] = FinishReason.LENGTH;
        } else {
          live[n++] = j;
        }
      }
      return Arrays.copyOf(live, n);
    }

    int length(int i) {
      return count[i];
    }

    /** The completions, with each token's log-probs (empty arrays when null). */
    List<Completion> completions(float[][] sampling, float[][] plain) {
      List<Completion> out = new ArrayList<>();
      for (int i = 0; i < tokens.length; i++) {
        out.add(new Completion(Arrays.copyOf(tokens[i], count[i]),
            reason[i] == null ? FinishReason.LENGTH : reason[i],
            sampling == null ? new float[0] : sampling[i], plain == null ? new float[0] : plain[i]));
      }
      return out;
    }
  }
}
