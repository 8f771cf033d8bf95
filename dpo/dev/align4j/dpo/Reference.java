package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.AdapterState;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.CausalLM;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The reference policy of DPO, computed live without gradients. Which one TRL 1.13 uses: with a new
 * adapter, the same base with adapters off ({@link AdaptersOff}, no second copy); when training
 * starts from an existing LoRA adapter, a frozen copy of it named {@code ref} on the same base
 * ({@link FrozenAdapter}; trl#1340 was the bug of using the bare base there); an explicit {@code
 * ref_model} ({@link SeparateModel}); and for full fine-tuning without one, the policy itself before
 * its first step ({@link Policy}, only for precomputing).
 */
public sealed interface Reference {
  /**
   * Summed completion log-probs of each row of {@code batch} ({@code 2B}: chosen rows, then rejected)
   * under the reference; no autograd graph is kept, nothing allocated survives the call.
   */
  default double[] logps(CausalLM policy, DpoBatch batch) {
    return NoGrad.run(() -> {
      try (NDScope scope = new NDScope(); AdapterScope s = enter()) {
        CausalLM m = model(policy);
        NDArray logits = m.logits(batch.input());
        return CompletionLogps.of(logits, batch).sums().toType(DataType.FLOAT64, false).toDoubleArray();
      }
    });
  }

  /** The model that computes the reference. */
  default CausalLM model(CausalLM policy) {
    return policy;
  }

  /** Switches adapters for the reference forward; closed after it. */
  AdapterScope enter();

  /** What the reference is, for logs and the cache key. */
  String describe();

  /** The base with every adapter off (a new LoRA/QLoRA/IA3/prompt adapter): no second copy. */
  record AdaptersOff(AdapterState state) implements Reference {
    @Override
    public AdapterScope enter() {
      return state.disabled();
    }

    @Override
    public String describe() {
      return "the base model (adapters off)";
    }
  }

  /** A frozen copy of the starting adapter, on the same base (TRL's {@code ref} adapter). */
  record FrozenAdapter(PeftModel peft, String name) implements Reference {
    /** The name TRL gives the copy. */
    public static final String NAME = "ref";

    /**
     * Loads the PEFT LoRA adapter in {@code dir} twice onto {@code peft}: as {@code trained} (active,
     * trainable) and as a frozen copy {@value #NAME} that serves as the reference, as TRL does when
     * the model passed to {@code DPOTrainer} is already a {@code PeftModel}.
     */
    public static FrozenAdapter load(PeftModel peft, Path dir, String trained) throws IOException {
      PeftAdapterFiles.load(peft, dir, trained);
      PeftAdapterFiles.load(peft, dir, NAME);
      peft.setActive(trained);   // active and the only trainable one: the copy stays frozen
      return new FrozenAdapter(peft, NAME);
    }

    @Override
    public AdapterScope enter() {
      return peft.use(name);
    }

    @Override
    public String describe() {
      return "the frozen starting adapter '" + name + "'";
    }
  }

  /** A separately loaded reference model ({@code ref_model}). */
  record SeparateModel(CausalLM ref) implements Reference {
    @Override
    public CausalLM model(CausalLM policy) {
      return ref;
    }

    @Override
    public AdapterScope enter() {
      return () -> { };
    }

    @Override
    public String describe() {
      return "a separate reference model";
    }
  }

  /** The policy as it is now (full fine-tuning before the first step: precompute only). */
  record Policy() implements Reference {
    @Override
    public AdapterScope enter() {
      return () -> { };
    }

    @Override
    public String describe() {
      return "the initial policy";
    }
  }
}
