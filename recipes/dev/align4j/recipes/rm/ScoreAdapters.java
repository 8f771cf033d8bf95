package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraAdapter;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.reward.RewardModel;
import dev.align4j.reward.RewardModelFiles;
import dev.align4j.reward.RewardStats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What {@code score} scores with: one reward model (a sequence-classification checkpoint, or a base
 * with one unnamed adapter, as before), or one loaded base carrying several named LoRA adapters, each
 * request scored under the adapter it names without reloading the base. A {@code SEQ_CLS} adapter (a
 * {@code score} head) gives rewards; a causal-LM adapter, and the base itself ({@code "adapter": null}),
 * give the log-probability of the completion given the prompt.
 */
final class ScoreAdapters implements AutoCloseable {
  /** How one adapter scores. */
  sealed interface Scorer {
    /** A reward model's score at the last non-pad token. */
    record Reward(RewardModel rm, Optional<RewardStats> stats) implements Scorer {}

    /** Sum of {@code log p(ids[t] | ids[<t])} over the completion's tokens under {@code scope}. */
    record LogProb(CausalLM model, Supplier<AdapterScope> scope) implements Scorer {}
  }

  /** One request's score: the value and, for log-probabilities, how many tokens it sums. */
  record Score(double value, int tokens) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, Scorer> scorers;   // by adapter name; key null: the base (every adapter off)
  private final String defaultName;
  private final boolean named;
  private final AutoCloseable owned;

  private ScoreAdapters(Map<String, Scorer> scorers, String defaultName, boolean named, AutoCloseable owned) {
    this.scorers = scorers;
    this.defaultName = defaultName;
    this.named = named;
    this.owned = owned;
  }

  /**
   * Loads {@code --model} with its {@code --adapter}s onto {@code m}. Without adapters, or with one
   * unnamed adapter and no {@code active}, this is {@link RmModelOptions#load} (a reward model alone).
   */
  static ScoreAdapters load(RmModelOptions o, String active, NDManager m) throws IOException {
    o.check();
    LinkedHashMap<String, Path> byName = o.byName();
    boolean named = byName.size() > 1 || o.adapters.stream().anyMatch(a -> a.indexOf('=') > 0);
    if (active != null && !byName.containsKey(active)) {
      throw new IllegalArgumentException("--active-adapter " + active + ": not one of " + byName.keySet());
    }
    if (!named) {
      Precision precision = Precision.parse(o.precision);
      if (byName.isEmpty() || !isCausal(byName.values().iterator().next())) {
        RewardModel rm = o.load(m);
        Map<String, Scorer> one = new LinkedHashMap<>();
        one.put(byName.isEmpty() ? null : "default", new Scorer.Reward(rm, rm.storedStats()));
        return new ScoreAdapters(one, one.keySet().iterator().next(), false, rm);
      }
      PretrainedModel pm = ModelLoader.load(o.model, precision, o.attention, m);
      return onBase(pm, o.model, byName, "default", false);
    }
    PretrainedModel pm = ModelLoader.load(o.model, Precision.parse(o.precision), o.attention, m);
    return onBase(pm, o.model, byName, active != null ? active : byName.keySet().iterator().next(), true);
  }

  /**
   * Whether an adapter folder holds a causal-LM adapter: its {@code adapter_config.json} says a
   * {@code task_type} other than {@code SEQ_CLS}. Without a readable config the reward-model loader
   * reports what is wrong.
   */
  private static boolean isCausal(Path dir) throws IOException {
    Path cfg = dir.resolve(PeftAdapterFiles.CONFIG);
    if (!Files.isRegularFile(cfg)) {
      return false;
    }
    JsonNode type;
    try {
      type = JSON.readTree(cfg.toFile()).path("task_type");
    } catch (IOException e) {
      return false;
    }
    return type.isTextual() && !type.asText().equals("SEQ_CLS");
  }

  private static ScoreAdapters onBase(PretrainedModel pm, Path modelDir, LinkedHashMap<String, Path> byName,
      String defaultName, boolean named) throws IOException {
    try {
      PeftModel peft = new PeftModel(pm.model());
      long pad = RewardModel.padId(pm.configJson(), modelDir);
      Map<String, Scorer> scorers = new LinkedHashMap<>();
      for (Map.Entry<String, Path> e : byName.entrySet()) {
        String name = e.getKey();
        LoraAdapter a = LoraAdapter.load(peft, e.getValue(), name);
        scorers.put(name, a.scoreHead() != null
            ? new Scorer.Reward(RewardModel.ofAdapter(peft, name, pad), RewardModelFiles.readStats(e.getValue()))
            : new Scorer.LogProb(pm.model(), () -> peft.use(name)));
      }
      scorers.put(null, new Scorer.LogProb(pm.model(), peft::disabled));
      return new ScoreAdapters(scorers, defaultName, named, pm);
    } catch (RuntimeException | IOException e) {
      pm.close();
      throw e;
    }
  }

  /** The scorer of {@code name} ({@code null}: the base). */
  Scorer scorer(String name) {
    return scorers.get(name);
  }

  /** Whether requests may name adapters ({@code null} among them, the base). */
  boolean has(String name) {
    return scorers.containsKey(name);
  }

  /** The adapter names a request may give (the base, {@code null}, aside). */
  List<String> names() {
    return scorers.keySet().stream().filter(n -> n != null).toList();
  }

  /** The adapter of a request without an {@code "adapter"} field. */
  String defaultName() {
    return defaultName;
  }

  /** Whether adapters were named (several, or {@code NAME=DIR}): rows then say which adapter scored them. */
  boolean named() {
    return named;
  }

  /** Scores {@code inputs} under {@code scorer}, {@code batchSize} rows per forward for rewards. */
  static Score[] score(Scorer scorer, List<ScoreInput> inputs, int batchSize) {
    Score[] out = new Score[inputs.size()];
    if (scorer instanceof Scorer.Reward r) {
      double[] s = r.rm().score(inputs.stream().map(ScoreInput::ids).toList(), batchSize);
      for (int i = 0; i < s.length; i++) {
        out[i] = new Score(s[i], 0);
      }
      return out;
    }
    Scorer.LogProb lp = (Scorer.LogProb) scorer;
    for (int i = 0; i < out.length; i++) {
      try (AdapterScope s = lp.scope().get()) {
        out[i] = logProb(lp.model(), inputs.get(i));
      }
    }
    return out;
  }

  /**
   * {@code sum_{t >= max(1, promptTokens)} log p(ids[t] | ids[<t])}: the completion's log-probability
   * given the prompt (a row without a prompt: every token after the first), one row per forward so
   * that no padding touches it.
   */
  static Score logProb(CausalLM model, ScoreInput in) {
    long[] ids = in.ids();
    int from = Math.max(1, in.promptTokens());
    if (from >= ids.length) {
      return new Score(0, 0);
    }
    try (NDManager step = model.manager().newSubManager()) {
      ModelInput mi = ModelInput.of(step, new long[][] {ids});
      NDArray logits = model.logits(mi).get(":, :-1, :");                    // [1, T-1, V]
      NDArray labels = mi.inputIds().get(":, 1:");                           // [1, T-1]
      float[] lp = CausalLM.tokenLogProbs(logits, labels).toFloatArray();    // [T-1]: position t-1 predicts t
      double sum = 0;
      for (int t = from; t < ids.length; t++) {
        sum += lp[t - 1];
      }
      return new Score(sum, ids.length - from);
    }
  }

  @Override
  public void close() throws Exception {
    owned.close();
  }
}
