package dev.align4j.recipes.pipeline;

import static dev.align4j.peft.config.ConfigKey.positive;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.Align4j;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The stages that make data and models rather than train them. */
final class DataStages {
  private DataStages() {}

  /**
   * {@code incident_data}: the demo's synthetic incident task. SFT data generated, then {@code data
   * validate}, {@code clean}, {@code dedup} and {@code split}; the training alerts alone as
   * pre-training text; preference pairs (chosen: the correct report; rejected: a wrong event type, a
   * wrong risk level or a broken format) on alerts drawn with another seed, so that they are new to
   * the SFT data.
   */
  public record IncidentDataRecipe(int examples, int valSize, int pairs, int pairsHeldout, long pairsSeedOffset,
      int rmPairs, int rmRiskWeight, boolean ptReports, long seed, String outputDir) {
    static final RecipeSchema<IncidentDataRecipe> SCHEMA = new RecipeSchema<>(IncidentDataRecipe.class, List.of(
        ConfigKey.of("examples", KeyType.INT, 1200, "synthetic SFT examples generated (before cleaning and dedup)")
            .check(positive(), "> 0"),
        ConfigKey.of("val_size", KeyType.INT, 96, "held-out SFT examples (val.jsonl)").check(positive(), "> 0"),
        ConfigKey.of("pairs", KeyType.INT, 480, "training preference pairs (pairs_train.jsonl)").check(positive(), "> 0"),
        ConfigKey.of("pairs_heldout", KeyType.INT, 96, "held-out preference pairs (pairs_val.jsonl)").check(positive(), "> 0"),
        ConfigKey.of("pairs_seed_offset", KeyType.LONG, 1000L, "the pairs' alerts are drawn with seed + this"),
        ConfigKey.of("rm_pairs", KeyType.INT, 0, "> 0: also pairs_rm.jsonl, this many reward-model pairs on the alerts "
            + "after the held-out pairs' (disjoint from both other sets), defects drawn by rm_risk_weight").check(n -> n >= 0, ">= 0"),
        ConfigKey.of("rm_risk_weight", KeyType.INT, 1, "pairs_rm.jsonl: a wrong risk level drawn this many times as "
            + "often as a wrong event type or a broken format (1: the uniform mix)").check(positive(), "> 0"),
        ConfigKey.of("pt_reports", KeyType.BOOL, false,
            "pt.jsonl also holds the training reports, each as a text of its own after the alerts (the reports' words,"
                + " not which alert gets which report)"),
        ConfigKey.of("seed", KeyType.LONG, 42L, "generation and split seed"),
        ConfigKey.of("output_dir", KeyType.STRING, "runs/data", "train.jsonl, val.jsonl, pt.jsonl, pairs_*.jsonl")));
  }

  /** {@code incident_data}. */
  static final class IncidentData implements StageDriver<IncidentDataRecipe> {
    @Override
    public RecipeSchema<IncidentDataRecipe> schema() {
      return IncidentDataRecipe.SCHEMA;
    }

    @Override
    public boolean needsRecipeFile() {
      return false;
    }

    @Override
    public Map<String, String> outputs(IncidentDataRecipe r) {
      Map<String, String> out = StageDriver.under(r.outputDir());
      for (String f : List.of("train", "val", "pt", "pairs_train", "pairs_val")) {
        out.put(f, Path.of(r.outputDir()).resolve(f + ".jsonl").toString());
      }
      if (r.rmPairs() > 0) {
        out.put("pairs_rm", Path.of(r.outputDir()).resolve("pairs_rm.jsonl").toString());
      }
      return out;
    }

    @Override
    public Outcome run(IncidentDataRecipe r, Device device) throws IOException {
      Path data = Path.of(r.outputDir());
      Files.createDirectories(data);
      Path raw = data.resolve("raw.jsonl");
      JsonlWriter.writeAll(raw, IncidentDataset.generate(r.examples(), r.seed()));
      System.out.println("   " + r.examples() + " synthetic alerts -> " + data);
      require(Align4j.execute("data", "validate", raw.toString()), "validate");
      require(Align4j.execute("data", "clean", raw.toString(), "-o", data.resolve("clean.jsonl").toString()), "clean");
      require(Align4j.execute("data", "dedup", data.resolve("clean.jsonl").toString(), "-o",
          data.resolve("dedup.jsonl").toString(), "--show", "2"), "dedup");
      require(Align4j.execute("data", "split", data.resolve("dedup.jsonl").toString(), "--train",
          data.resolve("train.jsonl").toString(), "--val", data.resolve("val.jsonl").toString(), "--val-size",
          "" + r.valSize(), "--seed", "" + r.seed()), "split");
      List<Conversation> train = conversations(data.resolve("train.jsonl"));
      // continued pre-training reads the training alerts (no reports): the language, not the task. With
      // pt_reports the reports follow as texts of their own: a character that pre-training never sees keeps
      // its random tied embedding, which LoRA cannot train, and its logit cannot be made to stand out (the
      // risk levels 低/中/高/严重 occur in reports only; bench/DEMO-TUNING.md)
      ObjectMapper json = new ObjectMapper();
      List<ObjectNode> texts = new ArrayList<>();
      for (Conversation c : train) {
        texts.add(json.createObjectNode().put("text", c.turns().get(0).content()));
      }
      if (r.ptReports()) {
        for (Conversation c : train) {
          texts.add(json.createObjectNode().put("text", c.turns().get(1).content()));
        }
      }
      JsonlWriter.writeAll(data.resolve("pt.jsonl"), texts);
      IncidentPreferences.Split split = IncidentPreferences.split(r.pairs(), r.pairsHeldout(),
          r.seed() + r.pairsSeedOffset());
      IncidentPreferences.writeJsonl(data.resolve("pairs_train.jsonl"), split.train());
      IncidentPreferences.writeJsonl(data.resolve("pairs_val.jsonl"), split.heldOut());
      if (r.rmPairs() > 0) {
        // the alerts after the held-out pairs' (generate is prefix-stable): new to both other sets
        int skip = r.pairs() + r.pairsHeldout();
        List<IncidentPreferences.Pair> fresh = IncidentPreferences.generate(skip + r.rmPairs(),
            r.seed() + r.pairsSeedOffset()).subList(skip, skip + r.rmPairs());
        Map<IncidentPreferences.Defect, Integer> weights = new EnumMap<>(IncidentPreferences.Defect.class);
        weights.put(IncidentPreferences.Defect.WRONG_EVENT_TYPE, 1);
        weights.put(IncidentPreferences.Defect.WRONG_RISK_LEVEL, r.rmRiskWeight());
        weights.put(IncidentPreferences.Defect.BROKEN_FORMAT, 1);
        IncidentPreferences.writeJsonl(data.resolve("pairs_rm.jsonl"),
            IncidentPreferences.redrawDefects(fresh, weights, r.seed() + r.pairsSeedOffset() + 1));
        System.out.printf("   %d reward-model pairs (wrong risk level weighted %d:1:1)%n", r.rmPairs(), r.rmRiskWeight());
      }
      System.out.printf("   %d training and %d held-out SFT examples, %d pre-training texts, %d + %d preference pairs%n",
          train.size(), conversations(data.resolve("val.jsonl")).size(), texts.size(), split.train().size(),
          split.heldOut().size());
      return new Outcome(false, Map.of("train_examples", (double) train.size(),
          "pairs", (double) split.train().size()));
    }

    private static void require(int rc, String step) {
      if (rc != 0) {
        throw new IllegalStateException("data " + step + " failed (exit " + rc + ")");
      }
    }
  }

  /** {@code char_model}: a tiny Qwen3-shaped model whose character vocabulary covers the given data. */
  public record CharModelRecipe(String datasets, int hiddenSize, int intermediateSize, int numLayers, int numHeads,
      int numKvHeads, int headDim, int maxPositionEmbeddings, long seed, String outputDir) {
    static final RecipeSchema<CharModelRecipe> SCHEMA = new RecipeSchema<>(CharModelRecipe.class, List.of(
        ConfigKey.required("datasets", KeyType.STRING,
            "SFT data files (alpaca, sharegpt, openai), comma-separated: the vocabulary is every character of their turns"),
        ConfigKey.of("hidden_size", KeyType.INT, 128, "hidden size").check(positive(), "> 0"),
        ConfigKey.of("intermediate_size", KeyType.INT, 384, "MLP size").check(positive(), "> 0"),
        ConfigKey.of("num_layers", KeyType.INT, 4, "decoder layers").check(positive(), "> 0"),
        ConfigKey.of("num_heads", KeyType.INT, 4, "attention heads").check(positive(), "> 0"),
        ConfigKey.of("num_kv_heads", KeyType.INT, 2, "key/value heads").check(positive(), "> 0"),
        ConfigKey.of("head_dim", KeyType.INT, 32, "head dimension").check(positive(), "> 0"),
        ConfigKey.of("max_position_embeddings", KeyType.INT, 512, "longest sequence").check(positive(), "> 0"),
        ConfigKey.of("seed", KeyType.LONG, 42L, "weight initialisation"),
        ConfigKey.of("output_dir", KeyType.STRING, "runs/base", "the checkpoint (Hugging Face format) with its tokenizer")));
  }

  /** {@code char_model}. */
  static final class CharModel implements StageDriver<CharModelRecipe> {
    @Override
    public RecipeSchema<CharModelRecipe> schema() {
      return CharModelRecipe.SCHEMA;
    }

    @Override
    public boolean needsRecipeFile() {
      return false;
    }

    @Override
    public Map<String, String> outputs(CharModelRecipe r) {
      Map<String, String> out = StageDriver.under(r.outputDir());
      out.put("model", r.outputDir());
      return out;
    }

    @Override
    public Outcome run(CharModelRecipe r, Device device) throws IOException {
      List<String> corpus = new ArrayList<>();
      for (String f : Arrays.stream(r.datasets().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList()) {
        conversations(Path.of(f)).forEach(c -> c.turns().forEach(t -> corpus.add(t.content())));
      }
      Path base = Path.of(r.outputDir());
      int vocab = CharTokenizer.write(base, corpus);
      ModelConfig cfg = new ModelConfig(ModelFamily.QWEN3, vocab, r.hiddenSize(), r.intermediateSize(), r.numLayers(),
          r.numHeads(), r.numKvHeads(), r.headDim(), 1e-6, 10000.0, null, r.maxPositionEmbeddings(), true, false, "float32");
      try (NDManager m = Torch.newManager()) {
        TinyCheckpoint.write(base, cfg, r.seed(), null, Optional.empty(), m);
      }
      System.out.printf("   tiny %s: %,d parameters, character vocabulary of %d -> %s%n", cfg.architectureName(),
          cfg.parameterCount(), vocab, base);
      return new Outcome(false, Map.of("parameters", (double) cfg.parameterCount(), "vocab", (double) vocab));
    }
  }

  /** The conversations of an SFT data file (format detected from its first record). */
  static List<Conversation> conversations(Path file) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "dataset not found");
    }
    List<Conversation> out = new ArrayList<>();
    ExampleParser p = null;
    try (JsonRecords r = JsonRecords.open(file)) {
      while (r.hasNext()) {
        SourceRecord rec = r.next();
        if (p == null) {
          p = ExampleParser.of(DataFormat.autodetect(rec.value()).orElse(DataFormat.ALPACA));
        }
        if (p.parse(rec) instanceof Conversation c) {
          out.add(c);
        }
      }
    }
    return out;
  }
}
