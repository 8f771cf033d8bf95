package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import java.util.List;
import java.util.Map;

/**
 * Next-token cross-entropy over the target tokens of {@link TrainingExample}s (SFT and continued
 * pre-training), normalised by the effective batch's target tokens.
 *
 * @param padId id that pads micro-batches
 */
public record TokenCrossEntropy(long padId) implements Objective<TrainingExample, TokenLoss.Batch> {
  @Override
  public TokenLoss.Batch collate(NDManager manager, List<TrainingExample> examples) {
    return TokenLoss.collate(manager, examples, padId);
  }

  @Override
  public long count(List<TrainingExample> examples) {
    return TokenLoss.totalTargets(List.of(examples));
  }

  @Override
  public String countName() {
    return "target_tokens";
  }

  @Override
  public long tokens(List<TrainingExample> examples) {
    long n = 0;
    for (TrainingExample e : examples) {
      n += e.ids().length;
    }
    return n;
  }

  @Override
  public Loss loss(CausalLM model, TokenLoss.Batch batch) {
    return new Loss(TokenLoss.sumNll(model, batch));
  }

  @Override
  public ModelInput input(TokenLoss.Batch batch) {
    return batch.input();
  }

  @Override
  public Loss lossFromHidden(CausalLM model, TokenLoss.Batch batch, NDArray hidden) {
    return new Loss(TokenLoss.sumNllFromHidden(model, hidden, batch));
  }

  @Override
  public Map<String, Double> evalExtras(double meanLoss) {
    return Map.of("ppl", Math.exp(meanLoss));
  }
}
