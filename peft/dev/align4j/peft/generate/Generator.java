package dev.align4j.peft.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.KvCache;
import dev.align4j.peft.model.ModelInput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Autoregressive decoding with a KV cache over a left-padded batch of prompts.
 *
 * <p>The prompt is run once; each later step feeds one token per row. Row {@code i} sits at
 * position {@code (real tokens so far)}, so a padded row decodes exactly as it would alone. Rows
 * that finished keep feeding a pad token (masked out) until all are done.
 */
public final class Generator {
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
    for (long[] p : prompts) {
      if (p.length == 0) {
        throw new IllegalArgumentException("empty prompt: generation needs at least one token");
      }
    }
    if (!cfg.stopStrings().isEmpty() && decoder == null) {
      throw new IllegalArgumentException("stop strings need a decoder");
    }
    int b = prompts.size();
    List<List<Long>> out = new ArrayList<>();
    FinishReason[] reason = new FinishReason[b];
    SplittableRandom[] rng = new SplittableRandom[b];
    int[] realCount = new int[b];
    for (int i = 0; i < b; i++) {
      out.add(new ArrayList<>());
      rng[i] = new SplittableRandom(cfg.seed() * 0x9E3779B97F4A7C15L + i);
      realCount[i] = prompts.get(i).length;
    }
    if (cfg.maxNewTokens() == 0) {
      return finish(out, reason);
    }
    try (NDManager gm = model.manager().newSubManager();
        KvCache cache = new KvCache(gm, model.config().numLayers())) {
      long[] mask;
      float[] lastLogits;
      try (NDManager step = gm.newSubManager()) {
        ModelInput in = ModelInput.padded(step, prompts.toArray(new long[0][]), cfg.padId(), true);
        mask = in.attentionMask();
        lastLogits = lastPositionLogits(in, cache);
      }
      int vocab = lastLogits.length / b;
      for (int t = 0; t < cfg.maxNewTokens(); t++) {
        long[] next = new long[b];
        for (int i = 0; i < b; i++) {
          if (reason[i] != null) {
            next[i] = cfg.padId();
            continue;
          }
          float[] row = Arrays.copyOfRange(lastLogits, i * vocab, (i + 1) * vocab);
          next[i] = Sampler.sample(row, cfg, rng[i]);
          out.get(i).add(next[i]);
          reason[i] = stopReason(out.get(i), next[i], cfg, decoder);
        }
        boolean allDone = true;
        for (FinishReason r : reason) {
          allDone &= r != null;
        }
        if (allDone || t == cfg.maxNewTokens() - 1) {
          break;
        }
        // one more step: each row's new token, its position, and the grown padding mask
        int s = mask.length / b;
        long[] grown = new long[b * (s + 1)];
        long[] pos = new long[b];
        for (int i = 0; i < b; i++) {
          System.arraycopy(mask, i * s, grown, i * (s + 1), s);
          boolean live = out.get(i).size() == t + 1;   // produced a token this step
          grown[i * (s + 1) + s] = live ? 1 : 0;
          pos[i] = realCount[i];
          if (live) {
            realCount[i]++;
          }
        }
        mask = grown;
        try (NDManager step = gm.newSubManager()) {
          ModelInput in = new ModelInput(
              step.create(next, new Shape(b, 1)), mask, step.create(pos, new Shape(b, 1)));
          lastLogits = lastPositionLogits(in, cache);
        }
      }
    }
    return finish(out, reason);
  }

  private float[] lastPositionLogits(ModelInput in, KvCache cache) {
    NDArray hidden = model.hiddenStates(in, cache);                         // [B, T, H]
    return model.logits(hidden.get(":, -1:, :")).toFloatArray();            // [B, 1, V]
  }

  private static FinishReason stopReason(
      List<Long> tokens, long last, GenerationConfig cfg, Function<long[], String> decoder) {
    if (cfg.isEos(last)) {
      return FinishReason.EOS;
    }
    if (!cfg.stopStrings().isEmpty()) {
      String text = decoder.apply(tokens.stream().mapToLong(Long::longValue).toArray());
      for (String stop : cfg.stopStrings()) {
        if (text.contains(stop)) {
          return FinishReason.STOP_STRING;
        }
      }
    }
    if (tokens.size() >= cfg.maxNewTokens()) {
      return FinishReason.LENGTH;
    }
    return null;
  }

  private static List<Completion> finish(List<List<Long>> out, FinishReason[] reason) {
    List<Completion> result = new ArrayList<>();
    for (int i = 0; i < out.size(); i++) {
      result.add(new Completion(
          out.get(i).stream().mapToLong(Long::longValue).toArray(),
          reason[i] == null ? FinishReason.LENGTH : reason[i]));
    }
    return result;
  }
}
