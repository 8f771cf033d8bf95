package dev.align4j.reward;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraAdapter;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.LayeredForward;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A reward model: a decoder and a {@code score} head read at each row's last non-pad token, as
 * transformers' {@code AutoModelForSequenceClassification} computes it (the rightmost position whose id
 * is not {@code pad_token_id}: left and right padding both work, and with pad == EOS a trailing EOS is
 * skipped and the last content token scores, as in transformers).
 *
 * <p>Three ways to get one: {@link #load} a transformers {@code *ForSequenceClassification} folder, or
 * a base plus a PEFT {@code SEQ_CLS} adapter (LoRA with {@code score} in {@code modules_to_save}); {@link
 * #loadAdapter} such an adapter onto a {@link PeftModel} that also holds other adapters (PPO: policy,
 * value and reward on one base; the scores are computed under {@code use(name)}); or {@link #of} a model
 * and head in memory (training).
 */
public final class RewardModel implements AutoCloseable {
  private final CausalLM model;
  private final ScoreHead head;
  private final long padId;
  private final Supplier<AdapterScope> scope;
  private final AutoCloseable owned;
  private final RewardStats stats;

  private RewardModel(CausalLM model, ScoreHead head, long padId, Supplier<AdapterScope> scope, AutoCloseable owned,
      RewardStats stats) {
    if (head.numLabels() != 1) {
      throw new IllegalArgumentException("a reward model's score head has 1 output, got " + head.numLabels()
          + " (num_labels must be 1)");
    }
    this.model = model;
    this.head = head;
    this.padId = padId;
    this.scope = scope;
    this.owned = owned;
    this.stats = stats;
  }

  /** A model and head in memory, scored as they are (no adapter scope); closing it closes nothing. */
  public static RewardModel of(CausalLM model, ScoreHead head, long padId) {
    return new RewardModel(model, head, padId, null, null, null);
  }

  /**
   * Adapter {@code name} of {@code peft}, which must have a score head; scores are computed with only
   * that adapter active ({@code peft.use(name)}), whatever is active around the call.
   */
  public static RewardModel ofAdapter(PeftModel peft, String name, long padId) {
    ScoreHead h = peft.scoreHead(name);
    if (h == null) {
      throw new IllegalArgumentException("adapter '" + name + "' has no score head (not a reward model)");
    }
    return new RewardModel(peft.model(), h, padId, () -> peft.use(name), null, null);
  }

  /**
   * Loads a PEFT {@code SEQ_CLS} adapter from {@code adapterDir} as adapter {@code name} of {@code peft}
   * (a shared base), with its reward statistics when stored.
   */
  public static RewardModel loadAdapter(PeftModel peft, Path adapterDir, String name, long padId) throws IOException {
    LoraAdapter a = LoraAdapter.load(peft, adapterDir, name);
    if (a.scoreHead() == null) {
      throw new IllegalArgumentException(adapterDir + ": the adapter has no 'score' weights "
          + "(base_model.model.score.weight); a reward-model adapter has task_type SEQ_CLS");
    }
    RewardModel rm = ofAdapter(peft, name, padId);
    return new RewardModel(rm.model, rm.head, padId, rm.scope, null, RewardModelFiles.readStats(adapterDir).orElse(null));
  }

  /**
   * Loads a reward model. Without {@code adapterDir}, {@code modelDir} is a transformers
   * {@code *ForSequenceClassification} checkpoint ({@code score.weight}); with it, {@code modelDir} is the
   * base and {@code adapterDir} a PEFT {@code SEQ_CLS} LoRA adapter. The pad id is {@code config.json}'s
   * {@code pad_token_id}, else the tokenizer's pad token in {@code modelDir}, else its EOS (TRL's choice).
   * Closing the reward model closes the loaded model.
   */
  public static RewardModel load(Path modelDir, Path adapterDir, Precision precision, AttentionImpl attention,
      NDManager parent) throws IOException {
    return load(modelDir, adapterDir, precision, attention, parent, null);
  }

  /** {@link #load(Path, Path, Precision, AttentionImpl, NDManager)} with the pad id given ({@code null}: found as there). */
  public static RewardModel load(Path modelDir, Path adapterDir, Precision precision, AttentionImpl attention,
      NDManager parent, Long padId) throws IOException {
    if (adapterDir == null) {
      LinkedHashMap<String, NDArray> extras = new LinkedHashMap<>();
      PretrainedModel pm = ModelLoader.loadHeadless(modelDir, precision, attention, parent, extras);
      try {
        NDArray w = extras.remove(ScoreHead.MODULE + ".weight");
        if (w == null) {
          throw new IllegalArgumentException(modelDir + ": no score.weight: not a sequence-classification (reward) "
              + "checkpoint; for a base model plus a PEFT SEQ_CLS adapter give the adapter too (--adapter)");
        }
        if (!extras.isEmpty()) {
          throw new IllegalArgumentException(modelDir + ": unexpected tensors " + extras.keySet());
        }
        w.attach(pm.model().manager());
        long h = pm.model().config().hiddenSize();
        if (w.getShape().dimension() != 2 || w.getShape().get(1) != h) {
          throw new IllegalArgumentException(modelDir + ": score.weight has shape " + w.getShape() + ", expected [1, " + h + "]");
        }
        ScoreHead head = ScoreHead.of(Parameter.master(ScoreHead.MODULE + ".weight", w, precision));
        return new RewardModel(pm.model(), head, padId != null ? padId : padId(pm.configJson(), modelDir), null, pm,
            RewardModelFiles.readStats(modelDir).orElse(null));
      } catch (RuntimeException | IOException e) {
        pm.close();
        throw e;
      }
    }
    PretrainedModel pm = ModelLoader.load(modelDir, precision, attention, parent);
    try {
      PeftModel peft = new PeftModel(pm.model());
      RewardModel rm = loadAdapter(peft, adapterDir, "reward", padId != null ? padId : padId(pm.configJson(), modelDir));
      return new RewardModel(rm.model, rm.head, rm.padId, rm.scope, pm, rm.stats);
    } catch (RuntimeException | IOException e) {
      pm.close();
      throw e;
    }
  }

  /**
   * The pad id a reward model on {@code modelDir} pools with: {@code config.json}'s pad_token_id, else
   * the tokenizer's pad, else its first EOS (what {@link #load} uses).
   */
  public static long padId(JsonNode config, Path modelDir) throws IOException {
    JsonNode p = config.path("pad_token_id");
    if (p.isIntegralNumber()) {
      return p.asLong();
    }
    if (Files.exists(modelDir.resolve("tokenizer.json"))) {
      try (Tokenizer tok = Tokenizer.load(modelDir)) {
        if (tok.padId().isPresent()) {
          return tok.padId().getAsLong();
        }
        if (tok.eosIds().length > 0) {
          return tok.eosIds()[0];
        }
      }
    }
    throw new IllegalArgumentException(modelDir.resolve("config.json") + ": no pad_token_id, and no tokenizer pad or "
        + "EOS token in " + modelDir + ": cannot tell where each row ends");
  }

  /**
   * Scores {@code [B]} (float32; float64 in float64 precision) of rows {@code ids [B, T]} (int64) with
   * {@code attention [B, T]} (1 real, 0 padding; any integer or boolean dtype), read at each row's last
   * token whose id is not the pad id. Positions count real tokens only, so a padded row scores as it
   * would alone. With autograd when called inside a gradient scope; call {@code stopGradient} on the
   * result to use it as a plain number.
   */
  public NDArray scores(NDArray ids, NDArray attention) {
    long[] mask = attention.toType(DataType.INT64, false).toLongArray();
    int b = (int) ids.getShape().get(0);
    int t = (int) ids.getShape().get(1);
    if (mask.length != b * t) {
      throw new IllegalArgumentException("attention mask " + attention.getShape() + " must match input ids " + ids.getShape());
    }
    long[] pos = new long[b * t];
    for (int i = 0; i < b; i++) {
      long n = 0;
      for (int j = 0; j < t; j++) {
        pos[i * t + j] = mask[i * t + j] != 0 ? n++ : 0;
      }
    }
    NDArray ids64 = ids.getDataType() == DataType.INT64 ? ids : ids.toType(DataType.INT64, false);
    return scores(new ModelInput(ids64, mask, ids.getManager().create(pos, new Shape(b, t))));
  }

  /** Scores {@code [B]} of a prepared input (its ids decide the pooled position). */
  public NDArray scores(ModelInput in) {
    try (AdapterScope s = scope == null ? null : scope.get()) {
      NDArray hidden = model.hiddenStates(in, null);                                   // [B, T, H]
      return head.sequenceScores(head.forward(hidden), in.inputIds(), padId).squeeze(1);   // [B]
    }
  }

  /**
   * Scores of token sequences, {@code batchSize} at a time, right-padded, each batch on its own
   * sub-manager; the results are plain numbers.
   */
  public double[] score(List<long[]> sequences, int batchSize) {
    if (batchSize <= 0) {
      throw new IllegalArgumentException("batch size must be > 0, got " + batchSize);
    }
    double[] out = new double[sequences.size()];
    for (int i = 0; i < sequences.size(); i += batchSize) {
      List<long[]> chunk = sequences.subList(i, Math.min(sequences.size(), i + batchSize));
      try (NDManager s = model.manager().newSubManager()) {
        ModelInput in = ModelInput.padded(s, chunk.toArray(long[][]::new), padId, false);
        double[] r = plainScores(in);
        System.arraycopy(r, 0, out, i, r.length);
      }
    }
    return out;
  }

  /**
   * {@link #scores(ModelInput)} as numbers: the same ops without autograd, each layer's intermediates
   * freed as the forward goes ({@link LayeredForward}), so scoring a batch holds about one layer's
   * activations rather than all of them.
   */
  private double[] plainScores(ModelInput in) {
    try (AdapterScope s = scope == null ? null : scope.get()) {
      return LayeredForward.noGrad(() -> {
        NDArray hidden = LayeredForward.hiddenStates(model, in);                       // [B, T, H]
        NDArray r = head.sequenceScores(head.forward(hidden), in.inputIds(), padId).squeeze(1);   // [B]
        return r.toType(DataType.FLOAT64, false).toDoubleArray();
      });
    }
  }

  /** Statistics over both sides of {@code pairs}' rewards (what training stores for PPO). */
  public RewardStats stats(List<RewardPair> pairs, int batchSize) {
    List<long[]> seqs = new java.util.ArrayList<>();
    pairs.forEach(p -> seqs.add(p.chosen()));
    pairs.forEach(p -> seqs.add(p.rejected()));
    return RewardStats.of(score(seqs, batchSize));
  }

  /** The decoder. */
  public CausalLM model() {
    return model;
  }

  /** The score head. */
  public ScoreHead head() {
    return head;
  }

  /** The pad id pooling skips. */
  public long padId() {
    return padId;
  }

  /** Reward statistics stored with the model ({@code mean}/{@code std}), when there are any. */
  public Optional<RewardStats> storedStats() {
    return Optional.ofNullable(stats);
  }

  /** Closes the model {@link #load} loaded; nothing for the other factories. */
  @Override
  public void close() {
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  @Override
  public String toString() {
    return "RewardModel[" + model.config().family().modelType() + ", pad " + padId + ", stats " + Arrays.asList(stats) + "]";
  }
}
