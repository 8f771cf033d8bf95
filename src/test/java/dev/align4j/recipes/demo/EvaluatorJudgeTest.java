package dev.align4j.recipes.demo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.TinyIncident;
import dev.align4j.recipes.eval.EvalConfig;
import dev.align4j.recipes.eval.JudgeScores;
import dev.align4j.recipes.eval.PolicyEval;
import dev.align4j.recipes.eval.PolicyEvaluator;
import dev.align4j.recipes.rl.IncidentJudge;
import dev.align4j.rl.reward.RewardInput;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.sft.demo.IncidentPreferences;
import dev.align4j.sft.demo.IncidentVerdict;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The policy evaluator judges as the demo's {@link IncidentEval} does: verdict by verdict on the same
 * reports (and the RL reward {@code incident_judge} is their score), and on a model, the same greedy
 * completions of the same held-out alerts with the same shares.
 */
class EvaluatorJudgeTest {
  @TempDir Path tmp;

  @Test
  void verdictsAndScoresEqualIncidentEvalsOnTheSameReports() {
    List<IncidentVerdict> ours = new ArrayList<>();
    int format = 0;
    int type = 0;
    int risk = 0;
    int points = 0;
    IncidentJudge judge = new IncidentJudge();
    for (IncidentPreferences.Pair p : IncidentPreferences.generate(60, 3)) {
      for (String report : List.of(p.chosen(), p.rejected(), " " + p.rejected() + "\n")) {
        IncidentEval.Verdict theirs = IncidentEval.judge(report, p.gold());
        IncidentVerdict v = IncidentVerdict.of(report, p.gold());
        assertThat(List.of(v.format(), v.eventType(), v.riskLevel())).as(report)
            .containsExactly(theirs.format(), theirs.eventType(), theirs.riskLevel());
        assertThat(v.points()).isEqualTo(theirs.points());
        double reward = judge.score(new RewardInput("p", report, new int[0], Map.of(PromptDataset.REFERENCE,
            p.chosen())));
        assertThat(reward).isEqualTo(theirs.points() / 3.0);
        ours.add(v);
        format += theirs.format() ? 1 : 0;
        type += theirs.eventType() ? 1 : 0;
        risk += theirs.riskLevel() ? 1 : 0;
        points += theirs.points();
      }
    }
    JudgeScores s = JudgeScores.of(ours);
    double n = ours.size();
    assertThat(s.count()).isEqualTo(180);
    assertThat(s.format()).isEqualTo(format / n);
    assertThat(s.eventType()).isEqualTo(type / n);
    assertThat(s.riskLevel()).isEqualTo(risk / n);
    assertThat(s.mean()).isCloseTo(points / 3.0 / n, Offset.offset(1e-12));
    assertThat(s.mean()).isBetween(0.3, 0.99);
  }

  @Test
  void greedyCompletionsAndSharesEqualIncidentEvalsOnAModel() throws Exception {
    TinyIncident tiny = TinyIncident.write(tmp, 20, 5, 2);
    Path model = tiny.model();
    Path val = tiny.data();
    List<IncidentEval.Item> items = TinyIncident.items(val);
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(model)) {
      ChatTemplate template = tok.chatTemplate().orElseThrow();
      IncidentEval.Scores theirs = IncidentEval.score(pm.model(), tok, template, items, 12);
      List<RlPrompt> prompts = PromptDataset.read(val, tok, template);
      PolicyEvaluator ev = PolicyEvaluator.of(new PeftModel(pm.model()), tok, prompts, null, null,
          new EvalConfig(12, 1, 1, 16, 8));
      PolicyEval ours = ev.evaluate(null);
      assertThat(ours.greedySamples()).isEqualTo(theirs.samples());
      assertThat(ours.greedy().format()).isEqualTo(theirs.format());
      assertThat(ours.greedy().eventType()).isEqualTo(theirs.eventType());
      assertThat(ours.greedy().riskLevel()).isEqualTo(theirs.riskLevel());
      assertThat(ours.greedy().count()).isEqualTo(20);
      assertThat(ours.kl()).isEqualTo(0.0);
      // the greedy part alone (what `ppo|grpo --demo` prints) is the same judge on the same reports
      assertThat(ev.greedyJudge(null)).isEqualTo(ours.greedy());
    }
  }
}
