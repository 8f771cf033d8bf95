package dev.align4j.rl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.train.ActivationCheckpointing;
import dev.align4j.peft.train.Objective;
import dev.align4j.rl.TokenArrays;
import dev.align4j.rl.loss.GrpoLoss;
import dev.align4j.rl.loss.GrpoLossInput;
import dev.align4j.rl.loss.GrpoLossResult;
import dev.align4j.rl.loss.LossReduction;
import dev.align4j.rl.loss.LossValue;
import dev.align4j.rl.loss.PolicyLoss;
import dev.align4j.rl.loss.PolicyLossInput;
import dev.align4j.rl.loss.PolicyLossResult;
import dev.align4j.rl.loss.RlooLoss;
import dev.align4j.rl.loss.ValueLoss;
import dev.align4j.rl.rollout.PolicyRoles;
import dev.align4j.rl.rollout.PolicySequences;
import dev.align4j.rl.rollout.TokenStats;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The update step of GRPO, RLOO and PPO on the engine: the policy forward (policy adapter) gives the
 * log-probs of the sampled tokens with autograd, the algorithm's loss is computed on the host in
 * float64 by {@link dev.align4j.rl.loss} together with its gradient in the log-probs (and, for PPO,
 * in the values of a second forward through the value adapter and head), and the loss handed to the
 * engine is {@code sum_t g_t logp_t} shifted to the loss's value: exactly the loss's gradient in every
 * parameter. The engine's count is the loss's units (tokens, sequences, or {@code B *
 * max_completion_length}), so gradient accumulation is exact; metric sums are weighted by the same
 * units.
 *
 * <p>An experience without old log-probs ({@link Experience#oldLogp} null: the rollout fed one
 * optimizer step and skipped its policy forward) takes this forward's log-probs without gradient as
 * the old ones, as TRL's {@code per_token_logps.detach()}; they are kept for {@link
 * #takeUpdateLogProbs} (the rollout's KL figures). With a critic, the engine's {@link
 * #lossAndBackward} back-propagates the policy term before the value forward runs, so the two forwards'
 * saved activations are never alive together (the adapters are disjoint: the gradients are the joint
 * backward's); with {@link #setActivationCheckpointing} each of those forwards is also checkpointed per
 * decoder layer.
 */
public final class RlObjective implements Objective<Experience, RlObjective.Batch> {
  /** A collated micro-batch: the forward's input and the host arrays padded to its width. */
  public record Batch(PolicySequences seq, List<Experience> rows, boolean[][] mask) {}

  private final PolicyRoles roles;
  private final Algorithm algorithm;
  private final double temperature;
  private final long padId;
  private boolean policyUpdates = true;
  private boolean splitBackward = true;
  private boolean checkpointing;
  private final Map<Experience, double[]> updateLogProbs = new IdentityHashMap<>();

  /**
   * @param temperature the sampling temperature (log-probs are of {@code logits / temperature})
   */
  public RlObjective(PolicyRoles roles, Algorithm algorithm, double temperature, long padId) {
    if (algorithm.needsCritic() && !roles.hasValue()) {
      throw new IllegalArgumentException(algorithm.getClass().getSimpleName() + " needs a value adapter");
    }
    this.roles = roles;
    this.algorithm = algorithm;
    this.temperature = temperature;
    this.padId = padId;
  }

  /** PPO's critic warm-up: while false, only the value loss is trained. */
  public void setPolicyUpdates(boolean on) {
    this.policyUpdates = on;
  }

  /**
   * Whether {@link #lossAndBackward} back-propagates PPO's policy term before the value forward (default)
   * or both terms at once after both forwards (the memory-hungrier path, kept for comparison).
   */
  public void setSplitBackward(boolean on) {
    this.splitBackward = on;
  }

  /**
   * Activation checkpointing in the update ({@code gradient_checkpointing}): each forward (policy, then
   * value) keeps one decoder layer's activations for backward instead of all of them, at the cost of
   * recomputing the forward; the engine's own checkpointing must stay off (it needs a single forward).
   */
  public void setActivationCheckpointing(boolean on) {
    this.checkpointing = on;
  }

  /**
   * The log-probs (without gradient, the completion's length) that the update computed for experiences
   * without old log-probs, since the last call; cleared.
   */
  public Map<Experience, double[]> takeUpdateLogProbs() {
    Map<Experience, double[]> out = new IdentityHashMap<>(updateLogProbs);
    updateLogProbs.clear();
    return out;
  }

  @Override
  public Batch collate(NDManager manager, List<Experience> examples) {
    List<long[]> prompts = new ArrayList<>();
    List<long[]> completions = new ArrayList<>();
    for (Experience e : examples) {
      prompts.add(e.prompt());
      completions.add(e.completion());
    }
    PolicySequences seq = PolicySequences.of(manager, prompts, completions, padId);
    return new Batch(seq, examples, mask(examples, seq.width()));
  }

  @Override
  public long count(List<Experience> examples) {
    if (algorithm instanceof Algorithm.Grpo g) {
      return Math.round(g.loss().aggregation().units(mask(examples, width(examples)), g.loss().maxCompletionLength()));
    }
    if (algorithm instanceof Algorithm.Ppo p && p.reduction() == LossReduction.TOKEN_MEAN) {
      return tokens(examples);
    }
    return examples.size();
  }

  @Override
  public String countName() {
    return algorithm instanceof Algorithm.Ppo p && p.reduction() == LossReduction.TOKEN_MEAN ? "tokens" : "units";
  }

  @Override
  public long tokens(List<Experience> examples) {
    long n = 0;
    for (Experience e : examples) {
      n += e.length();
    }
    return n;
  }

  @Override
  public Loss loss(CausalLM model, Batch batch) {
    return loss(model, batch, null);
  }

  @Override
  public Loss lossAndBackward(CausalLM model, Batch batch, long count, GradientCollector gc) {
    if (checkpointing) {
      return checkpointed(model, batch, count);
    }
    if (!splitBackward || !(policyTrains() && algorithm.needsCritic())) {
      return Objective.super.lossAndBackward(model, batch, count, gc);
    }
    Loss loss = loss(model, batch, x -> gc.backward(x.div(Kernels.scalar(x, count))));
    NDArray sum = loss.sum();                                                     // the value term's gradient
    gc.backward(sum.div(Kernels.scalar(sum, count)));
    return loss;
  }

  private boolean policyTrains() {
    return policyUpdates || !algorithm.needsCritic();
  }

  /** One forward's part of the loss: {@code sum(g * x)} (the gradient) and the loss value it stands for. */
  private record Term(NDArray surrogate, double value) {}

  /**
   * The loss; with {@code early} (a critic follows), the policy term is handed to it to back-propagate
   * before the value forward, and stays in the sum as a constant of the same value.
   */
  private Loss loss(CausalLM model, Batch batch, Consumer<NDArray> early) {
    Map<String, NDArray> metrics = new LinkedHashMap<>();
    NDArray total = null;
    double target = 0;
    if (policyTrains()) {
      Term pt;
      try (NDScope scope = new NDScope()) {
        try (AdapterScope a = roles.usePolicy()) {
          pt = policyTerm(model, batch, model.hiddenStates(batch.seq().input(), null), metrics);
        }
        total = pt.surrogate();
        if (early != null) {
          early.accept(total);                // frees this forward's saved activations
          total = total.stopGradient();
        }
        keep(total);
        metrics.values().forEach(NDScope::unregister);   // the metrics made inside outlive the forward
      }
      target += pt.value();
    }
    if (algorithm.needsCritic()) {
      Term vt;
      try (AdapterScope a = roles.useValue()) {
        vt = valueTerm(model, batch, model.hiddenStates(batch.seq().input(), null), metrics);
      }
      total = total == null ? vt.surrogate() : total.add(vt.surrogate());
      target += vt.value();
    }
    // the value is the loss's sum; the gradient is sum_t g_t d(input_t)
    double now = total.toType(DataType.FLOAT64, false).getDouble();
    return new Loss(total.add(Kernels.scalar(total, target - now)), metrics);
  }

  /**
   * The loss back-propagated one forward at a time, each forward under activation checkpointing ({@link
   * ActivationCheckpointing}: one decoder layer's activations alive instead of the whole forward's).
   * Dropout's seed is drawn from the engine's generator, which the session reseeds per step, so a
   * resumed run draws the same masks.
   */
  private Loss checkpointed(CausalLM model, Batch batch, long count) {
    NDManager m = batch.seq().completionIds().getManager();
    Map<String, NDArray> metrics = new LinkedHashMap<>();
    double target = 0;
    long seed = (long) (m.randomUniform(0f, 1f, new Shape(1)).toFloatArray()[0] * (1 << 24));
    double[] value = new double[1];
    if (policyTrains()) {
      try (AdapterScope a = roles.usePolicy()) {
        ActivationCheckpointing.backward(model, single(h -> policyTerm(model, batch, h, metrics), value), batch,
            1.0 / count, seed);
      }
      target += value[0];
    }
    if (algorithm.needsCritic()) {
      try (AdapterScope a = roles.useValue()) {
        ActivationCheckpointing.backward(model, single(h -> valueTerm(model, batch, h, metrics), value), batch,
            1.0 / count, seed + 1);
      }
      target += value[0];
    }
    return new Loss(m.create(target), metrics);
  }

  /** One forward's term as a single-forward objective, for {@link ActivationCheckpointing}. */
  private Objective<Experience, Batch> single(Function<NDArray, Term> term, double[] value) {
    return new Objective<>() {
      @Override
      public Batch collate(NDManager manager, List<Experience> examples) {
        return RlObjective.this.collate(manager, examples);
      }

      @Override
      public long count(List<Experience> examples) {
        return RlObjective.this.count(examples);
      }

      @Override
      public ModelInput input(Batch batch) {
        return batch.seq().input();
      }

      @Override
      public Loss lossFromHidden(CausalLM model, Batch batch, NDArray hidden) {
        Term t = term.apply(hidden);
        value[0] = t.value();
        return new Loss(t.surrogate());
      }
    };
  }

  /** The policy's term from the policy forward's final hidden states {@code h [B, L, H]}; its metrics. */
  private Term policyTerm(CausalLM model, Batch batch, NDArray h, Map<String, NDArray> metrics) {
    NDManager m = batch.seq().completionIds().getManager();
    boolean[][] mask = batch.mask();
    double units = count(batch.rows());
    // log-probs (with their gradient) and entropies a few rows at a time: no [B, T, V] logits
    TokenStats.Result st = batch.seq().tokenStats(model, h, temperature, true);
    NDArray logp = st.logProbs();                                                   // [B, T]
    double entropy = TokenArrays.maskedMean(host(st.entropy()), mask);
    metrics.put("objective/entropy", m.create(entropy * units));
    double[][] lp = host(logp);
    double[][] old = oldLogProbs(batch.rows(), lp);
    LossValue v = policyLoss(batch, lp, old, mask, units, metrics);
    metrics.put("loss/policy", m.create(v.sum()));
    metrics.put("val/ratio", m.create(meanRatio(lp, old, mask) * units));
    return new Term(surrogate(logp, v.gradSum()), v.sum());
  }

  /** PPO's value term from the value forward's final hidden states {@code h [B, L, H]}; its metrics. */
  private Term valueTerm(CausalLM model, Batch batch, NDArray h, Map<String, NDArray> metrics) {
    Algorithm.Ppo p = (Algorithm.Ppo) algorithm;
    NDManager m = batch.seq().completionIds().getManager();
    int t = batch.seq().width();
    double units = count(batch.rows());
    NDArray values = batch.seq().completionValues(roles.valueHead(), h);            // [B, T]
    ValueLoss.Result r = ValueLoss.compute(p.value(), host(values), padded(batch.rows(), t, Experience::oldValues),
        padded(batch.rows(), t, Experience::returns), batch.mask());
    metrics.put("loss/value", m.create(r.value().sum()));
    metrics.put("val/clipfrac", m.create(r.clipFraction() * units));
    double[][] g = scale(r.value().gradSum(), p.vfCoef());
    return new Term(surrogate(values, g), p.vfCoef() * r.value().sum());
  }

  /**
   * The old log-probs {@code [B][T]}: the experience's own, or (none sampled) this forward's {@code lp}
   * without gradient, also kept for {@link #takeUpdateLogProbs}; zero past each completion.
   */
  private double[][] oldLogProbs(List<Experience> rows, double[][] lp) {
    int t = lp.length == 0 ? 0 : lp[0].length;
    double[][] out = new double[rows.size()][t];
    for (int i = 0; i < rows.size(); i++) {
      Experience e = rows.get(i);
      double[] x = e.oldLogp();
      if (x == null) {
        x = Arrays.copyOf(lp[i], e.length());
        updateLogProbs.put(e, x.clone());
      }
      System.arraycopy(x, 0, out[i], 0, x.length);
    }
    return out;
  }

  private static NDArray keep(NDArray x) {
    NDScope.unregister(x);
    return x;
  }

  private LossValue policyLoss(Batch batch, double[][] lp, double[][] old, boolean[][] mask, double units,
      Map<String, NDArray> metrics) {
    NDManager m = batch.seq().completionIds().getManager();
    int t = batch.seq().width();
    List<Experience> rows = batch.rows();
    if (algorithm instanceof Algorithm.Grpo g) {
      double[][] ref = g.loss().beta() == 0 ? null : padded(rows, t, Experience::refLogp);
      GrpoLossResult r = GrpoLoss.compute(g.loss(), new GrpoLossInput(lp, old, ref, sequenceAdvantages(rows), mask));
      metrics.put("policy/clipfrac", m.create(r.clipRegion() * units));
      metrics.put("policy/approxkl", m.create(approxKl(lp, old, mask) * units));
      if (g.loss().beta() != 0) {
        metrics.put("kl", m.create(r.meanKl() * units));
      }
      if (!Double.isNaN(r.vespoPhiMean())) {
        metrics.put("vespo/phi_seq_mean", m.create(r.vespoPhiMean() * units));
      }
      return r.value();
    }
    if (algorithm instanceof Algorithm.Rloo r) {
      double[] oldSeq = new double[rows.size()];
      for (int i = 0; i < rows.size(); i++) {
        for (int j = 0; j < rows.get(i).length(); j++) {
          oldSeq[i] += old[i][j];
        }
      }
      RlooLoss.Result res = RlooLoss.compute(new RlooLoss.Input(lp, oldSeq, sequenceAdvantages(rows), mask),
          r.epsilonLow(), r.epsilonHigh());
      metrics.put("policy/clipfrac", m.create(res.clipRegion() * units));
      metrics.put("policy/approxkl", m.create(approxKl(lp, old, mask) * units));
      return res.value();
    }
    Algorithm.Ppo p = (Algorithm.Ppo) algorithm;
    PolicyLossResult r = PolicyLoss.compute(p.policy(),
        new PolicyLossInput(lp, old, padded(rows, t, Experience::advantages), mask));
    metrics.put("policy/clipfrac", m.create(r.clipFraction() * units));
    metrics.put("policy/approxkl", m.create(r.approxKl() * units));
    return r.value();
  }

  /** {@code sum(x * g)} with g a constant of x's dtype. */
  private static NDArray surrogate(NDArray x, double[][] g) {
    int b = g.length;
    int t = b == 0 ? 0 : g[0].length;
    double[] flat = new double[b * t];
    for (int i = 0; i < b; i++) {
      System.arraycopy(g[i], 0, flat, i * t, t);
    }
    NDArray ga = x.getManager().create(flat, new Shape(b, t)).toType(x.getDataType(), false);
    return x.mul(ga).sum();
  }

  private static double[] sequenceAdvantages(List<Experience> rows) {
    double[] a = new double[rows.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = rows.get(i).advantage();
    }
    return a;
  }

  /** Masked mean of {@code old - logp} (k1 of KL(old || new)), the {@code policy/approxkl} figure. */
  static double approxKl(double[][] lp, double[][] old, boolean[][] mask) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < lp.length; i++) {
      for (int j = 0; j < lp[i].length; j++) {
        if (mask[i][j]) {
          s += old[i][j] - lp[i][j];
          n++;
        }
      }
    }
    return n == 0 ? 0 : s / n;
  }

  private static double meanRatio(double[][] lp, double[][] old, boolean[][] mask) {
    double s = 0;
    int n = 0;
    for (int i = 0; i < lp.length; i++) {
      for (int j = 0; j < lp[i].length; j++) {
        if (mask[i][j]) {
          s += Math.exp(lp[i][j] - old[i][j]);
          n++;
        }
      }
    }
    return n == 0 ? 0 : s / n;
  }

  private static double[][] scale(double[][] g, double c) {
    double[][] out = new double[g.length][];
    for (int i = 0; i < g.length; i++) {
      out[i] = g[i].clone();
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] *= c;
      }
    }
    return out;
  }

  private static double[][] host(NDArray x) {
    int b = (int) x.getShape().get(0);
    int t = (int) x.getShape().get(1);
    double[] v = x.toType(DataType.FLOAT64, false).toDoubleArray();
    double[][] out = new double[b][t];
    for (int i = 0; i < b; i++) {
      System.arraycopy(v, i * t, out[i], 0, t);
    }
    return out;
  }

  private static double[][] padded(List<Experience> rows, int t, Function<Experience, double[]> f) {
    double[][] out = new double[rows.size()][t];
    for (int i = 0; i < rows.size(); i++) {
      double[] x = f.apply(rows.get(i));
      System.arraycopy(x, 0, out[i], 0, x.length);
    }
    return out;
  }

  private static int width(List<Experience> rows) {
    int t = 1;
    for (Experience e : rows) {
      t = Math.max(t, e.length());
    }
    return t;
  }

  private static boolean[][] mask(List<Experience> rows, int t) {
    boolean[][] out = new boolean[rows.size()][t];
    for (int i = 0; i < rows.size(); i++) {
      for (int j = 0; j < rows.get(i).length(); j++) {
        out[i][j] = true;
      }
    }
    return out;
  }
}
