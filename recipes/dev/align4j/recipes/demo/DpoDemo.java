package dev.align4j.recipes.demo;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.dpo.DpoRecipe;
import dev.align4j.recipes.dpo.DpoRun;
import dev.align4j.recipes.dpo.Stage;
import dev.align4j.sft.demo.IncidentPreferences;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code align4j dpo --demo}: the incident task's preference pairs (chosen: the correct report;
 * rejected: a wrong event type, a wrong risk level or a broken format, on alerts the SFT data did not
 * use) train a DPO policy starting from the demo's SFT adapter, whose frozen copy is the reference;
 * the held-out judge scores of the SFT policy and of the DPO policy are printed side by side.
 */
public final class DpoDemo {
  private DpoDemo() {}

  /**
   * @param from an {@code align4j demo} directory (its {@code pt/model} and {@code sft/adapter})
   * @param out where the pairs, the DPO run and its outputs go
   * @param steps DPO steps
   */
  public static int run(Path from, Path out, long steps, int pairs, long seed, Device device) throws IOException {
    long t0 = System.nanoTime();
    Path model = from.resolve("pt").resolve("model");
    Path sft = from.resolve("sft").resolve("adapter");
    if (!Files.exists(model.resolve("config.json")) || !Files.exists(sft.resolve("adapter_model.safetensors"))) {
      throw new IllegalArgumentException(from + " holds no finished `align4j demo` run (" + model + ", " + sft
          + "); run `align4j demo --out " + from + "` first");
    }
    // alerts from another seed than the SFT data's: the pairs and the judged alerts are new to the policy
    IncidentPreferences.Split split = IncidentPreferences.split(pairs, 96, seed + 1_000);
    Path data = out.resolve("data");
    IncidentPreferences.writeJsonl(data.resolve("train.jsonl"), split.train());
    IncidentPreferences.writeJsonl(data.resolve("val.jsonl"), split.heldOut().subList(0, 32));
    System.out.printf("== DPO demo: %d preference pairs (chosen: the correct report; rejected: %s), from %s%n",
        split.train().size(), "wrong event type | wrong risk level | broken format", sft);
    DpoRecipe r = DpoRecipe.load(Path.of("recipes/demo_dpo.yaml"), List.of("model_name_or_path=" + model,
        "adapter_name_or_path=" + sft, "dataset=" + data.resolve("train.jsonl"), "eval_dataset=" + data.resolve("val.jsonl"),
        "output_dir=" + out.resolve("dpo"), "max_steps=" + steps, "seed=" + seed));
    DpoRun.Summary s = DpoRun.run(Stage.DPO, r, device);
    if (s.stopped()) {
      return dev.align4j.peft.train.StopSignal.exitCode();
    }
    var st = s.result().steps();
    if (!st.isEmpty()) {
      var last = st.get(st.size() - 1).metrics();
      System.out.printf("   loss %.3f -> %.3f over %d steps; reward accuracy %.2f, margin %.3f (reference: %s)%n",
          st.get(0).loss(), st.get(st.size() - 1).loss(), st.size(), last.get("rewards/accuracies"),
          last.get("rewards/margins"), s.reference());
    }
    List<IncidentEval.Item> items = new ArrayList<>();
    for (IncidentPreferences.Pair p : split.heldOut()) {
      items.add(new IncidentEval.Item(p.user(), p.gold()));
    }
    IncidentEval.Scores before;
    IncidentEval.Scores after;
    try (NDManager m = Torch.newManager(device);
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        Tokenizer tok = Tokenizer.load(model)) {
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          model.resolve("tokenizer_config.json") + " has no chat_template"));
      PeftModel peft = new PeftModel(pm.model());
      PeftAdapterFiles.load(peft, sft, "sft");
      PeftAdapterFiles.load(peft, out.resolve("dpo").resolve("adapter"), "dpo");
      peft.setActive("sft");
      before = IncidentEval.score(pm.model(), tok, template, items, 48);
      peft.setActive("dpo");
      after = IncidentEval.score(pm.model(), tok, template, items, 48);
    }
    System.out.printf("%n== held-out results (%d alerts new to both policies)%n", items.size());
    System.out.printf("%-26s %12s %12s%n", "metric", "SFT", "SFT + DPO");
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "event type exact match", 100 * before.eventType(), 100 * after.eventType());
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "risk level exact match", 100 * before.riskLevel(), 100 * after.riskLevel());
    System.out.printf("%-26s %11.1f%% %11.1f%%%n", "format adherence", 100 * before.format(), 100 * after.format());
    System.out.println("sample after DPO: " + (after.samples().isEmpty() ? "-" : after.samples().get(0)));
    System.out.println("plots: " + out.resolve("dpo/loss.png") + ", " + out.resolve("dpo/rewards.png")
        + "; metrics: " + out.resolve("dpo/metrics.jsonl") + "; adapter (PEFT format): " + out.resolve("dpo/adapter"));
    System.out.printf("done in %.0f s%n", (System.nanoTime() - t0) / 1e9);
    return 0;
  }
}
