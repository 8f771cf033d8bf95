package dev.align4j.recipes.sft;

import dev.align4j.peft.adapter.PrefixTuning;
import dev.align4j.peft.adapter.PromptTuning;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The prompt-learning methods of a recipe (prompt, P- and prefix tuning) behind one face. */
sealed interface PromptAdapter {
  /** What trains. */
  List<Parameter> trainableParameters();

  /** Saves in PEFT's format. */
  void save(Path dir, String base) throws IOException;

  /** Builds the method the recipe names. */
  static PromptAdapter create(CausalLM model, SftRecipe r) {
    return switch (r.finetuningType()) {
      case PREFIX_TUNING -> new Prefix(new PrefixTuning(model, r.numVirtualTokens(), r.seed()));
      case P_TUNING -> new Prompt(new PromptTuning(model, PromptTuning.Kind.P_TUNING, r.numVirtualTokens(),
          r.encoderHiddenSize(), r.seed(), null));
      default -> new Prompt(new PromptTuning(model, PromptTuning.Kind.PROMPT_TUNING, r.numVirtualTokens(), 0,
          r.seed(), null));
    };
  }

  /** Prompt or P-tuning. */
  record Prompt(PromptTuning p) implements PromptAdapter {
    @Override
    public List<Parameter> trainableParameters() {
      return p.trainableParameters();
    }

    @Override
    public void save(Path dir, String base) throws IOException {
      p.save(dir, base);
    }
  }

  /** Prefix tuning. */
  record Prefix(PrefixTuning p) implements PromptAdapter {
    @Override
    public List<Parameter> trainableParameters() {
      return p.trainableParameters();
    }

    @Override
    public void save(Path dir, String base) throws IOException {
      p.save(dir, base);
    }
  }
}
