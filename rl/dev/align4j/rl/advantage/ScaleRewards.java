package dev.align4j.rl.advantage;

import java.util.Locale;

/** TRL GRPO's {@code scale_rewards}: what the centred rewards are divided by. */
public enum ScaleRewards {
  /** The Bessel std of the prompt's group (GRPO, Shao et al. 2024 eq. 3; TRL's default). */
  GROUP,
  /** The Bessel std of the whole batch (Hu et al., REINFORCE++-style robust scaling). */
  BATCH,
  /** No scaling (Dr. GRPO, Liu et al. 2025: the std division biases towards easy/hard prompts). */
  NONE;

  /** Parses {@code group|batch|none}; TRL's legacy booleans true/false mean group/none. */
  public static ScaleRewards parse(String s) {
    return switch (s.toLowerCase(Locale.ROOT)) {
      case "group", "true" -> GROUP;
      case "batch" -> BATCH;
      case "none", "false" -> NONE;
      default -> throw new IllegalArgumentException("unknown scale_rewards '" + s + "' (expected group, batch or none)");
    };
  }
}
