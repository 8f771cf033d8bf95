package dev.align4j.rl.rollout;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import dev.align4j.peft.model.LayeredForward;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.FinishReason;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.CausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Makes {@link Rollout}s on one base model: the policy adapter samples (KV-cached, finished rows
 * leave the batch), then teacher-forced forwards over prompt + completion give the policy's and the
 * reference's log-probs of the sampled tokens (under the sampling temperature, as TRL computes them)
 * and the critic's values, and the scorer gives rewards. Nothing runs with autograd, and adapter
 * dropout is off while sampling and scoring.
 *
 * <p>The policy's log-probs come from a full forward rather than from the decoding steps so that
 * they are computed exactly as the training forward computes them (the first PPO ratio is 1 up to
 * batch layout), whatever top-k/top-p filtering the sampling used.
 */
public final class RolloutSampler {
  private final PolicyRoles roles;
  private final RolloutConfig cfg;
  private final Scorer scorer;
  private final Function<long[], String> decoder;
  private Consumer<String> phases = p -> {};

  /**
   * @param decoder completion ids to text (for the scorer and for logging)
   */
  public RolloutSampler(PolicyRoles roles, RolloutConfig cfg, Scorer scorer, Function<long[], String> decoder) {
    this.roles = roles;
    this.cfg = cfg;
    this.scorer = scorer;
    this.decoder = decoder;
  }

  /**
   * Reports each phase as it starts ({@code generate}, then per scoring micro-batch {@code policy} (unless skipped),
   * {@code reference}, {@code value}, then {@code score} and {@code done}): the hook that {@code align4j
   * bench rl} measures time and peak memory per phase with. Default: none.
   */
  public void onPhase(Consumer<String> listener) {
    this.phases = listener == null ? p -> {} : listener;
  }

  /** The configuration. */
  public RolloutConfig config() {
    return cfg;
  }

  /**
   * One rollout over {@code prompts}, each repeated {@code numGenerations} times in a row.
   *
   * @param seed the sampling seed (a pure function of the run's seed and the rollout's number, so a
   *     resumed run samples what the uninterrupted one did)
   */
  public Rollout sample(List<RlPrompt> prompts, long seed) {
    return sample(prompts, seed, true);
  }

  /**
   * One rollout, with or without the policy's own teacher-forced forward.
   *
   * @param policyLogProbs false skips the policy forward ({@link Rollout#logProbs} null): when the
   *     rollout feeds exactly one optimizer step, the policy at update time is the sampling policy, so
   *     the update's detached log-probs are the old ones (TRL's {@code per_token_logps.detach()} when
   *     {@code num_iterations == 1} and one generation batch per step)
   */
  public Rollout sample(List<RlPrompt> prompts, long seed, boolean policyLogProbs) {
    List<RlPrompt> rows = new ArrayList<>();
    int[] group = new int[prompts.size() * cfg.numGenerations()];
    for (int i = 0; i < prompts.size(); i++) {
      for (int g = 0; g < cfg.numGenerations(); g++) {
        group[rows.size()] = i;
        rows.add(prompts.get(i));
      }
    }
    CausalLM model = roles.peft().model();
    boolean training = roles.peft().state().training();
    roles.peft().state().setTraining(false);
    try {
      phases.accept("generate");
      List<Completion> outs = generate(model, rows, seed);
      int b = rows.size();
      int t = 1;
      for (Completion c : outs) {
        t = Math.max(t, c.tokens().length);
      }
      double[][] mask = new double[b][t];
      double[][] lp = policyLogProbs ? new double[b][] : null;
      double[][] ref = new double[b][];
      double[][] values = roles.hasValue() ? new double[b][] : null;
      List<long[]> comps = new ArrayList<>();
      List<String> texts = new ArrayList<>();
      boolean[] eos = new boolean[b];
      for (int i = 0; i < b; i++) {
        long[] c = outs.get(i).tokens();
        comps.add(c);
        texts.add(decoder == null ? "" : decoder.apply(c));
        eos[i] = outs.get(i).reason() == FinishReason.EOS;
        for (int j = 0; j < c.length; j++) {
          mask[i][j] = 1;
        }
      }
      for (int s = 0; s < b; s += cfg.batchSize()) {
        int e = Math.min(b, s + cfg.batchSize());
        forwards(model, rows.subList(s, e), comps.subList(s, e), t, s, lp, ref, values);
      }
      List<Scorer.Sample> samples = new ArrayList<>();
      for (int i = 0; i < b; i++) {
        samples.add(new Scorer.Sample(rows.get(i), comps.get(i), texts.get(i), eos[i]));
      }
      phases.accept("score");
      double[] scores = scorer.score(samples);
      phases.accept("done");
      if (scores.length != b) {
        throw new IllegalStateException("the scorer returned " + scores.length + " scores for " + b + " samples");
      }
      return new Rollout(rows, group, comps, texts, eos, mask, lp, ref, values, scores);
    } finally {
      roles.peft().state().setTraining(training);
    }
  }

  private List<Completion> generate(CausalLM model, List<RlPrompt> rows, long seed) {
    List<Completion> out = new ArrayList<>();
    for (int s = 0; s < rows.size(); s += cfg.batchSize()) {
      List<long[]> prompts = new ArrayList<>();
      for (RlPrompt p : rows.subList(s, Math.min(rows.size(), s + cfg.batchSize()))) {
        prompts.add(p.ids());
      }
      // each chunk its own seed; rows draw from their own streams within it
      GenerationConfig g = GenerationConfig.sampling(cfg.maxNewTokens(), cfg.temperature(), cfg.topK(), cfg.topP(),
          seed * 1_000_003L + s, cfg.eosIds()).withPadId(cfg.padId());
      try (AdapterScope a = roles.usePolicy()) {
        out.addAll(new Generator(model).generate(prompts, g, null));
      }
    }
    return out;
  }

  /**
   * Policy (when lp is not null) and reference log-probs and values of rows {@code [off, off + n)}, padded to width t. No
   * autograd; each forward's arrays are freed before the next one starts (and each layer's inside it,
   * {@link LayeredForward}), and the log-probs come a few rows at a time ({@link TokenStats}).
   */
  private void forwards(CausalLM model, List<RlPrompt> rows, List<long[]> comps, int t, int off, double[][] lp,
      double[][] ref, double[][] values) {
    List<long[]> prompts = new ArrayList<>();
    rows.forEach(r -> prompts.add(r.ids()));
    try (NDManager m = model.manager().newSubManager()) {
      PolicySequences seq = PolicySequences.of(m, prompts, comps, cfg.padId());
      if (lp != null) {
        phases.accept("policy");
        try (AdapterScope a = roles.usePolicy(); NDScope s = new NDScope()) {
          NDArray h = LayeredForward.hiddenStates(model, seq.input());            // [n, P+T', H]
          copyRows(logProbs(model, seq, h), comps, t, off, lp);
        }
      }
      phases.accept("reference");
      try (AdapterScope a = roles.useReference(); NDScope s = new NDScope()) {
        NDArray h = LayeredForward.hiddenStates(model, seq.input());
        copyRows(logProbs(model, seq, h), comps, t, off, ref);
      }
      if (values != null) {
        phases.accept("value");
        try (AdapterScope a = roles.useValue(); NDScope s = new NDScope()) {
          NDArray h = LayeredForward.hiddenStates(model, seq.input());
          copyRows(LayeredForward.noGrad(() -> seq.completionValues(roles.valueHead(), h)), comps, t, off, values);
        }
      }
    }
  }

  private NDArray logProbs(CausalLM model, PolicySequences seq, NDArray h) {
    return LayeredForward.noGrad(() -> seq.tokenStats(model, h, cfg.temperature(), false).logProbs()); // [n, T']
  }

  /** {@code x [n, T']} to rows {@code off..off+n} of {@code into}, width t, zero past each completion. */
  private static void copyRows(NDArray x, List<long[]> comps, int t, int off, double[][] into) {
    int w = (int) x.getShape().get(1);
    double[] v = x.toType(DataType.FLOAT64, false).toDoubleArray();
    for (int i = 0; i < comps.size(); i++) {
      double[] row = new double[t];
      for (int j = 0; j < comps.get(i).length; j++) {
        row[j] = v[i * w + j];
      }
      into[off + i] = row;
    }
  }
}
