package dev.align4j.recipes.rl;

import ai.djl.Device;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.eval.EvalConfig;
import dev.align4j.recipes.eval.EvalSession;
import dev.align4j.recipes.eval.JudgeScores;
import dev.align4j.recipes.eval.PolicyEvaluator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code align4j grpo|ppo|rloo --demo}: RL on the incident task from what {@code align4j demo} left
 * (the pre-trained tiny model, the SFT adapter, the split data, the reward model), rewarded as the
 * recipe says ({@code recipes/<command>_incident.yaml}: PPO by the demo's reward model, GRPO and RLOO
 * by the rule-based judge). Prints the held-out judge score of the SFT policy and of the trained one
 * (the judge on greedy reports of the 96 held-out alerts, whatever the reward, and on 4 reports per
 * alert sampled at temperature 1), the run's own
 * held-out training reward ({@code eval/score}) under its own label, and the KL to the SFT reference;
 * a fixed seed gives the same numbers.
 */
final class RlDemo {
  /** The row of the held-out judge score (the judge on greedy reports, whatever the run's reward). */
  static final String JUDGE_ROW = "held-out judge score (greedy, 0..1)";

  /** The row of the held-out judge score of sampled reports (temperature 1, {@link #SAMPLES} per alert). */
  static final String SAMPLED_ROW = "held-out judge score (sampled, T 1, 0..1)";
  /** Reports sampled per held-out alert for {@link #SAMPLED_ROW}, as the demo's eval stage samples. */
  static final int SAMPLES = 4;

  /**
   * The judge on the held-out reports of the SFT policy and of the trained one: greedy, and sampled at
   * temperature 1 (the sampling policy, what RL at temperature 1 trains).
   */
  record Judged(JudgeScores sft, JudgeScores trained, JudgeScores sftSampled, JudgeScores trainedSampled) {}

  private RlDemo() {}

  static int run(RlRun.Kind kind, Path demoDir, Path config, List<String> overrides, Device device) throws IOException {
    String name = kind.name().toLowerCase(Locale.ROOT);
    Path model = demoDir.resolve("pt/model");
    Path adapter = demoDir.resolve("sft/adapter");
    for (Path p : List.of(model, adapter, demoDir.resolve("data/train.jsonl"), demoDir.resolve("data/val.jsonl"))) {
      if (!Files.exists(p)) {
        throw new IllegalArgumentException(p + " not found: run `align4j demo --out " + demoDir + "` first");
      }
    }
    // beside the demo's directory (as dpo --demo's runs/demo-dpo): the demo pipeline's own grpo/, ppo/ stay as they are
    // output_dir on the command line is honoured as given (not wiped: it may resume); else <demo-dir>-<command>
    boolean ownOut = overrides.stream().anyMatch(o -> o.startsWith("output_dir="));
    Path out = demoDir.resolveSibling(demoDir.getFileName() + "-" + name);
    if (!ownOut && Files.exists(out)) {
      // the demo starts afresh: the same seed gives the same numbers
      try (Stream<Path> walk = Files.walk(out)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    List<String> all = new ArrayList<>(List.of("model_name_or_path=" + model, "adapter_name_or_path=" + adapter,
        "dataset=" + demoDir.resolve("data/train.jsonl"), "eval_dataset=" + demoDir.resolve("data/val.jsonl"),
        "output_dir=" + out));
    Path recipe = config != null ? config : Path.of("recipes/" + name + "_incident.yaml");
    // a recipe rewarded by a reward model names the demo's (runs/demo/rm/adapter): the one in --demo-dir
    // instead, unless the command line names another
    boolean ownRm = overrides.stream().anyMatch(o -> o.startsWith("reward_model="));
    if (!ownRm && !RlRecipe.load(recipe, overrides).rewardModel().isBlank()) {
      Path rm = demoDir.resolve("rm/adapter");
      if (!Files.exists(rm)) {
        throw new IllegalArgumentException(rm + " not found: " + recipe + " is rewarded by the demo's reward model; run"
            + " `align4j demo --out " + demoDir + "` first");
      }
      all.add("reward_model=" + rm);
    }
    all.addAll(overrides);
    RlRecipe r = RlRecipe.load(recipe, all);
    out = Path.of(r.outputDir());
    long t0 = System.nanoTime();
    RlRun.Summary s = RlRun.run(kind, r, device);
    if (s.result().stopped()) {
      return StopSignal.exitCode();
    }
    // the held-out judge score is the judge's, whatever the run was rewarded by (the run's own eval/score
    // is its training reward: a reward model's score for PPO)
    Judged judged = judge(model, adapter, out.resolve("adapter"), demoDir.resolve("data/val.jsonl"),
        r.maxCompletionLength(), r.seed(), device);
    List<double[]> evals = s.result().evals();
    List<Map<String, Double>> rollouts = s.result().rollouts();
    double maxKl = rollouts.stream().mapToDouble(m -> m.get("objective/kl")).max().orElse(Double.NaN);
    String upper = name.toUpperCase(Locale.ROOT);
    System.out.printf("%n== %s on the incident task (%s), %d steps, %d rollouts; reward: %s%n", upper, recipe,
        s.result().steps().size(), rollouts.size(), rewardName(r));
    System.out.printf("%-44s %10s %10s%n", "metric", "SFT", upper);
    System.out.printf(Locale.ROOT, "%-44s %10.4f %10.4f%n", JUDGE_ROW, judged.sft().mean(), judged.trained().mean());
    System.out.printf(Locale.ROOT, "%-44s %10s %10s%n", "  format / event type / risk level (greedy)", parts(judged.sft()),
        parts(judged.trained()));
    System.out.printf(Locale.ROOT, "%-44s %10.4f %10.4f%n", SAMPLED_ROW, judged.sftSampled().mean(),
        judged.trainedSampled().mean());
    System.out.printf(Locale.ROOT, "%-44s %10s %10s%n", "  format / event type / risk level (sampled)",
        parts(judged.sftSampled()), parts(judged.trainedSampled()));
    if (!evals.isEmpty()) {
      System.out.printf(Locale.ROOT, "%-44s %10.4f %10.4f%n", "held-out training reward (greedy, eval/score)",
          evals.get(0)[1], evals.get(evals.size() - 1)[1]);
    }
    System.out.printf(Locale.ROOT, "%-44s %10.4f %10.4f%n", "train reward (sampled, first/last rollout)",
        rollouts.get(0).get("objective/scores"), rollouts.get(rollouts.size() - 1).get("objective/scores"));
    System.out.printf(Locale.ROOT, "%-44s %10.4f %10.4f%n", "KL to the SFT reference (first/last rollout)",
        rollouts.get(0).get("objective/kl"), rollouts.get(rollouts.size() - 1).get("objective/kl"));
    System.out.printf(Locale.ROOT, "largest rollout KL %.4f; RSS with the base loaded %d MiB, peak %d MiB; %s (reward.png,"
        + " kl.png, metrics.jsonl, adapter/); done in %.0f s%n", maxKl, s.baseRssMib(), s.peakRssMib(), out,
        (System.nanoTime() - t0) / 1e9);
    return 0;
  }

  /**
   * The judge on the greedy reports of the SFT adapter and of the trained one for every held-out alert
   * ({@link PolicyEvaluator#greedyJudge}, in batches of 16 as {@code IncidentEval} generates), and on
   * {@link #SAMPLES} reports per alert sampled at temperature 1 with {@code seed} ({@link
   * PolicyEvaluator#sampledJudge}), on a fresh load of the base.
   */
  static Judged judge(Path model, Path sft, Path trained, Path heldOut, int maxNewTokens, long seed, Device device)
      throws IOException {
    EvalConfig ec = new EvalConfig(maxNewTokens, SAMPLES, seed, 16, 32);
    try (EvalSession es = EvalSession.open(model, null, heldOut, 0, null, ec, device)) {
      es.loadPolicy("sft", sft);
      es.loadPolicy("trained", trained);
      PolicyEvaluator ev = es.evaluator();
      return new Judged(ev.greedyJudge("sft"), ev.greedyJudge("trained"), ev.sampledJudge("sft"),
          ev.sampledJudge("trained"));
    }
  }

  /** What the run was rewarded by, for the heading. */
  static String rewardName(RlRecipe r) {
    List<String> parts = new ArrayList<>();
    if (!r.reward().isBlank()) {
      parts.add(r.reward());
    }
    if (!r.rewardModel().isBlank()) {
      parts.add("reward model " + r.rewardModel() + (r.normalizeReward() ? " (normalised)" : ""));
    }
    return String.join(" + ", parts);
  }

  private static String parts(JudgeScores j) {
    return String.format(Locale.ROOT, "%.2f/%.2f/%.2f", j.format(), j.eventType(), j.riskLevel());
  }
}
