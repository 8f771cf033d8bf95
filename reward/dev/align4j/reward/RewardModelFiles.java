package dev.align4j.reward;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.TinyCheckpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A reward model on disk as transformers saves {@code AutoModelForSequenceClassification}: the decoder
 * without {@code lm_head}, {@code score.weight [1, H]}, and a {@code config.json} with {@code
 * architectures: [<Family>ForSequenceClassification]}, one label ({@code id2label {"0": "LABEL_0"}},
 * which transformers reads as {@code num_labels: 1}) and {@code pad_token_id}. Reward statistics go into
 * {@code config.json} as OpenRLHF's {@code mean}/{@code std}, and whole into {@code reward_stats.json}
 * (also next to a PEFT adapter, whose config PEFT validates).
 */
public final class RewardModelFiles {
  /** The statistics file written next to a model or adapter. */
  public static final String STATS = "reward_stats.json";
  private static final ObjectMapper JSON = new ObjectMapper();

  private RewardModelFiles() {}

  /**
   * Writes a full (or merged, or freeze-tuned) reward model into {@code dir} in place (callers replacing
   * a directory write into {@link AtomicFiles#replaceDirectory}'s temporary one).
   *
   * @param baseConfig the base's {@code config.json} as loaded (kept whole), or null for the model's own
   * @param tokenizerFrom a directory whose tokenizer files are copied, or null
   * @param stats reward statistics, or null
   */
  public static void saveFull(CausalLM model, ScoreHead head, ObjectNode baseConfig, Optional<ObjectNode> generationConfig,
      long padId, RewardStats stats, Path tokenizerFrom, Path dir) throws IOException {
    ObjectNode cfg = sequenceClassificationConfig(baseConfig != null ? baseConfig : model.config().toJson(),
        model.config().family().modelType(), head.numLabels(), padId);
    if (stats != null) {
      stats.putInto(cfg);
    }
    ModelSaver.save(model, cfg, generationConfig, dir, ModelSaver.DEFAULT_MAX_SHARD_BYTES, Set.of("lm_head.weight"),
        Map.of(ScoreHead.MODULE + ".weight", head.weight().data()));
    if (stats != null) {
      writeStats(dir, stats);
    }
    if (tokenizerFrom != null) {
      for (String f : TinyCheckpoint.TOKENIZER_FILES) {
        if (Files.exists(tokenizerFrom.resolve(f))) {
          AtomicFiles.writeBytes(dir.resolve(f), Files.readAllBytes(tokenizerFrom.resolve(f)));
        }
      }
    }
  }

  /**
   * A causal LM's {@code config.json} turned into its {@code *ForSequenceClassification} one, as
   * transformers writes it after {@code from_pretrained(..., num_labels=n)} and {@code pad_token_id}
   * set (TRL's RewardTrainer sets it from the tokenizer).
   */
  public static ObjectNode sequenceClassificationConfig(ObjectNode base, String modelType, int numLabels, long padId) {
    ObjectNode cfg = base.deepCopy();
    cfg.putArray("architectures").add(architecture(modelType));
    ObjectNode id2label = cfg.putObject("id2label");
    ObjectNode label2id = cfg.putObject("label2id");
    for (int i = 0; i < numLabels; i++) {
      id2label.put(Integer.toString(i), "LABEL_" + i);
      label2id.put("LABEL_" + i, i);
    }
    cfg.remove("num_labels");
    cfg.put("pad_token_id", padId);
    return cfg;
  }

  /** transformers' class for {@code model_type}, e.g. {@code Qwen2ForSequenceClassification}. */
  public static String architecture(String modelType) {
    return switch (modelType) {
      case "llama" -> "LlamaForSequenceClassification";
      case "mistral" -> "MistralForSequenceClassification";
      case "qwen2" -> "Qwen2ForSequenceClassification";
      case "qwen3" -> "Qwen3ForSequenceClassification";
      default -> throw new IllegalArgumentException("no sequence-classification class known for model_type " + modelType);
    };
  }

  /** Writes {@code reward_stats.json} into {@code dir} atomically. */
  public static void writeStats(Path dir, RewardStats stats) throws IOException {
    AtomicFiles.writeString(dir.resolve(STATS), HfCheckpointWriter.prettySorted(stats.toJson(JSON.createObjectNode())));
  }

  /**
   * Statistics stored with a model or adapter: {@code reward_stats.json}, else {@code config.json}'s
   * {@code mean}/{@code std} (OpenRLHF's).
   */
  public static Optional<RewardStats> readStats(Path dir) throws IOException {
    for (String f : new String[] {STATS, "config.json"}) {
      Path p = dir.resolve(f);
      if (Files.exists(p)) {
        JsonNode n;
        try {
          n = JSON.readTree(p.toFile());
        } catch (IOException e) {
          throw new IOException(p + ": not valid JSON: " + e.getMessage(), e);
        }
        Optional<RewardStats> s = RewardStats.from(n);
        if (s.isPresent()) {
          return s;
        }
      }
    }
    return Optional.empty();
  }
}
