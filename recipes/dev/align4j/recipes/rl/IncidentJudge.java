package dev.align4j.recipes.rl;

import dev.align4j.rl.reward.RewardFunction;
import dev.align4j.rl.reward.RewardInput;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentVerdict;
import dev.align4j.sft.demo.ParsedReport;
import java.util.Optional;

/**
 * The incident task's rule-based judge (the demo's held-out scoring) as a reward: a third for a
 * report that parses ({@code 事件类型：...；风险等级：...；建议：...}), a third for the right event type,
 * a third for the right risk level, against the gold report in the prompt's {@code reference} field.
 * A prompt without a parseable reference is skipped (null).
 */
public final class IncidentJudge implements RewardFunction {
  @Override
  public Double score(RewardInput in) {
    Object ref = in.extra().get(PromptDataset.REFERENCE);
    Optional<ParsedReport> gold = ref == null ? Optional.empty() : IncidentDataset.parse(ref.toString().strip());
    if (gold.isEmpty()) {
      return null;
    }
    return IncidentVerdict.of(in.completion(), gold.get()).score();
  }

  @Override
  public String name() {
    return "incident_judge";
  }
}
