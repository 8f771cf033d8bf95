package dev.align4j.recipes.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.recipes.Align4j;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The linear-probe experiment: {@code align4j probe --layer all} on fresh incident alerts for every
 * model of a demo run (the random initialisation, the pre-trained model, the SFT adapter and, when
 * present, the DPO, GRPO and PPO adapters), for the event type and the risk level, with mean and
 * last-token pooling. Writes one table ({@code probe.md}, {@code probe.csv}), one plot ({@code
 * probe_layers.png}: accuracy by layer, a line per model) and the exact commands ({@code commands.txt}).
 */
public final class ProbeExperiment {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The labels probed, each a field of {@code align4j data incident}'s rows. */
  static final List<String> LABELS = List.of("event_type", "risk_level");

  /** The poolings: the mean over the prompt's tokens, and the last token (where the model starts its answer). */
  static final List<String> POOLINGS = List.of("mean", "last");

  /**
   * One model of the comparison.
   *
   * @param name    its row name
   * @param model   the checkpoint
   * @param adapter a PEFT adapter on it, or null
   */
  record Subject(String name, Path model, Path adapter) {}

  /**
   * One probe's result: held-out accuracy per hidden-state index, and the majority baseline.
   *
   * @param subject  which model
   * @param label    which label
   * @param pooling  which pooling
   * @param eval     held-out accuracy by layer (index 0: the embeddings)
   * @param train    training accuracy by layer
   * @param baseline majority-class held-out accuracy
   */
  record Result(String subject, String label, String pooling, double[] eval, double[] train, double baseline) {}

  /**
   * Experiment settings.
   *
   * @param demo     a demo run folder ({@code runs/demo})
   * @param out      where the table, plot and commands go ({@code results/probe})
   * @param work     where the data and each probe's own output go
   * @param examples fresh alerts to probe (a 3:1 seeded split)
   * @param seed     the alerts' generator seed
   * @param device   {@code --device} for the probes, or null for the default
   */
  record Settings(Path demo, Path out, Path work, int examples, long seed, String device) {
    /** Validates. */
    Settings {
      if (examples < 8) {
        throw new IllegalArgumentException("--examples must be >= 8, got " + examples);
      }
    }
  }

  private ProbeExperiment() {}

  /** The demo's models that exist, in pipeline order; the pre-trained model and SFT adapter are required. */
  static List<Subject> subjects(Path demo) {
    Path pt = demo.resolve("pt/model");
    Path sft = demo.resolve("sft/adapter");
    for (Path p : List.of(pt.resolve("config.json"), sft.resolve("adapter_config.json"))) {
      if (!Files.isRegularFile(p)) {
        throw new IllegalArgumentException(p + " not found: run `align4j demo --out " + demo + "` first");
      }
    }
    List<Subject> out = new ArrayList<>();
    if (Files.isRegularFile(demo.resolve("base/config.json"))) {
      out.add(new Subject("random init", demo.resolve("base"), null));
    }
    out.add(new Subject("pre-trained", pt, null));
    out.add(new Subject("SFT", pt, sft));
    // the aligned policies continue the SFT adapter on the same base
    for (String stage : List.of("dpo", "grpo", "ppo")) {
      Path a = demo.resolve(stage).resolve("adapter");
      if (Files.isRegularFile(a.resolve("adapter_config.json"))) {
        out.add(new Subject(stage.toUpperCase(Locale.ROOT), pt, a));
      }
    }
    return out;
  }

  /** Runs every probe and writes the table, plot and commands; returns the results. */
  static List<Result> run(Settings s) throws IOException {
    List<Subject> subjects = subjects(s.demo());
    Files.createDirectories(s.work());
    Path data = s.work().resolve("incident.jsonl");
    List<String> commands = new ArrayList<>();
    // the experiment itself first, then each command it runs, in order
    commands.add(line(experimentArgs(s)));
    List<String> gen = List.of("data", "incident", "--out", data.toString(), "--examples",
        Integer.toString(s.examples()), "--seed", Long.toString(s.seed()));
    commands.add(line(gen));
    execute(gen);
    List<Result> results = new ArrayList<>();
    for (Subject subject : subjects) {
      for (String label : LABELS) {
        for (String pooling : POOLINGS) {
          Path dir = s.work().resolve(slug(subject.name())).resolve(label + "-" + pooling);
          List<String> args = new ArrayList<>(List.of("probe", "--model", subject.model().toString()));
          if (subject.adapter() != null) {
            args.addAll(List.of("--adapter", subject.adapter().toString()));
          }
          args.addAll(List.of("--data", data.toString(), "--label", label, "--layer", "all", "--pooling", pooling,
              "--out", dir.toString()));
          if (s.device() != null) {
            args.addAll(List.of("--device", s.device()));
          }
          commands.add(line(args));
          execute(args);
          results.add(read(subject.name(), label, pooling, dir.resolve("probe.json")));
        }
      }
    }
    Files.createDirectories(s.out());
    AtomicFiles.writeString(s.out().resolve("probe.md"), ProbeTables.markdown(results, subjects, s));
    AtomicFiles.writeString(s.out().resolve("probe.csv"), ProbeTables.csv(results));
    AtomicFiles.writeString(s.out().resolve("commands.txt"), String.join("\n", commands) + "\n");
    ProbePlot.write(results, subjects.stream().map(Subject::name).toList(), s.out().resolve("probe_layers.png"));
    return results;
  }

  private static void execute(List<String> args) {
    int rc = Align4j.execute(args.toArray(String[]::new));
    if (rc != 0) {
      throw new IllegalStateException("align4j " + String.join(" ", args) + " exited with " + rc);
    }
  }

  private static Result read(String subject, String label, String pooling, Path probeJson) throws IOException {
    JsonNode r = JSON.readTree(probeJson.toFile());
    JsonNode layers = r.get("layers");
    double[] eval = new double[layers.size()];
    double[] train = new double[layers.size()];
    for (int i = 0; i < eval.length; i++) {
      if (layers.get(i).get("layer").asInt() != i) {
        throw new IllegalStateException(probeJson + ": layers[" + i + "] is layer " + layers.get(i).get("layer"));
      }
      eval[i] = layers.get(i).get("eval_accuracy").asDouble();
      train[i] = layers.get(i).get("train_accuracy").asDouble();
    }
    return new Result(subject, label, pooling, eval, train, r.get("majority_baseline").asDouble());
  }

  /** The {@code align4j experiment probe} arguments that regenerate these settings. */
  static List<String> experimentArgs(Settings s) {
    List<String> args = new ArrayList<>(List.of("experiment", "probe", "--demo", s.demo().toString(), "--out",
        s.out().toString(), "--work", s.work().toString(), "--examples", Integer.toString(s.examples()), "--seed",
        Long.toString(s.seed())));
    if (s.device() != null) {
      args.addAll(List.of("--device", s.device()));
    }
    return args;
  }

  private static String line(List<String> args) {
    return "./align4j " + String.join(" ", args);
  }

  static String slug(String name) {
    return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-");
  }
}
