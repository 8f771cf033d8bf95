package dev.align4j.rl.reward;

/**
 * Subtracts a fixed penalty from the score of every completion that did not end with an EOS token
 * (the old TRL PPO/RLOO {@code missing_eos_penalty}: {@code scores[~contain_eos_token] -=
 * missing_eos_penalty}), discouraging truncated answers.
 */
public final class MissingEosPenalty {
  private MissingEosPenalty() {}

  /** A copy of {@code scores} with {@code penalty} taken off where {@code endedWithEos} is false. */
  public static double[] apply(double[] scores, boolean[] endedWithEos, double penalty) {
    if (scores.length != endedWithEos.length) {
      throw new IllegalArgumentException(scores.length + " scores but " + endedWithEos.length + " EOS flags");
    }
    double[] out = scores.clone();
    for (int i = 0; i < out.length; i++) {
      if (!endedWithEos[i]) {
        out[i] -= penalty;
      }
    }
    return out;
  }
}
