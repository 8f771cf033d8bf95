package dev.align4j.sft;

/**
 * How conversations become training sequences, with LLaMA-Factory's names.
 *
 * @param cutoffLen longest sequence in tokens; longer ones are cut at the end (the tail goes)
 * @param trainOnPrompt train on every token, prompts included
 * @param maskHistory train only on the last assistant turn of a multi-turn conversation
 */
public record SftOptions(int cutoffLen, boolean trainOnPrompt, boolean maskHistory) {
  /** Validates. */
  public SftOptions {
    if (cutoffLen < 2) {
      throw new IllegalArgumentException("cutoff_len must be >= 2, got " + cutoffLen);
    }
  }

  /** LLaMA-Factory's defaults: cutoff 2048, assistant tokens only, every assistant turn. */
  public static SftOptions defaults() {
    return new SftOptions(2048, false, false);
  }
}
