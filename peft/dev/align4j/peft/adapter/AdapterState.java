package dev.align4j.peft.adapter;

/**
 * The switches every adapter layer of one model reads: which adapter is active, whether adapters are
 * disabled (the base model serves as the frozen reference), and whether dropout is on.
 */
public final class AdapterState {
  private String active;
  private int disabledDepth;
  private boolean training;

  /** The active adapter's name, or null. */
  public String active() {
    return active;
  }

  void setActive(String name) {
    this.active = name;
  }

  /** Whether adapters currently contribute. */
  public boolean enabled() {
    return disabledDepth == 0 && active != null;
  }

  void disable() {
    disabledDepth++;
  }

  void enable() {
    if (disabledDepth == 0) {
      throw new IllegalStateException("adapters are not disabled");
    }
    disabledDepth--;
  }

  /** Whether dropout applies (training) or not (evaluation, generation). */
  public boolean training() {
    return training;
  }

  /** Turns dropout on for training, off for evaluation. */
  public void setTraining(boolean on) {
    this.training = on;
  }
}
