package dev.align4j.rl.train;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.FinishReason;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.train.CurvePlot;
import dev.align4j.peft.train.MetricsLog;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainingSession;
import dev.align4j.rl.kl.KlController;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.Rollout;
import dev.align4j.rl.rollout.RolloutSampler;
import dev.align4j.rl.rollout.Scorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * The RL main loop on a {@link TrainingSession}: sample a rollout from the policy, turn it into
 * experiences ({@link ExperienceMaker}), then {@code epochs} passes of {@code miniBatches} optimizer
 * steps over it, stopping the passes early when the policy moved further than the KL limit; update
 * the KL controller; checkpoint between rollouts. Everything random is a pure function of the seed
 * and the rollout's number (prompt order, sampling, minibatch shuffles) and the engine reseeds dropout
 * per step, so a run resumed from a checkpoint reproduces the uninterrupted one bit for bit on CPU.
 *
 * <p>A rollout that feeds exactly one optimizer step skips its policy forward when nothing needs the
 * old log-probs before the update ({@link #reusesUpdateLogProbs}): the update's own log-probs, detached,
 * are the old ones (TRL's GRPO with {@code num_iterations=1}), and the rollout's KL figures are
 * completed from them after the step.
 *
 * <p>A stop request (SIGINT/SIGTERM) is honoured between rollouts, after a checkpoint of the last one.
 */
public final class RlLoop {
  /** What a run did now. */
  public record Result(List<StepMetrics> steps, List<Map<String, Double>> rollouts, KlController kl, boolean stopped,
      List<double[]> evals) {}

  private final Trainer trainer;
  private final RlObjective objective;
  private final RolloutSampler sampler;
  private final Algorithm algorithm;
  private final RlLoopConfig cfg;
  private final Path out;
  private List<RlPrompt> evalPrompts = List.of();
  private Scorer evalScorer;
  private long evalSteps;
  private Function<long[], String> decoder;
  private PolicyRoles roles;
  private boolean separateOldLogProbs;

  /**
   * @param out where {@code metrics.jsonl} and the plots go (checkpoints go where the trainer says);
   *     null for none
   */
  public RlLoop(Trainer trainer, RlObjective objective, RolloutSampler sampler, Algorithm algorithm, RlLoopConfig cfg,
      Path out) {
    this.trainer = trainer;
    this.objective = objective;
    this.sampler = sampler;
    this.algorithm = algorithm;
    this.cfg = cfg;
    this.out = out;
  }

  /**
   * Every {@code everySteps} steps (at the end of the rollout that reaches them) and at the end: greedy
   * completions of {@code prompts} from the policy, scored by {@code scorer} ({@code eval/score}),
   * the first two logged as samples.
   */
  public RlLoop withEvaluation(PolicyRoles roles, List<RlPrompt> prompts, Scorer scorer, long everySteps,
      Function<long[], String> decoder) {
    this.roles = roles;
    this.evalPrompts = List.copyOf(prompts);
    this.evalScorer = scorer;
    this.evalSteps = everySteps;
    this.decoder = decoder;
    return this;
  }

  /**
   * Always computes the old log-probs by the rollout's own policy forward, also where the update's could
   * stand in (the slower path, for comparison; default false).
   */
  public RlLoop separateOldLogProbForward(boolean on) {
    this.separateOldLogProbs = on;
    return this;
  }

  /**
   * Whether a rollout's old log-probs can be the update's own, detached: the rollout feeds exactly one
   * optimizer step (so the policy at that step is the sampling policy), the policy trains in it (not
   * PPO's critic warm-up), and no KL penalty in the reward needs them before the update.
   *
   * @param rows the rollout's rows
   * @param klCoef this rollout's KL coefficient
   * @param policyUpdates whether the step trains the policy
   */
  public static boolean reusesUpdateLogProbs(Algorithm algorithm, RlLoopConfig cfg, int rows, double klCoef,
      boolean policyUpdates) {
    return cfg.oneStepPerRollout(rows) && policyUpdates && !algorithm.rewardUsesPolicyLogProbs(klCoef);
  }

  /** Trains until the trainer's {@code maxSteps}, resuming from the newest checkpoint if any. */
  public Result run(List<RlPrompt> prompts) throws IOException {
    if (prompts.isEmpty()) {
      throw new IllegalArgumentException("no training prompts");
    }
    long maxSteps = trainer.config().maxSteps();
    List<StepMetrics> steps = new ArrayList<>();
    List<Map<String, Double>> rolloutMetrics = new ArrayList<>();
    boolean stopped = false;
    try (StopSignal.Region graceful = StopSignal.graceful();
        TrainingSession<Experience, RlObjective.Batch> s = trainer.open(objective);
        MetricsLog log = out == null ? null : new MetricsLog(out.resolve("metrics.jsonl"), s.steps())) {
      ObjectNode state = s.resumedState().orElse(null);
      long rollout = state == null ? 0 : state.path("rollouts").asLong();
      KlController kl = state == null || !state.has("kl") ? cfg.kl() : KlState.fromJson(state.get("kl"));
      long onDisk = s.steps();
      List<double[]> evals = new ArrayList<>();
      Boolean said = null;
      if (log != null && !evalPrompts.isEmpty() && s.steps() == 0) {
        // the starting policy's score, the "before" of the run
        log.write(evaluate(0, evals));
      }
      while (s.steps() < maxSteps) {
        if (StopSignal.requested()) {
          stopped = true;
          break;
        }
        long before = s.steps();
        List<RlPrompt> batch = promptsOf(prompts, rollout);
        double coef = klCoefficient(kl);
        boolean policyUpdates = !(algorithm instanceof Algorithm.Ppo p) || rollout >= p.criticWarmupRollouts();
        int rows = batch.size() * sampler.config().numGenerations();
        boolean reuse = !separateOldLogProbs && reusesUpdateLogProbs(algorithm, cfg, rows, coef, policyUpdates);
        if (said == null || said != reuse) {
          // once per run, and again when it changes (after PPO's critic warm-up)
          System.err.println(reuse ? "rl: old log-probs: the update's own, detached (one optimizer step per rollout,"
              + " no KL in the reward); the rollout skips its policy forward"
              : "rl: old log-probs: from the rollout's policy forward");
          said = reuse;
        }
        Rollout r = sampler.sample(batch, cfg.seed() * 1_000_033L + rollout, !reuse);
        ExperienceMaker.Made made = ExperienceMaker.make(algorithm, r, coef, cfg.missingEosPenalty());
        Map<String, Double> rm = new LinkedHashMap<>(made.metrics());
        rm.put("rollout", (double) rollout);
        rolloutMetrics.add(rm);
        objective.setPolicyUpdates(policyUpdates);
        objective.takeUpdateLogProbs();   // nothing left from elsewhere
        trainOn(s, made.experiences(), rollout, rm, steps, log, maxSteps, r.hasLogProbs() ? null : r, coef);
        kl = kl.update(rm.get("objective/kl"), r.size());
        rollout++;
        long now = s.steps();
        boolean end = now >= maxSteps;
        if (log != null && !evalPrompts.isEmpty() && (end || crossed(before, now, evalSteps))) {
          log.write(evaluate(now, evals));
        }
        if (s.checkpoints() && (end || crossed(before, now, cfg.saveSteps()))) {
          s.checkpoint(state(rollout, kl));
          onDisk = now;
        }
      }
      if (stopped && s.checkpoints() && s.steps() != onDisk && StopSignal.checkpointOnStop()) {
        s.checkpoint(state(rollout, kl));
      }
      if (log != null) {
        log.close();
        plot();
      }
      return new Result(steps, rolloutMetrics, kl, stopped, evals);
    }
  }

  /** The passes over one rollout's experiences. */
  /**
   * @param unsampled the rollout when its policy log-probs were skipped (its KL figures in {@code rm} are
   *     completed from the one step's log-probs), else null
   */
  private void trainOn(TrainingSession<Experience, RlObjective.Batch> s, List<Experience> exps, long rollout,
      Map<String, Double> rm, List<StepMetrics> steps, MetricsLog log, long maxSteps, Rollout unsampled, double coef)
      throws IOException {
    int n = exps.size();
    int per = cfg.rowsPerStep(n);
    int stepsPerPass = cfg.stepsPerPass(n);
    for (int epoch = 0; epoch < cfg.epochs(); epoch++) {
      int[] perm = permutation(n, new SplittableRandom(cfg.seed() ^ (rollout * 0x9E3779B97F4A7C15L + epoch * 7919L)));
      for (int mb = 0; mb < stepsPerPass; mb++) {
        int from = mb * per;
        int to = mb == stepsPerPass - 1 ? n : Math.min(n, from + per);
        if (from >= to) {
          continue;
        }
        List<List<Experience>> micro = new ArrayList<>();
        for (int k = from; k < to; k += cfg.microBatchSize()) {
          List<Experience> mbRows = new ArrayList<>();
          for (int j = k; j < Math.min(to, k + cfg.microBatchSize()); j++) {
            mbRows.add(exps.get(perm[j]));
          }
          micro.add(mbRows);
        }
        StepMetrics m = s.step(micro);
        if (unsampled != null) {
          ExperienceMaker.completeKl(rm, unsampled, updateLogProbs(exps), coef);
        }
        Map<String, Double> all = new LinkedHashMap<>(m.metrics());
        all.putAll(rm);
        all.put("epoch", (double) epoch);
        StepMetrics row = new StepMetrics(m.step(), m.loss(), m.lr(), m.gradNorm(), m.count(), m.tokensPerSecond(), all);
        steps.add(row);
        if (log != null) {
          log.step(row, objective.countName());
        }
        // one plain line per step: these steps are seconds to minutes apart
        System.err.printf("rl step %d/%d  rollout %d epoch %d  loss %.4f  score %.4f  kl %.4f  grad_norm %.4f  rss %d MiB%n",
            m.step(), maxSteps, rollout, epoch, m.loss(), rm.get("objective/scores"), rm.get("objective/kl"), m.gradNorm(),
            MetricsLog.rssMib());
        Double approx = m.metrics().get("policy/approxkl");
        if (s.steps() >= maxSteps || (approx != null && approx > cfg.klStopLimit())) {
          return;
        }
      }
    }
  }

  /** The log-probs the one update computed for {@code exps}, in their order. */
  private double[][] updateLogProbs(List<Experience> exps) {
    Map<Experience, double[]> got = objective.takeUpdateLogProbs();
    double[][] out = new double[exps.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = got.get(exps.get(i));
      if (out[i] == null) {
        throw new IllegalStateException("the update computed no log-probs for rollout row " + i
            + " (its old log-probs were left to the update)");
      }
    }
    return out;
  }

  private double klCoefficient(KlController kl) {
    if (algorithm instanceof Algorithm.Grpo g) {
      return g.loss().beta();
    }
    if (algorithm instanceof Algorithm.Rloo r) {
      return r.beta();
    }
    return kl.value();
  }

  /** Prompts of rollout {@code k}: positions {@code [k P, (k+1) P)} of a seeded permutation per pass. */
  private List<RlPrompt> promptsOf(List<RlPrompt> prompts, long k) {
    int size = prompts.size();
    List<RlPrompt> out = new ArrayList<>();
    int[] perm = null;
    long cached = -1;
    for (long p = k * cfg.promptsPerRollout(); p < (k + 1) * cfg.promptsPerRollout(); p++) {
      long pass = p / size;
      if (pass != cached) {
        perm = permutation(size, new SplittableRandom(cfg.seed() * 31 + pass));
        cached = pass;
      }
      out.add(prompts.get(perm[(int) (p % size)]));
    }
    return out;
  }

  static int[] permutation(int n, SplittableRandom r) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    return perm;
  }

  private static boolean crossed(long before, long now, long every) {
    return every > 0 && now / every > before / every;
  }

  private static ObjectNode state(long rollouts, KlController kl) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("rollouts", rollouts);
    o.set("kl", KlState.toJson(kl));
    return o;
  }

  /** Greedy completions of the eval prompts under the policy, scored; {@code [step, score]} added to evals. */
  private ObjectNode evaluate(long step, List<double[]> evals) {
    List<long[]> ids = new ArrayList<>();
    evalPrompts.forEach(p -> ids.add(p.ids()));
    GenerationConfig g = GenerationConfig.greedy(sampler.config().maxNewTokens(), sampler.config().eosIds())
        .withPadId(sampler.config().padId());
    List<Completion> outs = new ArrayList<>();
    boolean training = roles.peft().state().training();
    roles.peft().state().setTraining(false);
    try (AdapterScope a = roles.usePolicy()) {
      int bs = sampler.config().batchSize();
      for (int i = 0; i < ids.size(); i += bs) {
        outs.addAll(new Generator(roles.peft().model()).generate(ids.subList(i, Math.min(ids.size(), i + bs)), g, null));
      }
    } finally {
      roles.peft().state().setTraining(training);
    }
    List<Scorer.Sample> samples = new ArrayList<>();
    for (int i = 0; i < outs.size(); i++) {
      long[] c = outs.get(i).tokens();
      samples.add(new Scorer.Sample(evalPrompts.get(i), c, decoder == null ? "" : decoder.apply(c),
          outs.get(i).reason() == FinishReason.EOS));
    }
    ObjectNode row = JsonNodeFactory.instance.objectNode();
    row.put("step", step);
    if (evalScorer != null) {
      double sum = 0;
      int n = 0;
      for (double v : evalScorer.score(samples)) {
        if (!Double.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      double score = n == 0 ? Double.NaN : sum / n;
      row.put("eval/score", score);
      evals.add(new double[] {step, score});
    }
    ArrayNode arr = row.putArray("samples");
    for (int i = 0; i < Math.min(2, samples.size()); i++) {
      arr.add(samples.get(i).prompt().text() + " => " + samples.get(i).completion());
    }
    return row;
  }

  private void plot() throws IOException {
    Path metrics = out.resolve("metrics.jsonl");
    if (!Files.exists(metrics)) {
      return;
    }
    CurvePlot.plot(metrics, "objective/rlhf_reward", "eval/score", out.resolve("reward.png"));
    CurvePlot.plot(metrics, "objective/kl", null, out.resolve("kl.png"));
  }
}
