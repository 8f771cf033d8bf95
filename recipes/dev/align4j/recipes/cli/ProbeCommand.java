package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.probe.AccuracyPlot;
import dev.align4j.peft.probe.HiddenFeatures;
import dev.align4j.peft.probe.LayerProbes;
import dev.align4j.peft.probe.Pooling;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j probe}: linear probes on frozen hidden states. For each chosen layer, the pooled
 * hidden states of every row are standardised on the training rows and an L2-regularised logistic
 * regression (multinomial above two classes) is fitted by L-BFGS; held-out accuracy is reported next
 * to the majority-class baseline.
 */
@Command(name = "probe", description = "Train linear (logistic-regression) probes on frozen hidden states; report held-out accuracy by layer.")
public final class ProbeCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin ModelOptions options;
  @Mixin AdapterOptions adapterOptions;

  @Option(names = "--data", required = true, description = "JSONL/JSON rows: a text (--text-key, or \"text\") or a conversation, and the label field")
  Path data;

  @Option(names = "--label", required = true, paramLabel = "KEY", description = "field holding the class (string, number or boolean)")
  String label;

  @Option(names = "--text-key", paramLabel = "KEY", description = "field holding the text (default: \"text\" when present, else the record is a conversation read up to its answer)")
  String textKey;

  @Option(names = "--layer", defaultValue = "last", paramLabel = "N|last|all",
      description = "hidden-state index as transformers' output_hidden_states (0 the embeddings, L the final normed states), last, or all (default: ${DEFAULT-VALUE})")
  String layer;

  @Option(names = "--pooling", defaultValue = "mean", description = "mean over the tokens, or last token (default: ${DEFAULT-VALUE})")
  String pooling;

  @Option(names = "--eval", paramLabel = "F.jsonl", description = "held-out rows (default: a seeded split of --data)")
  Path eval;

  @Option(names = "--eval-fraction", defaultValue = "0.25", description = "share of --data held out when --eval is absent (default: ${DEFAULT-VALUE})")
  double evalFraction;

  @Option(names = "--seed", defaultValue = "0", description = "seed of the split (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--l2", defaultValue = "0.01", description = "L2 strength on the standardised features: mean cross-entropy + l2/2 ||W||^2 (default: ${DEFAULT-VALUE})")
  double l2;

  @Option(names = "--max-tokens", defaultValue = "512", description = "longer inputs keep their last tokens (default: ${DEFAULT-VALUE})")
  int maxTokens;

  @Option(names = "--out", description = "directory for probe.json (and probe_layers.png with --layer all)")
  Path out;

  @Override
  public Integer call() throws Exception {
    Pooling pool = Pooling.parse(pooling);
    if (eval == null && !(evalFraction > 0 && evalFraction < 1)) {
      throw new IllegalArgumentException("--eval-fraction must be in (0, 1), got " + evalFraction);
    }
    if (maxTokens < 1) {
      throw new IllegalArgumentException("--max-tokens must be >= 1");
    }
    PrintStream stdout = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (NDManager m = Torch.newManager(options.device());
        PretrainedModel pm = options.load(m);
        Tokenizer tok = options.tokenizerFor(pm)) {
      int[] layers = layers(layer, pm.model().config().numLayers());
      List<ProbeExamples.Row> train = ProbeExamples.read(data, label, textKey, tok, maxTokens);
      List<ProbeExamples.Row> held;
      if (eval != null) {
        held = ProbeExamples.read(eval, label, textKey, tok, maxTokens);
      } else {
        List<List<ProbeExamples.Row>> split = split(train, evalFraction, seed);
        train = split.get(0);
        held = split.get(1);
      }
      // classes: those of the training rows, sorted; a held-out label never seen in training is wrong
      TreeMap<String, Integer> classes = new TreeMap<>();
      train.forEach(r -> classes.put(r.label(), 0));
      if (classes.size() < 2) {
        throw new IllegalArgumentException("--label " + label + ": the training rows hold " + classes.size()
            + " class(es); a probe needs at least 2");
      }
      int k = 0;
      for (var e : classes.entrySet()) {
        e.setValue(k++);
      }
      int[] yTrain = labels(train, classes);
      int[] yEval = labels(held, classes);
      adapterOptions.apply(pm.model());
      System.err.printf("align4j: probe %s on %d training and %d held-out rows, %d classes, layers %s, %s pooling%n",
          label, train.size(), held.size(), classes.size(), layer, pool.name().toLowerCase());
      long t0 = System.nanoTime();
      double[][][] fTrain = HiddenFeatures.extract(pm.model(), m, ids(train), layers, pool);
      double[][][] fEval = HiddenFeatures.extract(pm.model(), m, ids(held), layers, pool);
      long t1 = System.nanoTime();
      List<LayerProbes.LayerResult> results = LayerProbes.run(layers, fTrain, yTrain, fEval, yEval, classes.size(), l2);
      System.err.printf("align4j: hidden states in %.1f s, probes fitted in %.1f s%n", (t1 - t0) / 1e9,
          (System.nanoTime() - t1) / 1e9);
      double baseline = LayerProbes.majorityBaseline(yTrain, yEval, classes.size());

      stdout.printf("%-6s %10s %10s %10s%n", "layer", "held-out", "train", "loss");
      for (LayerProbes.LayerResult r : results) {
        stdout.printf("%-6d %9.1f%% %9.1f%% %10.4f%s%n", r.layer(), 100 * r.evalAccuracy(), 100 * r.trainAccuracy(),
            r.loss(), r.converged() ? "" : String.format("  (stopped at |grad| %.1e)", r.gradientMax()));
      }
      stdout.printf("majority class: %.1f%% held out (%d rows)%n", 100 * baseline, held.size());
      if (out != null) {
        Files.createDirectories(out);
        ObjectNode report = JSON.createObjectNode();
        report.put("model", options.model.toString());
        ArrayNode adapters = report.putArray("adapters");
        adapterOptions.adapters.forEach(adapters::add);
        report.put("data", data.toString());
        report.put("eval", eval == null ? null : eval.toString());
        report.put("label", label);
        report.putPOJO("classes", new ArrayList<>(classes.keySet()));
        report.put("pooling", pool.name().toLowerCase());
        report.put("l2", l2);
        report.put("seed", seed);
        report.put("train_rows", train.size());
        report.put("eval_rows", held.size());
        report.put("majority_baseline", baseline);
        ArrayNode rows = report.putArray("layers");
        for (LayerProbes.LayerResult r : results) {
          rows.addObject().put("layer", r.layer()).put("eval_accuracy", r.evalAccuracy())
              .put("train_accuracy", r.trainAccuracy()).put("loss", r.loss()).put("iterations", r.iterations())
              .put("gradient_max", r.gradientMax()).put("converged", r.converged());
        }
        AtomicFiles.writeString(out.resolve("probe.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(report) + "\n");
        if (results.size() > 1) {
          AccuracyPlot.write(results, baseline, "probe: " + label, out.resolve("probe_layers.png"));
        }
        System.err.println("align4j: wrote " + out.resolve("probe.json") + (results.size() > 1 ? " and probe_layers.png" : ""));
      }
    }
    return 0;
  }

  /** The hidden-state indices {@code --layer} names, for a model of {@code numLayers} decoder layers. */
  static int[] layers(String spec, int numLayers) {
    String s = spec.trim().toLowerCase();
    if (s.equals("all")) {
      int[] all = new int[numLayers + 1];
      for (int i = 0; i <= numLayers; i++) {
        all[i] = i;
      }
      return all;
    }
    if (s.equals("last")) {
      return new int[] {numLayers};
    }
    try {
      int n = Integer.parseInt(s);
      if (n < 0 || n > numLayers) {
        throw new IllegalArgumentException("--layer " + spec + ": the model has hidden states 0.." + numLayers);
      }
      return new int[] {n};
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--layer " + spec + ": expected a number 0.." + numLayers + ", last or all");
    }
  }

  /** A seeded shuffle; the first {@code round(fraction n)} rows (at least 1) are held out, each side in input order. */
  static List<List<ProbeExamples.Row>> split(List<ProbeExamples.Row> rows, double fraction, long seed) {
    int n = rows.size();
    int held = (int) Math.max(1, Math.round(fraction * n));
    if (held >= n) {
      throw new IllegalArgumentException("--data has " + n + " rows: too few to hold out " + held + " and train on the rest");
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    boolean[] isHeld = new boolean[n];
    for (int i = 0; i < held; i++) {
      isHeld[perm[i]] = true;
    }
    List<ProbeExamples.Row> a = new ArrayList<>();
    List<ProbeExamples.Row> b = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      (isHeld[i] ? b : a).add(rows.get(i));
    }
    return List.of(a, b);
  }

  private static int[] labels(List<ProbeExamples.Row> rows, TreeMap<String, Integer> classes) {
    int[] y = new int[rows.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = classes.getOrDefault(rows.get(i).label(), -1);
    }
    return y;
  }

  private static List<long[]> ids(List<ProbeExamples.Row> rows) {
    List<long[]> out = new ArrayList<>();
    rows.forEach(r -> out.add(r.ids()));
    return out;
  }
}
