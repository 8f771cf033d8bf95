package dev.align4j.peft.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongToDoubleFunction;

/**
 * A training run driven step by step: it holds the optimizer and the step counter, and each {@link
 * #step} takes the micro-batches of one effective batch and does accumulation (every micro-batch's
 * loss sum divided by the effective batch's total count), clipping and the AdamW update. The caller
 * chooses the data of each step: a fixed dataset ({@link Trainer#train}), or rollouts generated
 * between steps (PPO: several epochs of minibatches over one rollout), and saves what it needs to
 * resume in {@link #checkpoint}'s extra state.
 *
 * <p>Opened by {@link Trainer#open}, which resumes from the newest checkpoint in the run directory.
 *
 * @param <E> one training example
 * @param <B> the objective's collated batch
 */
public final class TrainingSession<E, B> implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final CausalLM model;
  private final List<Parameter> params;
  private final TrainerConfig cfg;
  private final LongToDoubleFunction lr;
  private final Path runDir;
  private final Objective<E, B> objective;
  private final AdamW opt;
  private final ObjectNode extraState;
  private long step;
  private DataOrder order;
  private int orderSize;

  TrainingSession(CausalLM model, List<Parameter> params, TrainerConfig cfg, LongToDoubleFunction lr, Path runDir,
      Objective<E, B> objective) throws IOException {
    this.model = model;
    this.params = params;
    this.cfg = cfg;
    this.lr = lr;
    this.runDir = runDir;
    this.objective = objective;
    this.opt = new AdamW(params, model.manager(), cfg.beta1(), cfg.beta2(), cfg.eps(), cfg.weightDecay());
    ObjectNode extra = null;
    try {
      Optional<Path> resume = runDir == null ? Optional.empty() : TrainingCheckpoint.latest(runDir);
      if (resume.isPresent()) {
        ObjectNode saved = TrainingCheckpoint.load(resume.get(), params, opt);
        requireSameRun(saved, resume.get());
        step = saved.path("step").asLong();
        JsonNode e = saved.get("extra");
        extra = e != null && e.isObject() ? (ObjectNode) e : null;
      }
    } catch (IOException | RuntimeException e) {
      opt.close();
      throw e;
    }
    this.extraState = extra;
  }

  /** Optimizer steps taken so far (including those of the run resumed from). */
  public long steps() {
    return step;
  }

  /** The configuration. */
  public TrainerConfig config() {
    return cfg;
  }

  /** The extra state saved with the checkpoint this session resumed from, if any. */
  public Optional<ObjectNode> resumedState() {
    return Optional.ofNullable(extraState).map(ObjectNode::deepCopy);
  }

  /**
   * The micro-batches of the next step over a fixed dataset: {@code gradAccumSteps} lists of {@code
   * microBatchSize} examples, in the seeded order (a pure function of the seed and the step, so a
   * resumed run sees what the uninterrupted one would have).
   */
  public List<List<E>> nextMicroBatches(List<E> data) {
    if (order == null || orderSize != data.size()) {
      order = new DataOrder(data.size(), cfg.seed());
      orderSize = data.size();
    }
    List<Integer> idx = order.take(step * cfg.examplesPerStep(), cfg.examplesPerStep());
    List<List<E>> micro = new ArrayList<>();
    for (int i = 0; i < cfg.gradAccumSteps(); i++) {
      List<E> mb = new ArrayList<>();
      for (int j = 0; j < cfg.microBatchSize(); j++) {
        mb.add(data.get(idx.get(i * cfg.microBatchSize() + j)));
      }
      micro.add(mb);
    }
    return micro;
  }

  /**
   * One optimizer step over an effective batch given as micro-batches (any number, any sizes): the
   * loss sums are divided by the total count of all of them, gradients accumulate, are clipped to
   * {@code maxGradNorm}, and AdamW updates. An effective batch with count 0 skips the update (never a
   * NaN loss) and says so.
   */
  public StepMetrics step(List<List<E>> microBatches) {
    long t0 = System.nanoTime();
    // dropout draws from the engine's generator: reseed per step so a resumed run draws the same
    Engine.getInstance().setRandomSeed((int) (cfg.seed() * 31 + step));
    long count = 0;
    for (List<E> mb : microBatches) {
      count += objective.count(mb);
    }
    double lossSum = 0;
    Map<String, Double> metricSums = new LinkedHashMap<>();
    Map<String, Double> extremes = new LinkedHashMap<>();
    long tokens = 0;
    // zero_grad(set_to_none=True) as torch: what a step's backward does not reach has no gradient, and
    // AdamW skips it (normally a no-op here, the previous step released every gradient)
    Gradients.release(params);
    if (count > 0) {
      for (int k = 0; k < microBatches.size(); k++) {
        List<E> mb = microBatches.get(k);
        try (NDManager s = model.manager().newSubManager();
            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
          B batch = objective.collate(s, mb);
          Objective.Loss loss;
          if (cfg.activationCheckpointing()) {
            loss = ActivationCheckpointing.backward(model, objective, batch, 1.0 / count,
                (cfg.seed() * 31 + step) * 64 + k);
          } else {
            loss = objective.lossAndBackward(model, batch, count, gc);
          }
          lossSum += value(loss.sum());
          loss.metrics().forEach((name, v) -> metricSums.merge(name, value(v), Double::sum));
          loss.minima().forEach((name, v) -> extremes.merge(name, value(v), Math::min));
          loss.maxima().forEach((name, v) -> extremes.merge(name, value(v), Math::max));
          tokens += objective.tokens(mb);
        }
      }
    }
    double norm = count > 0 ? Gradients.clipGlobalNorm(params, cfg.maxGradNorm()) : 0;
    double rate = lr.applyAsDouble(step);
    if (count > 0) {
      opt.step(rate);
    } else {
      // a batch with nothing to learn: skip the update (never a NaN loss), say so
      System.err.printf("align4j: warning: step %d has no trainable %s (all masked); update skipped%n", step + 1,
          objective.countName().replace('_', ' '));
      opt.setSteps(opt.steps() + 1);
    }
    // set to none, as torch's zero_grad: no gradient sits in memory through the next forward
    Gradients.release(params);
    step++;
    double secs = (System.nanoTime() - t0) / 1e9;
    Map<String, Double> means = new LinkedHashMap<>();
    long n = count;
    metricSums.forEach((name, v) -> means.put(name, v / n));
    means.putAll(extremes);
    return new StepMetrics(step, count > 0 ? lossSum / count : 0.0, rate, norm, count, tokens / secs, means);
  }

  /**
   * Writes {@code checkpoint-<steps>} (trainable weights, optimizer state, trainer state with {@code
   * extra} under the key {@code extra}) atomically into the run directory, keeping the last {@code
   * keepLast}; {@link Trainer#open} returns {@code extra} from {@link #resumedState}.
   *
   * @param extra the caller's state (data position of rollouts, early stopping, ...); may be null
   */
  public Path checkpoint(ObjectNode extra) throws IOException {
    if (runDir == null) {
      throw new IllegalStateException("this session has no run directory to checkpoint into");
    }
    ObjectNode s = JSON.createObjectNode();
    s.put("step", step);
    s.put("examples_seen", step * cfg.examplesPerStep());
    s.put("seed", cfg.seed());
    s.set("config", JSON.valueToTree(cfg));
    if (extra != null) {
      s.set("extra", extra);
    }
    return TrainingCheckpoint.save(runDir, step, params, opt, s, cfg.keepLast());
  }

  /** Whether this session writes checkpoints. */
  public boolean checkpoints() {
    return runDir != null;
  }

  private static double value(NDArray x) {
    return x.toType(DataType.FLOAT64, false).getDouble();
  }

  /** A checkpoint resumes only the run that wrote it (max_steps may grow); anything else is an error. */
  private void requireSameRun(ObjectNode saved, Path dir) {
    ObjectNode mine = JSON.valueToTree(cfg);
    ObjectNode theirs = saved.path("config").isObject() ? ((ObjectNode) saved.get("config")).deepCopy() : null;
    if (theirs != null) {
      theirs.remove("maxSteps");
      mine.remove("maxSteps");
      mine.remove("checkpointEvery");
      theirs.remove("checkpointEvery");
    }
    // compare as text: a long read back from JSON is an int node
    Comparator<JsonNode> byText = (x, y) -> x.asText().equals(y.asText()) ? 0 : 1;
    if (theirs == null || !theirs.equals(byText, mine)) {
      throw new IllegalArgumentException(dir + " was written by a run with another configuration (" + theirs
          + " vs " + mine + "); use a fresh output directory");
    }
  }

  @Override
  public void close() {
    opt.close();
  }
}
