package dev.align4j.peft.adapter;

import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;

/**
 * The switches every adapter layer of one model reads: which named adapters a forward uses (none:
 * the base model, the frozen reference), and whether dropout is on.
 *
 * <p>Which adapters are active is independent of which train: PPO keeps a policy and a value
 * adapter trainable in one optimizer and runs each forward with only one of them active. Scopes
 * ({@link #use}, {@link #disabled}) change the active set and restore it on close; they nest.
 */
public final class AdapterState {
  private String primary;                    // the adapter set by setActive (merge, saving default)
  private List<String> active = List.of();   // what a forward uses now
  private final Deque<List<String>> saved = new ArrayDeque<>();
  private boolean training;

  /** The adapter chosen by {@code setActive} (the one merged and trained by default), or null. */
  public String active() {
    return primary;
  }

  /** The adapters a forward uses now, in the order their contributions are added. */
  public List<String> activeNames() {
    return active;
  }

  /** Whether adapter {@code name} contributes to a forward now. */
  public boolean isActive(String name) {
    return active.contains(name);
  }

  /** Makes {@code name} the only active adapter (outside any scope). */
  void setActive(String name) {
    this.primary = name;
    this.active = name == null ? List.of() : List.of(name);
  }

  /** Whether any adapter currently contributes. */
  public boolean enabled() {
    return !active.isEmpty();
  }

  /** Until the scope closes, a forward uses exactly {@code names} (none: the base model). */
  AdapterScope use(Collection<String> names) {
    saved.push(active);
    List<String> before = active;
    active = List.copyOf(new LinkedHashSet<>(names));
    return new AdapterScope() {
      private boolean closed;

      @Override
      public void close() {
        if (closed) {
          return;
        }
        closed = true;
        if (saved.isEmpty() || saved.peek() != before) {
          throw new IllegalStateException("adapter scopes must close in reverse order of opening");
        }
        active = saved.pop();
      }
    };
  }

  /** Until the scope closes, no adapter contributes: forward is the base model. */
  public AdapterScope disabled() {
    return use(List.of());
  }

  /** Switches every adapter off until {@link #enable}; prefer {@link #disabled()}. */
  public void disable() {
    saved.push(active);
    active = List.of();
  }

  /** Ends a {@link #disable}. */
  public void enable() {
    if (saved.isEmpty()) {
      throw new IllegalStateException("adapters are not disabled");
    }
    active = saved.pop();
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
