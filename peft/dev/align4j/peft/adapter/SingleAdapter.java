package dev.align4j.peft.adapter;

import java.util.List;

/**
 * The methods with one adapter per model (IA3, prompt/P-tuning, prefix tuning): PEFT names it
 * {@code default}, and its on/off switch is one {@link AdapterState} shared with the layers it patches.
 */
public abstract sealed class SingleAdapter implements Adapter permits Ia3Adapter, PromptTuning, PrefixTuning {
  /** The adapter's name: one per model. */
  public static final String NAME = "default";

  /** The switch the patched layers read: active inside {@link #use()}, off inside {@link #disabled()}. */
  protected final AdapterState state = new AdapterState();

  @Override
  public final String name() {
    return NAME;
  }

  @Override
  public final AdapterScope use() {
    return state.use(List.of(NAME));
  }

  @Override
  public final AdapterScope disabled() {
    return state.disabled();
  }

  /** The switches (the disabled scope gives the base model, the reference of RL and DPO). */
  public final AdapterState state() {
    return state;
  }
}
