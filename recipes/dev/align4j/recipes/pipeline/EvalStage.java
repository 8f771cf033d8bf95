package dev.align4j.recipes.pipeline;

import static dev.align4j.peft.config.ConfigKey.positive;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.data.preference.Segment;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.demo.IncidentEval;
import dev.align4j.reward.PairAccuracy;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.ParsedReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code eval}: several policies (LoRA adapters of one base, or the base itself) on held-out incident
 * alerts: the judge's score (greedy reports; a third each for the format, the event type and the risk
 * level) and its parts, the reward model's mean score of those reports, and the KL to the reference
 * along them (summed over the report's tokens, exact over the vocabulary, mean over alerts); the
 * reward model's held-out pairwise accuracy once. Results in {@code eval.json}.
 */
final class EvalStage implements StageDriver<EvalStage.EvalRecipe> {
  /** The keys of an {@code eval} stage. */
  public record EvalRecipe(String modelNameOrPath, String dataset, ObjectNode policies, String reference, String rewardModel,
      String rewardPairs, int maxNewTokens, int batchSize, String outputDir) {
    static final RecipeSchema<EvalRecipe> SCHEMA = new RecipeSchema<>(EvalRecipe.class, List.of(
        ConfigKey.required("model_name_or_path", KeyType.STRING, "the base every policy is an adapter of"),
        ConfigKey.required("dataset", KeyType.STRING, "held-out incident alerts (SFT data: the gold report is the answer)"),
        ConfigKey.of("policies", KeyType.MAPPING, JsonNodeFactory.instance.objectNode(),
            "policy name -> LoRA adapter directory (\"\": the base itself), in table order"),
        ConfigKey.of("reference", KeyType.STRING, "", "the KL reference: a LoRA adapter (\"\": the base)"),
        ConfigKey.of("reward_model", KeyType.STRING, "", "a LoRA reward model of the same base (align4j rm adapter/); \"\": none"),
        ConfigKey.of("reward_pairs", KeyType.STRING, "", "held-out preference pairs for the reward model's accuracy; \"\": none"),
        ConfigKey.of("max_new_tokens", KeyType.INT, 48, "longest generated report").check(positive(), "> 0"),
        ConfigKey.of("batch_size", KeyType.INT, 16, "prompts per generation batch").check(positive(), "> 0"),
        ConfigKey.of("output_dir", KeyType.STRING, "runs/eval", "eval.json")));

    public EvalRecipe {
      for (Iterator<Map.Entry<String, JsonNode>> it = policies.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().isTextual()) {
          throw new IllegalArgumentException("policies." + e.getKey() + " must be an adapter directory or \"\"");
        }
        if (!e.getKey().matches("[A-Za-z0-9_-]+")) {
          throw new IllegalArgumentException("policies: name '" + e.getKey() + "' must be letters, digits, '_' or '-'");
        }
      }
      if (policies.isEmpty()) {
        throw new IllegalArgumentException("policies: at least one policy is needed");
      }
      policies = policies.deepCopy();
    }
  }

  /** One policy's scores; NaN where not measured. */
  record PolicyScores(double judge, double format, double eventType, double riskLevel, double rmScore, double kl,
      String sample) {}

  @Override
  public RecipeSchema<EvalRecipe> schema() {
    return EvalRecipe.SCHEMA;
  }

  @Override
  public boolean needsRecipeFile() {
    return false;
  }

  @Override
  public Map<String, String> outputs(EvalRecipe r) {
    Map<String, String> out = StageDriver.under(r.outputDir());
    out.put("results", Path.of(r.outputDir()).resolve("eval.json").toString());
    return out;
  }

  @Override
  public Outcome run(EvalRecipe r, Device device) throws IOException {
    Path modelDir = Path.of(r.modelNameOrPath());
    List<IncidentEval.Item> items = new ArrayList<>();
    for (Conversation c : DataStages.conversations(Path.of(r.dataset()))) {
      ParsedReport gold = IncidentDataset.parse(c.turns().get(1).content()).orElseThrow(() ->
          new IllegalArgumentException(r.dataset() + ": an answer is not an incident report: " + c.turns().get(1).content()));
      items.add(new IncidentEval.Item(c.turns().get(0).content(), gold));
    }
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, PolicyScores> scores = new LinkedHashMap<>();
    try (NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(modelDir, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      CausalLM model = pm.model();
      model.setTraining(false);
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          modelDir.resolve("tokenizer_config.json") + " has no chat_template"));
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      PeftModel peft = new PeftModel(model);
      for (Iterator<Map.Entry<String, JsonNode>> it = r.policies().fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getValue().asText().isBlank()) {
          PeftAdapterFiles.load(peft, Path.of(e.getValue().asText()), "p_" + e.getKey());
        }
      }
      String reference = null;
      if (!r.reference().isBlank()) {
        PeftAdapterFiles.load(peft, Path.of(r.reference()), "reference");
        reference = "reference";
      }
      RewardModel rm = null;
      if (!r.rewardModel().isBlank()) {
        rm = RewardModel.loadAdapter(peft, Path.of(r.rewardModel()), "reward", pad);
        if (!r.rewardPairs().isBlank()) {
          Prepared<RewardEncoding> p = RewardData.prepare(Path.of(r.rewardPairs()), PreferenceParser.auto(),
              PreferenceTokenizer.of(tok), PreferenceOptions.drop(1024));
          PairAccuracy acc = PairAccuracy.of(rm, p.examples(), "kind", r.batchSize());
          metrics.put("rm/pair_accuracy", acc.accuracy());
          metrics.put("rm/pairs", (double) acc.pairs());
        }
      }
      PreferenceTokenizer ptok = new PreferenceTokenizer(tok, template);
      for (Iterator<Map.Entry<String, JsonNode>> it = r.policies().fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String adapter = e.getValue().asText().isBlank() ? null : "p_" + e.getKey();
        PolicyScores s = score(peft, adapter, reference, rm, ptok, tok, template, items, r, pad);
        scores.put(e.getKey(), s);
        String k = e.getKey() + "/";
        metrics.put(k + "judge", s.judge());
        metrics.put(k + "format", s.format());
        metrics.put(k + "event_type", s.eventType());
        metrics.put(k + "risk_level", s.riskLevel());
        if (!Double.isNaN(s.rmScore())) {
          metrics.put(k + "rm_score", s.rmScore());
        }
        metrics.put(k + "kl", s.kl());
        System.out.printf("   %-6s judge %.3f (format %.3f, event type %.3f, risk level %.3f)%s, KL %.4f%n", e.getKey(),
            s.judge(), s.format(), s.eventType(), s.riskLevel(),
            Double.isNaN(s.rmScore()) ? "" : String.format(", RM score %.3f", s.rmScore()), s.kl());
      }
    }
    ObjectNode json = new ObjectMapper().createObjectNode();
    json.put("alerts", items.size());
    ObjectNode pol = json.putObject("policies");
    scores.forEach((name, s) -> {
      ObjectNode o = pol.putObject(name);
      o.put("judge", s.judge()).put("format", s.format()).put("event_type", s.eventType())
          .put("risk_level", s.riskLevel()).put("kl", s.kl()).put("sample", s.sample());
      if (!Double.isNaN(s.rmScore())) {
        o.put("rm_score", s.rmScore());
      }
    });
    if (metrics.containsKey("rm/pair_accuracy")) {
      json.put("rm_pair_accuracy", metrics.get("rm/pair_accuracy"));
    }
    Files.createDirectories(Path.of(r.outputDir()));
    AtomicFiles.writeString(Path.of(r.outputDir()).resolve("eval.json"),
        new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n");
    return new Outcome(false, metrics);
  }

  /** Greedy reports of one policy, judged, scored by the reward model and compared with the reference. */
  private static PolicyScores score(PeftModel peft, String adapter, String reference, RewardModel rm,
      PreferenceTokenizer ptok, Tokenizer tok, ChatTemplate template, List<IncidentEval.Item> items, EvalRecipe r,
      long pad) {
    CausalLM model = peft.model();
    Generator g = new Generator(model);
    // the pad id IncidentEval uses, so that the SFT numbers equal the earlier demo's
    GenerationConfig cfg = GenerationConfig.greedy(r.maxNewTokens(), tok.eosIds()).withPadId(tok.padId().orElse(0));
    int format = 0;
    int type = 0;
    int risk = 0;
    double kl = 0;
    List<long[]> full = new ArrayList<>();
    String sample = "";
    for (int i = 0; i < items.size(); i += r.batchSize()) {
      List<IncidentEval.Item> chunk = items.subList(i, Math.min(items.size(), i + r.batchSize()));
      List<long[]> prompts = new ArrayList<>();
      for (IncidentEval.Item it : chunk) {
        prompts.add(tok.encode(template.render(List.of(new ChatMessage("user", it.user())), true), false));
      }
      List<Completion> outs;
      try (NDManager s = model.manager().newSubManager(); AdapterScope a = scope(peft, adapter)) {
        outs = g.generate(prompts, cfg, null);
      }
      for (int k = 0; k < chunk.size(); k++) {
        String text = tok.decode(outs.get(k).tokens(), true).strip();
        IncidentEval.Verdict v = IncidentEval.judge(text, chunk.get(k).gold());
        format += v.format() ? 1 : 0;
        type += v.eventType() ? 1 : 0;
        risk += v.riskLevel() ? 1 : 0;
        if (i == 0 && k == 0) {
          sample = text;
        }
        kl += kl(peft, adapter, reference, prompts.get(k), outs.get(k).tokens());
        if (rm != null) {
          full.add(ptok.full(new Segment.Chat(List.of(ChatMessage.user(chunk.get(k).user()))),
              new Segment.Chat(List.of(ChatMessage.assistant(text)))));
        }
      }
    }
    double n = items.size();
    double rmScore = Double.NaN;
    if (rm != null) {
      double sum = 0;
      for (double x : rm.score(full, r.batchSize())) {
        sum += x;
      }
      rmScore = sum / n;
    }
    return new PolicyScores((format + type + risk) / (3 * n), format / n, type / n, risk / n, rmScore, kl / n, sample);
  }

  /**
   * {@code sum_t KL(pi(.|x, y<t) || ref(.|x, y<t))} over the completion's tokens: exact over the
   * vocabulary at each position, in float64 from one teacher-forced forward per side.
   */
  private static double kl(PeftModel peft, String adapter, String reference, long[] prompt, long[] completion) {
    if (completion.length == 0 || java.util.Objects.equals(adapter, reference)) {
      return 0;
    }
    long[] ids = new long[prompt.length + completion.length];
    System.arraycopy(prompt, 0, ids, 0, prompt.length);
    System.arraycopy(completion, 0, ids, prompt.length, completion.length);
    CausalLM model = peft.model();
    try (NDManager s = model.manager().newSubManager()) {
      NDArray lp = logProbs(peft, adapter, s, ids, prompt.length);        // [C, V]
      NDArray lq = logProbs(peft, reference, s, ids, prompt.length);      // [C, V]
      return lp.exp().mul(lp.sub(lq)).sum().toType(ai.djl.ndarray.types.DataType.FLOAT64, false).getDouble();
    }
  }

  /** Log-probabilities {@code [C, V]} at the positions that predict the completion's C tokens. */
  private static NDArray logProbs(PeftModel peft, String adapter, NDManager s, long[] ids, int promptLen) {
    try (AdapterScope a = scope(peft, adapter)) {
      NDArray logits = peft.model().logits(ModelInput.of(s, new long[][] {ids}));                  // [1, T, V]
      NDArray at = logits.get("0, " + (promptLen - 1) + ":" + (ids.length - 1) + ", :");           // [C, V]
      return at.toType(ai.djl.ndarray.types.DataType.FLOAT64, false).logSoftmax(-1);
    }
  }

  private static AdapterScope scope(PeftModel peft, String adapter) {
    return adapter == null ? peft.disabled() : peft.use(adapter);
  }
}
