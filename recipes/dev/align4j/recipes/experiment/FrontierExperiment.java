package dev.align4j.recipes.experiment;

import ai.djl.Device;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.recipes.dpo.DpoRecipe;
import dev.align4j.recipes.dpo.DpoRun;
import dev.align4j.recipes.dpo.Stage;
import dev.align4j.recipes.eval.EvalConfig;
import dev.align4j.recipes.eval.EvalSession;
import dev.align4j.recipes.eval.PolicyEval;
import dev.align4j.recipes.rl.RlRecipe;
import dev.align4j.recipes.rl.RlRun;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The reward-vs-KL frontier on the incident task (the shape of the DPO paper's Fig. 2): from what
 * {@code align4j demo} leaves (the pre-trained tiny model, the SFT adapter, the split data), PPO with
 * the judge as reward at several KL coefficients and DPO at several betas, each run measured by
 * {@link dev.align4j.recipes.eval.PolicyEvaluator} at its last two checkpoints (halfway, end) next to
 * the SFT policy: held-out judge score against the Monte-Carlo KL to the SFT reference. Runs start
 * afresh, so the same seed gives the same numbers on the same machine.
 */
public final class FrontierExperiment {
  /** The recipes the runs start from (tuned for the demo; only the swept key and paths are overridden). */
  public static final Path PPO_RECIPE = Path.of("recipes/ppo_incident.yaml");
  /** The DPO recipe. */
  public static final Path DPO_RECIPE = Path.of("recipes/demo_dpo.yaml");

  /** One training run to measure. */
  private record Run(String method, String param, double value, Path dir, String adapterName) {}

  private FrontierExperiment() {}

  /** The demo outputs the experiment needs, or an error telling the user to run the demo. */
  public static void requireDemo(Path demo) {
    for (Path p : demoInputs(demo)) {
      if (!Files.exists(p)) {
        throw new IllegalArgumentException(p + " not found: run `align4j demo --out " + demo + "` first (or `align4j"
            + " experiment all`, which runs it)");
      }
    }
  }

  /** What {@code align4j demo} must have left. */
  public static List<Path> demoInputs(Path demo) {
    return List.of(demo.resolve("pt/model/config.json"), demo.resolve("sft/adapter/adapter_model.safetensors"),
        demo.resolve("data/train.jsonl"), demo.resolve("data/val.jsonl"));
  }

  /**
   * Trains every run under {@code work} (deleted first) and measures it; returns the points, the SFT
   * point first, then each run's checkpoints in step order (none when a stop signal ended a run).
   */
  public static List<FrontierPoint> run(FrontierConfig cfg, Path demo, Path work, Device device) throws IOException {
    requireDemo(demo);
    Path model = demo.resolve("pt/model");
    Path sft = demo.resolve("sft/adapter");
    if (Files.exists(work)) {
      AtomicFiles.deleteTree(work);
    }
    Files.createDirectories(work);
    List<Run> runs = new ArrayList<>();
    for (double k : cfg.klCoefs()) {
      Path dir = work.resolve("ppo-kl_coef-" + FrontierReport.num(k));
      List<String> o = new ArrayList<>(List.of("model_name_or_path=" + model, "adapter_name_or_path=" + sft,
          "dataset=" + demo.resolve("data/train.jsonl"), "eval_dataset=", "output_dir=" + dir, "kl_coef=" + k,
          "max_steps=" + cfg.ppoSteps(), "save_steps=" + Math.max(1, cfg.ppoSteps() / 2), "seed=" + cfg.seed(),
          // the frontier's PPO optimises the judge itself (the DPO paper's PPO-GT), whatever reward the demo's
          // PPO recipe names (the demo's reward model)
          "reward=incident_judge", "reward_model=", "normalize_reward=false"));
      o.addAll(cfg.ppoOverrides());
      System.err.printf("frontier: PPO kl_coef=%s (%d steps) -> %s%n", FrontierReport.num(k), cfg.ppoSteps(), dir);
      RlRun.Summary s = RlRun.run(RlRun.Kind.PPO, RlRecipe.load(PPO_RECIPE, o), device);
      if (s.result().stopped()) {
        return List.of();
      }
      runs.add(new Run("PPO", "kl_coef", k, dir, "policy"));
    }
    if (!cfg.betas().isEmpty()) {
      // the pairs of `align4j dpo --demo`: alerts from another seed than the SFT data's
      IncidentPreferences.Split split = IncidentPreferences.split(cfg.pairs(), 96, cfg.seed() + 1_000);
      Path pairs = work.resolve("pairs.jsonl");
      IncidentPreferences.writeJsonl(pairs, split.train());
      for (double b : cfg.betas()) {
        Path dir = work.resolve("dpo-beta-" + FrontierReport.num(b));
        List<String> o = new ArrayList<>(List.of("model_name_or_path=" + model, "adapter_name_or_path=" + sft,
            "dataset=" + pairs, "eval_dataset=", "output_dir=" + dir, "pref_beta=" + b, "max_steps=" + cfg.dpoSteps(),
            "save_steps=" + Math.max(1, cfg.dpoSteps() / 2), "seed=" + cfg.seed()));
        o.addAll(cfg.dpoOverrides());
        System.err.printf("frontier: DPO beta=%s (%d steps) -> %s%n", FrontierReport.num(b), cfg.dpoSteps(), dir);
        DpoRun.Summary s = DpoRun.run(Stage.DPO, DpoRecipe.load(DPO_RECIPE, o), device);
        if (s.stopped()) {
          return List.of();
        }
        runs.add(new Run("DPO", "pref_beta", b, dir, "default"));
      }
    }
    return measure(cfg, demo, runs, device);
  }

  /** The SFT point, then every run at each of its checkpoints, on one loaded base. */
  private static List<FrontierPoint> measure(FrontierConfig cfg, Path demo, List<Run> runs, Device device)
      throws IOException {
    Path sft = demo.resolve("sft/adapter");
    List<FrontierPoint> points = new ArrayList<>();
    // wide batches: the tiny model's decoding is bound by per-step overhead, not by the batch
    EvalConfig ec = new EvalConfig(cfg.maxNewTokens(), cfg.samplesPerPrompt(), cfg.seed(), 32, 64);
    try (EvalSession s = EvalSession.open(demo.resolve("pt/model"), sft, demo.resolve("data/val.jsonl"),
        cfg.evalPrompts(), null, ec, device)) {
      // the SFT policy: a second copy of the reference's files (its KL is exactly 0)
      s.loadPolicy("sft", sft);
      points.add(point("SFT", "", Double.NaN, 0, s.evaluate("sft")));
      for (int i = 0; i < runs.size(); i++) {
        Run r = runs.get(i);
        String name = "run" + i;
        s.loadPolicy(name, sft);
        for (Path ckpt : checkpoints(r.dir())) {
          long step = Long.parseLong(ckpt.getFileName().toString().substring("checkpoint-".length()));
          s.setFromCheckpoint(name, ckpt, r.adapterName());
          points.add(point(r.method(), r.param(), r.value(), step, s.evaluate(name)));
        }
      }
    }
    return points;
  }

  private static FrontierPoint point(String method, String param, double value, long step, PolicyEval e) {
    FrontierPoint p = new FrontierPoint(method, param, value, step, e);
    System.err.printf(Locale.ROOT, "frontier: %-22s step %3d  judge %.4f (greedy), %.4f (sampled)  KL %.4f +- %.4f%n",
        p.run(), step, e.greedy().mean(), e.sampledReward(), e.kl(), e.klStdErr());
    return p;
  }

  /** A run's complete checkpoints, oldest first. */
  static List<Path> checkpoints(Path runDir) throws IOException {
    Path dir = runDir.resolve("checkpoints");
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException(runDir + " wrote no checkpoints");
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d+"))
          .filter(p -> Files.exists(p.resolve("trainable.safetensors")))
          .sorted(Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString().substring(11))))
          .toList();
    }
  }
}
