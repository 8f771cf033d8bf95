package dev.align4j.recipes.bench;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.MetricsLog;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingSession;
import dev.align4j.reward.RewardModel;
import dev.align4j.rl.advantage.AdvantageEstimator;
import dev.align4j.rl.advantage.ScaleRewards;
import dev.align4j.rl.kl.KlEstimator;
import dev.align4j.rl.loss.GrpoLossConfig;
import dev.align4j.rl.loss.ImportanceSamplingLevel;
import dev.align4j.rl.loss.LossAggregation;
import dev.align4j.rl.loss.LossReduction;
import dev.align4j.rl.loss.PolicyLossConfig;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.reward.RewardFunction;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RewardScorer;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.Rollout;
import dev.align4j.rl.rollout.RolloutConfig;
import dev.align4j.rl.rollout.RolloutSampler;
import dev.align4j.rl.rollout.Scorer;
import dev.align4j.rl.train.Algorithm;
import dev.align4j.rl.train.Experience;
import dev.align4j.rl.train.ExperienceMaker;
import dev.align4j.rl.train.RlObjective;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One RL step of {@code align4j grpo|ppo} measured in this process: a rollout (sampling on the device,
 * the teacher-forced policy, reference and value forwards, the scores) and one update over all its rows
 * (micro-batches, one optimizer step), on a model directory written by {@code align4j tiny}. Each phase's
 * wall time and peak RSS are recorded: the peak by resetting the kernel's high-water mark ({@code
 * /proc/self/clear_refs}) when a phase starts and reading {@code VmHWM} when it ends, so a phase's peak
 * is the largest RSS inside it. GRPO scores with a rule reward (the same function as {@code
 * bench/grpo_step_trl.py}); PPO with a reward-model adapter (random LoRA plus score head) on the same
 * base, a value adapter and head, and GAE, as {@code align4j ppo} with {@code reward_model}.
 */
public final class RlBenchmark {
  /** Which update. */
  public enum Algo { GRPO, PPO }

  /**
   * What to run.
   *
   * @param promptsPerStep prompts per rollout (each sampled {@code numGenerations} times)
   * @param microBatch rows per forward/backward of the update and per rollout chunk
   * @param beta GRPO's k3 coefficient (PPO's per-token KL coefficient)
   * @param separateOldLogProbs compute the old log-probs by the rollout's own policy forward also where
   *     the update's stand in ({@code RlLoop}'s rule: one step per rollout, no KL in the reward)
   * @param jointBackward PPO: one backward after both the policy and the value forward (the old path)
   *     instead of the policy term's backward before the value forward
   * @param checkpointing activation checkpointing in the update ({@code gradient_checkpointing})
   */
  public record Settings(Path modelDir, Path promptsFile, Algo algo, int promptsPerStep, int numGenerations,
      int maxNewTokens, int microBatch, double beta, int warmup, int steps, boolean separateOldLogProbs,
      boolean jointBackward, boolean checkpointing) {
    /** Validates. */
    public Settings {
      if (promptsPerStep < 1 || numGenerations < 1 || maxNewTokens < 1 || microBatch < 1 || warmup < 0 || steps < 1) {
        throw new IllegalArgumentException("bench rl: prompts, generations, new tokens, micro-batch and steps must be "
            + ">= 1, warm-up >= 0");
      }
    }

    /** Rows per rollout. */
    public int rows() {
      return promptsPerStep * numGenerations;
    }
  }

  /** Wall and process CPU time (means over the measured steps) and peak RSS (over every step) of one phase. */
  public record PhaseStat(double wallMs, double cpuMs, long peakRssMiB) {}

  /**
   * One measured run.
   *
   * @param genTokensPerSec generated tokens per second of sampling (measured steps)
   * @param stepMs mean wall time of a whole step (rollout and update)
   * @param cpuMs mean process CPU time of a step (every thread)
   * @param setupRssMiB RSS with the base and the adapters loaded
   * @param peakRssMiB VmHWM over the run (set-up included)
   */
  public record Row(Settings settings, double genTokensPerSec, double stepMs, double cpuMs, double meanCompletion,
      long setupRssMiB, long peakRssMiB, Map<String, PhaseStat> phases, Map<String, long[]> firstStep, long trainable,
      double loss) {}

  private RlBenchmark() {}

  /** The rule reward of both sides: completion length in characters over 100, capped at 1. */
  static final RewardFunction LENGTH_REWARD = new RewardFunction() {
    @Override
    public Double score(dev.align4j.rl.reward.RewardInput in) {
      return Math.min(1.0, in.completion().length() / 100.0);
    }

    @Override
    public String name() {
      return "length";
    }
  };

  /** Runs {@code warmup + steps} steps here. */
  public static Row run(Settings s) throws IOException {
    Torch.engine();
    PhaseClock clock = new PhaseClock();
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(s.modelDir(), Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(s.modelDir())) {
      CausalLM model = pm.model();
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      List<RlPrompt> prompts = PromptDataset.read(s.promptsFile(), tok, null);
      if (prompts.size() < s.promptsPerStep()) {
        throw new IllegalArgumentException(s.promptsFile() + ": " + prompts.size() + " prompts, need " + s.promptsPerStep());
      }
      PeftModel peft = new PeftModel(model);
      LoraConfig lora = LoraConfig.of(16, 32, "all-linear");
      peft.addLora("policy", lora, 0);
      Scorer scorer;
      String value = null;
      Algorithm alg;
      if (s.algo() == Algo.PPO) {
        peft.addLora("reward", lora, 3);
        peft.addScoreHead("reward", 1, 4);
        RewardModel rm = RewardModel.ofAdapter(peft, "reward", pad);
        scorer = samples -> rm.score(sequences(samples), s.microBatch());
        peft.addLora("value", lora, 1);
        peft.addScoreHead("value", 1, 2);
        value = "value";
        peft.setTrainable("policy", "value");
        alg = new Algorithm.Ppo(AdvantageEstimator.GAE, 1, 1.0, 0.95, KlEstimator.K1, null,
            new PolicyLossConfig(0.2, 0.2, null, LossReduction.TOKEN_MEAN, false),
            new ValueLoss.Config(0.2, LossReduction.TOKEN_MEAN), 0.1, 0);
      } else {
        scorer = new RewardScorer(List.of(LENGTH_REWARD), new double[] {1.0}, null);
        peft.setTrainable("policy");
        alg = new Algorithm.Grpo(s.numGenerations(), ScaleRewards.GROUP, new GrpoLossConfig(LossAggregation.DAPO, 0.2,
            0.2, null, s.beta(), true, ImportanceSamplingLevel.TOKEN, s.maxNewTokens()));
      }
      peft.state().setTraining(true);
      PolicyRoles roles = new PolicyRoles(peft, "policy", null, value);
      RolloutConfig rc = new RolloutConfig(s.algo() == Algo.PPO ? 1 : s.numGenerations(), s.maxNewTokens(), 1.0, 0, 1.0,
          s.microBatch(), tok.eosIds(), pad);
      RolloutSampler sampler = new RolloutSampler(roles, rc, scorer, ids -> tok.decode(ids, true));
      sampler.onPhase(clock);
      RlObjective objective = new RlObjective(roles, alg, 1.0, pad);
      objective.setSplitBackward(!s.jointBackward());
      objective.setActivationCheckpointing(s.checkpointing());
      // one optimizer step per rollout: the update's log-probs stand in where RlLoop would let them
      boolean reuse = !s.separateOldLogProbs() && !alg.rewardUsesPolicyLogProbs(s.beta());
      long trainable = peft.trainableParameters().stream().mapToLong(p -> p.shape().size()).sum();
      long setupRss = MetricsLog.rssMib();
      long setupPeak = MetricsLog.peakRssMib();   // before the phase clock first resets the high-water mark
      int total = s.warmup() + s.steps();
      TrainerConfig tc = TrainerConfig.of(total, s.microBatch(), 1);
      double wall = 0;
      double cpu = 0;
      double tokens = 0;
      double loss = Double.NaN;
      int perStep = s.algo() == Algo.PPO ? s.rows() : s.promptsPerStep();
      try (TrainingSession<Experience, RlObjective.Batch> session =
          new Trainer(model, peft.trainableParameters(), tc, x -> 1e-5, null).open(objective)) {
        for (int step = 0; step < total; step++) {
          clock.measuring(step >= s.warmup(), step == 0);
          List<RlPrompt> batch = new ArrayList<>();
          for (int i = 0; i < perStep; i++) {
            batch.add(prompts.get((step * perStep + i) % prompts.size()));
          }
          long c0 = PreferenceBenchmark.processCpuNanos();
          long t0 = System.nanoTime();
          Rollout r = sampler.sample(batch, 1000 + step, !reuse);
          clock.accept("experience");
          ExperienceMaker.Made made = ExperienceMaker.make(alg, r, s.beta(), 0.0);   // as RlLoop: GRPO's beta, PPO's kl_coef
          List<List<Experience>> micro = new ArrayList<>();
          List<Experience> exps = made.experiences();
          for (int k = 0; k < exps.size(); k += s.microBatch()) {
            micro.add(exps.subList(k, Math.min(exps.size(), k + s.microBatch())));
          }
          clock.accept("update");
          loss = session.step(micro).loss();
          clock.accept("done");
          if (step >= s.warmup()) {
            wall += (System.nanoTime() - t0) / 1e6;
            cpu += (PreferenceBenchmark.processCpuNanos() - c0) / 1e6;
            for (long[] c : r.completions()) {
              tokens += c.length;
            }
          }
        }
      }
      Map<String, PhaseStat> phases = clock.stats(s.steps());
      double genMs = phases.containsKey("generate") ? phases.get("generate").wallMs() * s.steps() : Double.NaN;
      long peak = Math.max(setupPeak, phases.values().stream().mapToLong(PhaseStat::peakRssMiB).max().orElse(0));
      return new Row(s, tokens / (genMs / 1000), wall / s.steps(), cpu / s.steps(), tokens / s.steps() / s.rows(),
          setupRss, peak, phases, clock.firstStep(), trainable, loss);
    }
  }

  private static List<long[]> sequences(List<Scorer.Sample> samples) {
    List<long[]> seqs = new ArrayList<>();
    for (Scorer.Sample x : samples) {
      long[] p = x.prompt().ids();
      long[] c = x.completionIds();
      long[] ids = new long[p.length + c.length];
      System.arraycopy(p, 0, ids, 0, p.length);
      System.arraycopy(c, 0, ids, p.length, c.length);
      seqs.add(ids);
    }
    return seqs;
  }

  /**
   * Time and peak RSS per named phase: each {@link #accept} ends the running phase (its wall time
   * summed, VmHWM read) and starts the next one with the high-water mark reset to the current RSS.
   */
  static final class PhaseClock implements Consumer<String> {
    private final Map<String, double[]> wall = new LinkedHashMap<>();
    private final Map<String, double[]> cpu = new LinkedHashMap<>();
    private long c0;
    private final Map<String, Long> peak = new LinkedHashMap<>();
    private final Map<String, long[]> first = new LinkedHashMap<>();
    private String current;
    private long t0;
    private long startRss;
    private boolean measuring;
    private boolean firstStep;

    void measuring(boolean on, boolean isFirstStep) {
      measuring = on;
      firstStep = isFirstStep;
    }

    /** The first step's phases: RSS when each started and its peak, MiB (where glibc has kept nothing yet). */
    Map<String, long[]> firstStep() {
      return first;
    }

    @Override
    public void accept(String next) {
      long now = System.nanoTime();
      if (current != null) {
        long hwm = MetricsLog.peakRssMib();
        peak.merge(current, hwm, Math::max);
        if (firstStep) {
          first.merge(current, new long[] {startRss, hwm}, (a, b) -> new long[] {a[0], Math.max(a[1], b[1])});
        }
        if (measuring) {
          wall.computeIfAbsent(current, k -> new double[1])[0] += (now - t0) / 1e6;
          cpu.computeIfAbsent(current, k -> new double[1])[0] += (PreferenceBenchmark.processCpuNanos() - c0) / 1e6;
        }
      }
      current = next.equals("done") ? null : next;
      resetPeak();
      startRss = MetricsLog.rssMib();
      c0 = PreferenceBenchmark.processCpuNanos();
      t0 = System.nanoTime();
    }

    Map<String, PhaseStat> stats(int steps) {
      Map<String, PhaseStat> out = new LinkedHashMap<>();
      for (Map.Entry<String, Long> e : peak.entrySet()) {
        double[] w = wall.get(e.getKey());
        double[] c = cpu.get(e.getKey());
        out.put(e.getKey(), new PhaseStat(w == null ? 0 : w[0] / steps, c == null ? 0 : c[0] / steps, e.getValue()));
      }
      return out;
    }

    /** Resets VmHWM to the current RSS (Linux 4.0+; silently nothing elsewhere). */
    static void resetPeak() {
      try {
        Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      } catch (IOException | RuntimeException e) {
        // not Linux, or not allowed: phases then report the running peak
      }
    }
  }
}
