package dev.align4j.recipes.pipeline;

import static dev.align4j.peft.config.ConfigKey.positive;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.config.ConfigKey;
import dev.align4j.peft.config.KeyType;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.eval.EvalConfig;
import dev.align4j.recipes.eval.PolicyEval;
import dev.align4j.recipes.eval.PolicyEvaluator;
import dev.align4j.reward.PairAccuracy;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RewardModelScorer;
import dev.align4j.rl.rollout.RlPrompt;
import dev.align4j.rl.rollout.Scorer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code eval}: several policies (LoRA adapters of one base, or the base itself) on held-out incident
 * alerts through the shared {@link PolicyEvaluator}: the judge's score of greedy reports (a third each
 * for the format, the event type and the risk level) and its parts, the reward model's mean score of
 * those reports, and, on {@code samples_per_prompt} reports per alert sampled at temperature 1 (seeded),
 * the judge's score with its parts (the sampling policy's score, what RL at temperature 1 trains) and
 * the Monte-Carlo sequence KL to the reference (with its standard error); the reward model's held-out
 * pairwise accuracy once. Results in {@code eval.json}.
 */
final class EvalStage implements StageDriver<EvalStage.EvalRecipe> {
  /** The keys of an {@code eval} stage. */
  public record EvalRecipe(String modelNameOrPath, String dataset, ObjectNode policies, String reference, String rewardModel,
      String rewardPairs, int maxNewTokens, int samplesPerPrompt, int batchSize, long seed, String outputDir) {
    static final RecipeSchema<EvalRecipe> SCHEMA = new RecipeSchema<>(EvalRecipe.class, List.of(
        ConfigKey.required("model_name_or_path", KeyType.STRING, "the base every policy is an adapter of"),
        ConfigKey.required("dataset", KeyType.STRING, "held-out incident alerts (SFT data: the gold report is the answer)"),
        ConfigKey.of("policies", KeyType.MAPPING, JsonNodeFactory.instance.objectNode(),
            "policy name -> LoRA adapter directory (\"\": the base itself), in table order"),
        ConfigKey.of("reference", KeyType.STRING, "", "the KL reference: a LoRA adapter (\"\": the base)"),
        ConfigKey.of("reward_model", KeyType.STRING, "", "a LoRA reward model of the same base (align4j rm adapter/); \"\": none"),
        ConfigKey.of("reward_pairs", KeyType.STRING, "", "held-out preference pairs for the reward model's accuracy; \"\": none"),
        ConfigKey.of("max_new_tokens", KeyType.INT, 48, "longest generated report").check(positive(), "> 0"),
        ConfigKey.of("samples_per_prompt", KeyType.INT, 4, "completions sampled per alert (temperature 1) for the sampled judge score and the KL")
            .check(positive(), "> 0"),
        ConfigKey.of("batch_size", KeyType.INT, 16, "prompts per greedy generation batch (twice as many rows per sampling batch)")
            .check(positive(), "> 0"),
        ConfigKey.of("seed", KeyType.LONG, 42L, "sampling seed: the same seed, the same numbers"),
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
    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, PolicyEval> scores = new LinkedHashMap<>();
    int alerts;
    try (NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(modelDir, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(modelDir)) {
      CausalLM model = pm.model();
      model.setTraining(false);
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          modelDir.resolve("tokenizer_config.json") + " has no chat_template"));
      long pad = tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0);
      List<RlPrompt> prompts = PromptDataset.read(Path.of(r.dataset()), tok, template);
      alerts = prompts.size();
      PeftModel peft = new PeftModel(model);
      // each policy under a name of its own, the reference as a separate copy: a policy's KL to an identical
      // reference is then exactly 0
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
      Scorer rm = null;
      if (!r.rewardModel().isBlank()) {
        rm = RewardModelScorer.load(peft, Path.of(r.rewardModel()), "reward", pad, false, r.batchSize());
        if (!r.rewardPairs().isBlank()) {
          RewardModel acc = RewardModel.loadAdapter(peft, Path.of(r.rewardModel()), "reward_pairs", pad);
          Prepared<RewardEncoding> p = RewardData.prepare(Path.of(r.rewardPairs()), PreferenceParser.auto(),
              PreferenceTokenizer.of(tok), PreferenceOptions.drop(1024));
          PairAccuracy pa = PairAccuracy.of(acc, p.examples(), "kind", r.batchSize());
          metrics.put("rm/pair_accuracy", pa.accuracy());
          metrics.put("rm/pairs", (double) pa.pairs());
        }
      }
      peft.setTrainable();
      PolicyEvaluator evaluator = PolicyEvaluator.of(peft, tok, prompts, reference, rm,
          new EvalConfig(r.maxNewTokens(), r.samplesPerPrompt(), r.seed(), r.batchSize(), 2 * r.batchSize()));
      for (Iterator<Map.Entry<String, JsonNode>> it = r.policies().fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        PolicyEval s = evaluator.evaluate(e.getValue().asText().isBlank() ? null : "p_" + e.getKey());
        scores.put(e.getKey(), s);
        String k = e.getKey() + "/";
        metrics.put(k + "judge", s.greedy().mean());
        metrics.put(k + "format", s.greedy().format());
        metrics.put(k + "event_type", s.greedy().eventType());
        metrics.put(k + "risk_level", s.greedy().riskLevel());
        metrics.put(k + "sampled_judge", s.sampled().mean());
        metrics.put(k + "sampled_format", s.sampled().format());
        metrics.put(k + "sampled_event_type", s.sampled().eventType());
        metrics.put(k + "sampled_risk_level", s.sampled().riskLevel());
        if (!Double.isNaN(s.rmScore())) {
          metrics.put(k + "rm_score", s.rmScore());
        }
        metrics.put(k + "kl", s.kl());
        metrics.put(k + "kl_stderr", s.klStdErr());
        System.out.printf(Locale.ROOT, "   %-6s judge greedy %.3f (format %.3f, event type %.3f, risk level %.3f), sampled"
            + " at T 1 %.3f (%.3f, %.3f, %.3f)%s, KL %.4f +- %.4f%n", e.getKey(), s.greedy().mean(), s.greedy().format(),
            s.greedy().eventType(), s.greedy().riskLevel(), s.sampled().mean(), s.sampled().format(),
            s.sampled().eventType(), s.sampled().riskLevel(),
            Double.isNaN(s.rmScore()) ? "" : String.format(Locale.ROOT, ", RM score %.3f", s.rmScore()), s.kl(),
            s.klStdErr());
      }
    }
    ObjectNode json = new ObjectMapper().createObjectNode();
    json.put("alerts", alerts);
    json.put("samples_per_prompt", r.samplesPerPrompt());
    ObjectNode pol = json.putObject("policies");
    scores.forEach((name, s) -> {
      ObjectNode o = pol.putObject(name);
      o.put("judge", s.greedy().mean()).put("format", s.greedy().format()).put("event_type", s.greedy().eventType())
          .put("risk_level", s.greedy().riskLevel()).put("kl", s.kl()).put("kl_stderr", s.klStdErr())
          .put("sampled_judge", s.sampled().mean()).put("sampled_format", s.sampled().format())
          .put("sampled_event_type", s.sampled().eventType()).put("sampled_risk_level", s.sampled().riskLevel())
          .put("sample", s.greedySamples().isEmpty() ? "" : s.greedySamples().get(0));
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
}
