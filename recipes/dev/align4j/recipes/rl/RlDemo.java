package dev.align4j.recipes.rl;

import ai.djl.Device;
import dev.align4j.peft.train.StopSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * {@code align4j grpo|ppo|rloo --demo}: RL on the incident task from what {@code align4j demo} left
 * (the pre-trained tiny model, the SFT adapter, the split data), with the rule-based judge as the
 * reward. Prints the held-out judge score of the SFT policy and of the trained one (greedy, the 96
 * held-out alerts) and the KL to the SFT reference; a fixed seed gives the same numbers.
 */
final class RlDemo {
  private RlDemo() {}

  static int run(RlRun.Kind kind, Path demoDir, Path config, List<String> overrides, Device device) throws IOException {
    String name = kind.name().toLowerCase(Locale.ROOT);
    Path model = demoDir.resolve("pt/model");
    Path adapter = demoDir.resolve("sft/adapter");
    for (Path p : List.of(model, adapter, demoDir.resolve("data/train.jsonl"), demoDir.resolve("data/val.jsonl"))) {
      if (!Files.exists(p)) {
        throw new IllegalArgumentException(p + " not found: run `align4j demo --out " + demoDir + "` first");
      }
    }
    // beside the demo's directory (as dpo --demo's runs/demo-dpo): the demo pipeline's own grpo/, ppo/ stay as they are
    Path out = demoDir.resolveSibling(demoDir.getFileName() + "-" + name);
    if (Files.exists(out)) {
      // the demo starts afresh: the same seed gives the same numbers
      try (Stream<Path> walk = Files.walk(out)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
    List<String> all = new ArrayList<>(List.of("model_name_or_path=" + model, "adapter_name_or_path=" + adapter,
        "dataset=" + demoDir.resolve("data/train.jsonl"), "eval_dataset=" + demoDir.resolve("data/val.jsonl"),
        "output_dir=" + out));
    all.addAll(overrides);
    Path recipe = config != null ? config : Path.of("recipes/" + name + "_incident.yaml");
    long t0 = System.nanoTime();
    RlRun.Summary s = RlRun.run(kind, RlRecipe.load(recipe, all), device);
    if (s.result().stopped()) {
      return StopSignal.exitCode();
    }
    List<double[]> evals = s.result().evals();
    List<Map<String, Double>> rollouts = s.result().rollouts();
    double maxKl = rollouts.stream().mapToDouble(m -> m.get("objective/kl")).max().orElse(Double.NaN);
    System.out.printf("%n== %s on the incident task (%s), %d steps, %d rollouts%n", name.toUpperCase(Locale.ROOT), recipe,
        s.result().steps().size(), rollouts.size());
    System.out.printf("%-44s %10s %10s%n", "metric", "SFT", name.toUpperCase(Locale.ROOT));
    System.out.printf("%-44s %10.4f %10.4f%n", "held-out judge score (greedy, 0..1)", evals.get(0)[1],
        evals.get(evals.size() - 1)[1]);
    System.out.printf("%-44s %10.4f %10.4f%n", "train reward (sampled, first/last rollout)",
        rollouts.get(0).get("objective/scores"), rollouts.get(rollouts.size() - 1).get("objective/scores"));
    System.out.printf("%-44s %10.4f %10.4f%n", "KL to the SFT reference (first/last rollout)",
        rollouts.get(0).get("objective/kl"), rollouts.get(rollouts.size() - 1).get("objective/kl"));
    System.out.printf("largest rollout KL %.4f; RSS with the base loaded %d MiB, peak %d MiB; %s (reward.png, kl.png,"
        + " metrics.jsonl, adapter/); done in %.0f s%n", maxKl, s.baseRssMib(), s.peakRssMib(), out,
        (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
