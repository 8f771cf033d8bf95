package dev.align4j.peft.generate;

import java.util.List;

/**
 * How to decode, with transformers' meanings and defaults.
 *
 * @param maxNewTokens at most this many tokens per prompt
 * @param doSample sample (true) or take the arg-max (false, greedy)
 * @param temperature logits are divided by it before sampling; must be &gt; 0
 * @param topK keep the k most likely tokens; 0 disables
 * @param topP keep the smallest set of tokens whose probability reaches p; 1 disables
 * @param minP drop tokens whose probability is below {@code minP} times the most likely one's; 0
 *     disables
 * @param repetitionPenalty divides the positive and multiplies the negative logits of every token
 *     already in the prompt or the completion (Keskar et al. 2019); 1 disables. Applied in greedy
 *     decoding too, as transformers does.
 * @param seed seeds every random choice; row {@code i} of a batch draws from its own stream
 * @param eosIds token ids that end a sequence (kept in the output)
 * @param stopStrings texts that end a sequence once the decoded completion contains them
 * @param padId id used for left padding of prompts
 */
public record GenerationConfig(
    int maxNewTokens,
    boolean doSample,
    double temperature,
    int topK,
    double topP,
    double minP,
    double repetitionPenalty,
    long seed,
    long[] eosIds,
    List<String> stopStrings,
    long padId) {

  /** Validates ranges. */
  public GenerationConfig {
    if (maxNewTokens < 0) {
      throw new IllegalArgumentException("max_new_tokens must be >= 0, got " + maxNewTokens);
    }
    if (!(temperature > 0)) {
      throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
    }
    if (topK < 0) {
      throw new IllegalArgumentException("top_k must be >= 0, got " + topK);
    }
    if (!(topP > 0 && topP <= 1)) {
      throw new IllegalArgumentException("top_p must be in (0, 1], got " + topP);
    }
    if (!(minP >= 0 && minP <= 1)) {
      throw new IllegalArgumentException("min_p must be in [0, 1], got " + minP);
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw new IllegalArgumentException("repetition_penalty must be a finite number > 0, got " + repetitionPenalty);
    }
    eosIds = eosIds == null ? new long[0] : eosIds.clone();
    stopStrings = stopStrings == null ? List.of() : List.copyOf(stopStrings);
  }

  /** Greedy decoding of up to {@code maxNewTokens}, stopping at the given EOS ids. */
  public static GenerationConfig greedy(int maxNewTokens, long... eosIds) {
    return new GenerationConfig(maxNewTokens, false, 1.0, 0, 1.0, 0, 1.0, 0, eosIds, List.of(), 0);
  }

  /** Sampling with temperature, top-k and top-p. */
  public static GenerationConfig sampling(
      int maxNewTokens, double temperature, int topK, double topP, long seed, long... eosIds) {
    return new GenerationConfig(maxNewTokens, true, temperature, topK, topP, 0, 1.0, seed, eosIds, List.of(), 0);
  }

  /** A copy with stop strings. */
  public GenerationConfig withStopStrings(List<String> stops) {
    return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, repetitionPenalty, seed,
        eosIds, stops, padId);
  }

  /** A copy with another pad id. */
  public GenerationConfig withPadId(long pad) {
    return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, repetitionPenalty, seed,
        eosIds, stopStrings, pad);
  }

  /** A copy with min-p filtering (0 disables). */
  public GenerationConfig withMinP(double p) {
    return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, p, repetitionPenalty, seed,
        eosIds, stopStrings, padId);
  }

  /** A copy with a repetition penalty (1 disables). */
  public GenerationConfig withRepetitionPenalty(double penalty) {
    return new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, penalty, seed,
        eosIds, stopStrings, padId);
  }

  /** Whether {@code id} ends a sequence. */
  public boolean isEos(long id) {
    for (long e : eosIds) {
      if (e == id) {
        return true;
      }
    }
    return false;
  }
}
