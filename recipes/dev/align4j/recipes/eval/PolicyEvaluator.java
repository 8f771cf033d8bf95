package dev.align4j.recipes.eval;

import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraInit;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.FinishReason;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.recipes.rl.IncidentJudge;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RewardScorer;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.Rollout;
import dev.align4j.rl.rollout.RolloutConfig;
import dev.align4j.rl.rollout.RolloutSampler;
import dev.align4j.rl.rollout.Scorer;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentVerdict;
import dev.align4j.sft.demo.ParsedReport;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * Measures policies of one base model on held-out incident prompts, all as adapters of one {@link
 * PeftModel} (one copy of the base weights): greedy completions scored by the incident judge (mean
 * and its parts); completions sampled at temperature 1 ({@code k} per prompt, seeded), with the
 * Monte-Carlo sequence KL(pi || pi_ref) to the reference and the judge on those samples (mean and
 * its parts: the score of the sampling policy RL at temperature 1 trains, next to the greedy one); and
 * optionally a reward model's mean score of the greedy completions.
 *
 * <p>Sampling and the teacher-forced log-probs are {@link RolloutSampler}'s, exactly what RL trains
 * on. The KL of one sample is {@code sum_t log pi(y_t | x, y_<t) - log pi_ref(y_t | x, y_<t)} over its
 * tokens (its EOS included); its mean over samples drawn from pi is an unbiased estimate of the
 * sequence KL, as the DPO paper's Fig. 2 measures it. Same seed, same numbers.
 */
public final class PolicyEvaluator {
  /** The adapter name of the zero adapter that stands for the base model as a policy. */
  public static final String BASE = "base";

  private final PeftModel peft;
  private final List<RlPrompt> prompts;
  private final List<ParsedReport> gold;
  private final String reference;
  private final Scorer rewardModel;
  private final EvalConfig cfg;
  private final Function<long[], String> decoder;
  private final long[] eosIds;
  private final long padId;

  /**
   * @param prompts held-out prompts whose {@link PromptDataset#REFERENCE} field holds the gold report
   *     (alpaca records read by {@link PromptDataset#read})
   * @param reference the reference adapter (the SFT adapter), or null for the base with adapters off
   * @param rewardModel a reward model on the same base ({@code RewardModelScorer}), or null
   */
  public PolicyEvaluator(PeftModel peft, List<RlPrompt> prompts, String reference, Scorer rewardModel, EvalConfig cfg,
      Function<long[], String> decoder, long[] eosIds, long padId) {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("eval: no held-out prompts");
    }
    if (reference != null) {
      peft.adapter(reference);
    }
    this.peft = peft;
    this.prompts = List.copyOf(prompts);
    this.gold = new ArrayList<>();
    for (int i = 0; i < prompts.size(); i++) {
      String ref = prompts.get(i).fields().get(PromptDataset.REFERENCE);
      int at = i + 1;
      gold.add(IncidentDataset.parse(ref).orElseThrow(() -> new IllegalArgumentException("eval: held-out prompt " + at
          + " has no parseable gold report in its '" + PromptDataset.REFERENCE + "' field (alpaca output)")));
    }
    this.reference = reference;
    this.rewardModel = rewardModel;
    this.cfg = cfg;
    this.decoder = decoder;
    this.eosIds = eosIds.clone();
    this.padId = padId;
  }

  /** An evaluator whose decoding, end and padding tokens are {@code tok}'s (pad: its pad, else 0 as the demo's). */
  public static PolicyEvaluator of(PeftModel peft, Tokenizer tok, List<RlPrompt> prompts, String reference,
      Scorer rewardModel, EvalConfig cfg) {
    return new PolicyEvaluator(peft, prompts, reference, rewardModel, cfg, ids -> tok.decode(ids, true), tok.eosIds(),
        tok.padId().orElse(0));
  }

  /** The held-out prompts. */
  public List<RlPrompt> prompts() {
    return prompts;
  }

  /**
   * Measures the policy {@code policy} (an adapter name; null: the base model, as a zero LoRA adapter
   * named {@link #BASE} added on first use, whose forward is the base's bit for bit). The policy must
   * not be the reference adapter itself: load the same files a second time under another name (the KL
   * is then exactly 0).
   */
  public PolicyEval evaluate(String policy) {
    String name = policy == null ? baseAdapter() : policy;
    PolicyRoles roles = new PolicyRoles(peft, name, reference, null);
    boolean training = peft.state().training();
    peft.state().setTraining(false);
    try {
      GreedyReports g = greedyReports(roles);
      List<String> texts = g.texts();
      double rm = rewardModel == null ? Double.NaN : mean(rewardModel.score(g.samples()));

      Rollout r = sample(roles);
      double[] kl = sequenceLogRatios(r);
      double klMean = mean(kl);
      double var = 0;
      for (double v : kl) {
        var += (v - klMean) * (v - klMean);
      }
      double stderr = kl.length > 1 ? Math.sqrt(var / (kl.length - 1) / kl.length) : Double.NaN;
      return new PolicyEval(policy, JudgeScores.of(g.verdicts()), texts.subList(0, Math.min(3, texts.size())),
          sampledJudge(r), klMean, stderr, kl, rm, r.size());
    } finally {
      peft.state().setTraining(training);
    }
  }

  /**
   * The judge on the greedy reports of {@code policy} (null: the base model) alone: {@link #evaluate}'s
   * {@code greedy()} without the sampling, for a caller that needs only the held-out judge score.
   */
  public JudgeScores greedyJudge(String policy) {
    String name = policy == null ? baseAdapter() : policy;
    boolean training = peft.state().training();
    peft.state().setTraining(false);
    try {
      return JudgeScores.of(greedyReports(new PolicyRoles(peft, name, reference, null)).verdicts());
    } finally {
      peft.state().setTraining(training);
    }
  }

  /**
   * The judge on the completions of {@code policy} (null: the base model) sampled at temperature 1:
   * {@link #evaluate}'s {@code sampled()} without the greedy reports and the reward model.
   */
  public JudgeScores sampledJudge(String policy) {
    boolean training = peft.state().training();
    peft.state().setTraining(false);
    try {
      return sampledJudge(sample(policy));
    } finally {
      peft.state().setTraining(training);
    }
  }

  /** Greedy reports: decoded texts, the judge's verdicts and the samples a reward model scores. */
  private record GreedyReports(List<String> texts, List<IncidentVerdict> verdicts, List<Scorer.Sample> samples) {}

  private GreedyReports greedyReports(PolicyRoles roles) {
    List<Completion> greedy = greedy(roles);
    List<IncidentVerdict> verdicts = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<Scorer.Sample> samples = new ArrayList<>();
    for (int i = 0; i < greedy.size(); i++) {
      long[] ids = greedy.get(i).tokens();
      String text = decoder.apply(ids).strip();
      texts.add(text);
      verdicts.add(IncidentVerdict.of(text, gold.get(i)));
      samples.add(new Scorer.Sample(prompts.get(i), ids, text, greedy.get(i).reason() == FinishReason.EOS));
    }
    return new GreedyReports(texts, verdicts, samples);
  }

  /**
   * The sampled completions of {@code policy} (null: the base) at temperature 1 with the policy's and
   * the reference's log-probs of each token, scored by the judge: what {@link #evaluate} measures.
   */
  Rollout sample(String policy) {
    return sample(new PolicyRoles(peft, policy == null ? baseAdapter() : policy, reference, null));
  }

  private Rollout sample(PolicyRoles roles) {
    RolloutConfig rc = new RolloutConfig(cfg.samplesPerPrompt(), cfg.maxNewTokens(), 1.0, 0, 1.0, cfg.sampleBatch(),
        eosIds, padId);
    Scorer judge = new RewardScorer(List.of(new IncidentJudge()), new double[] {1.0}, null);
    return new RolloutSampler(roles, rc, judge, decoder).sample(prompts, cfg.seed());
  }

  /**
   * The judge on every sampled completion against its prompt's gold report: the verdicts behind the
   * rollout's rewards ({@code r.scores()}, the same judge), with their parts.
   */
  static JudgeScores sampledJudge(Rollout r) {
    List<IncidentVerdict> verdicts = new ArrayList<>();
    for (int i = 0; i < r.size(); i++) {
      ParsedReport gold = IncidentDataset.parse(r.prompts().get(i).fields().get(PromptDataset.REFERENCE).strip())
          .orElseThrow();   // checked for every prompt in the constructor
      verdicts.add(IncidentVerdict.of(r.texts().get(i), gold));
    }
    return JudgeScores.of(verdicts);
  }

  /** Per sampled row, {@code sum_t (log pi - log pi_ref)} over its completion tokens. */
  static double[] sequenceLogRatios(Rollout r) {
    double[] out = new double[r.size()];
    for (int i = 0; i < r.size(); i++) {
      double s = 0;
      for (int j = 0; j < r.length(i); j++) {
        s += r.mask()[i][j] * (r.logProbs()[i][j] - r.refLogProbs()[i][j]);
      }
      out[i] = s;
    }
    return out;
  }

  /** Greedy completions of every prompt under the policy, in batches as {@code IncidentEval} runs them. */
  private List<Completion> greedy(PolicyRoles roles) {
    GenerationConfig g = GenerationConfig.greedy(cfg.maxNewTokens(), eosIds).withPadId(padId);
    Generator gen = new Generator(peft.model());
    List<Completion> out = new ArrayList<>();
    try (AdapterScope a = roles.usePolicy()) {
      for (int i = 0; i < prompts.size(); i += cfg.greedyBatch()) {
        List<long[]> ids = new ArrayList<>();
        for (RlPrompt p : prompts.subList(i, Math.min(prompts.size(), i + cfg.greedyBatch()))) {
          ids.add(p.ids());
        }
        out.addAll(gen.generate(ids, g, null));
      }
    }
    return out;
  }

  /** The zero adapter standing for the base (LoRA B = 0 adds exactly zero), added once. */
  private String baseAdapter() {
    if (!peft.adapterNames().contains(BASE)) {
      List<String> trainable = peft.trainableAdapters();
      peft.addLora(BASE, new LoraConfig(1, 1.0, 0.0, List.of("all-linear"), LoraInit.KAIMING_UNIFORM, false, false,
          List.of()), 0);
      // adding makes it active and trainable; it must change nothing else
      peft.setTrainable(trainable.toArray(String[]::new));
    }
    return BASE;
  }

  private static double mean(double[] xs) {
    double s = 0;
    int n = 0;
    for (double x : xs) {
      if (!Double.isNaN(x)) {
        s += x;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }
}
