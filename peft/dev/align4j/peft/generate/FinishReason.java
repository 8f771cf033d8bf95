package dev.align4j.peft.generate;

/** Why a sequence stopped. */
public enum FinishReason {
  /** An EOS id was produced. */
  EOS,
  /** A stop string appeared in the decoded completion. */
  STOP_STRING,
  /** {@code max_new_tokens} was reached. */
  LENGTH
}
