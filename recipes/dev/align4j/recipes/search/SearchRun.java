package dev.align4j.recipes.search;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.search.Curve;
import dev.align4j.peft.search.Direction;
import dev.align4j.peft.search.Observation;
import dev.align4j.peft.search.Pruner;
import dev.align4j.peft.search.Seeds;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.Align4j;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import picocli.CommandLine;

/**
 * The search loop: propose, run the trial as a child of the stage command in {@code trials/NNN/},
 * read its objective from its {@code metrics.jsonl}, record it in {@code search.jsonl}, and keep
 * the report (table, plot, best recipe) current after every trial.
 *
 * <p>Resuming: a trial's line is appended (and synced) only once it has finished, so an interrupted
 * search has a prefix of its trials on record; rerunning the same spec replays them (checking that the
 * strategy proposes the same points, which it does for the same seed and history) and continues with
 * the first unfinished trial, whose child resumes from its own checkpoint.
 */
public final class SearchRun {
  /** The record of trials, one JSON line each. */
  public static final String LOG = "search.jsonl";
  /** The spec a search was started with (the resume check). */
  public static final String SPEC = "search_spec.json";

  private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  /**
   * What a search produced.
   *
   * @param stopped whether a signal stopped it (rerun the same command to continue)
   */
  public record Result(List<Trial> trials, Optional<Trial> best, Path outputDir, boolean stopped) {}

  private SearchRun() {}

  /** Runs (or resumes) a search. */
  public static Result run(SearchSpec spec) throws IOException {
    return run(spec, TrialRunner.of(spec.runner()));
  }

  /** Runs (or resumes) a search with {@code runner}. */
  public static Result run(SearchSpec spec, TrialRunner runner) throws IOException {
    return run(spec, runner, List.of());
  }

  /**
   * Runs (or resumes) a search with {@code runner}, passing {@code stageOptions} (such as {@code
   * --device gpu}) to every trial's stage command.
   */
  public static Result run(SearchSpec spec, TrialRunner runner, List<String> stageOptions) throws IOException {
    requireStage(spec.stage());
    if (!Files.exists(spec.recipe())) {
      throw new java.nio.file.NoSuchFileException(spec.recipe().toString(), null, "base recipe not found");
    }
    Path out = spec.outputDir();
    Files.createDirectories(out);
    requireSameSpec(spec, out.resolve(SPEC));
    List<Trial> done = readLog(out.resolve(LOG));
    Direction dir = spec.direction();
    for (Trial t : done) {
      double[] again = spec.strategy().propose(t.index(), observations(done.subList(0, t.index()), dir), spec.space(), spec.seed());
      if (!Arrays.equals(again, t.point())) {
        throw new IllegalArgumentException(out.resolve(LOG) + ": trial " + t.index()
            + " was proposed differently before; the search seed, space or strategy changed (use a new output_dir)");
      }
    }
    if (!done.isEmpty()) {
      System.err.printf("align4j search: resuming after %d finished trial(s) in %s%n", done.size(), out.resolve(LOG));
    }
    boolean stopped = false;
    try (StopSignal.Region graceful = StopSignal.graceful()) {
      for (int i = done.size(); i < spec.trials(); i++) {
        if (StopSignal.requested()) {
          stopped = true;
          break;
        }
        Optional<Trial> t = runTrial(spec, runner, stageOptions, i, done);
        if (t.isEmpty()) {
          stopped = true;
          break;
        }
        appendLine(out.resolve(LOG), t.get().toJson());
        done.add(t.get());
        SearchReport.write(spec, done, false);
      }
    }
    SearchReport.write(spec, done, true);
    if (stopped) {
      System.err.printf("align4j: search stopped by %s after %d trial(s); rerun the same command to continue%n",
          StopSignal.signalName(), done.size());
    }
    return new Result(List.copyOf(done), SearchReport.best(spec, done), out, stopped);
  }

  /** Runs trial {@code i}; empty when a stop of the search interrupted it (nothing is recorded). */
  private static Optional<Trial> runTrial(SearchSpec spec, TrialRunner runner, List<String> stageOptions, int i,
      List<Trial> done) throws IOException {
    Direction dir = spec.direction();
    double[] point = spec.strategy().propose(i, observations(done, dir), spec.space(), spec.seed());
    Map<String, JsonNode> params = spec.space().decode(point);
    JsonNode fixedSeed = params.containsKey("seed") ? params.get("seed") : spec.overrides().get("seed");
    long seed = fixedSeed != null ? fixedSeed.asLong() : Seeds.trialSeed(spec.seed(), i);   // what the child runs with
    Path tdir = trialDir(spec.outputDir(), i);
    List<String> args = new ArrayList<>(List.of(spec.stage()));
    args.addAll(stageOptions);
    args.addAll(List.of("--config", spec.recipe().toString()));
    args.addAll(spec.trialOverrides(params, seed, tdir));
    List<Pruner.TrialCurve> previous = done.stream()
        .filter(t -> t.status() != Trial.Status.FAILED)
        .map(t -> new Pruner.TrialCurve(t.lossCurve(dir), t.status() == Trial.Status.OK)).toList();
    Path metrics = tdir.resolve("metrics.jsonl");
    System.err.printf("align4j search: trial %d/%d in %s: %s%n", i + 1, spec.trials(), tdir, params);
    TrialRunner.Outcome o = runner.run(args, tdir,
        () -> spec.pruner().firstStop(toLoss(readCurve(metrics, spec.metric()), dir), previous) >= 0);
    if (StopSignal.requested() && !o.stoppedByUs() && o.exitCode() != 0) {
      return Optional.empty();
    }
    double[][] curve = readCurve(metrics, spec.metric());
    String error = "";
    if (o.exitCode() != 0 && !o.stoppedByUs()) {
      error = o.error();
    } else if (curve[0].length == 0) {
      error = "metric '" + spec.metric() + "' not found in " + metrics + " (fields: " + fields(metrics) + ")";
    }
    if (!error.isEmpty()) {
      if (i == 0) {
        // the first trial failing is almost always the spec or the base recipe: stop, record nothing
        throw new IllegalArgumentException("search trial 0 failed: " + error);
      }
      System.err.printf("align4j search: trial %d failed: %s%n", i, error);
      return Optional.of(new Trial(i, point, params, seed, Trial.Status.FAILED, Double.NaN, new long[0], new double[0], error));
    }
    long[] steps = Arrays.stream(curve[0]).mapToLong(d -> (long) d).toArray();
    double[] values = curve[1];
    int stop = spec.pruner().firstStop(toLoss(steps, values, dir), previous);
    if (stop < 0 && o.stoppedByUs()) {
      stop = steps.length - 1;     // cannot happen (the replay sees what the monitor saw), kept safe
    }
    if (stop >= 0) {
      steps = Arrays.copyOf(steps, stop + 1);
      values = Arrays.copyOf(values, stop + 1);
      System.err.printf("align4j search: trial %d pruned at step %d (%s %.6g)%n", i, steps[stop], spec.metric(), values[stop]);
    }
    Trial.Status status = stop >= 0 ? Trial.Status.PRUNED : Trial.Status.OK;
    return Optional.of(new Trial(i, point, params, seed, status, values[values.length - 1], steps, values, ""));
  }

  /** {@code trials/NNN}. */
  public static Path trialDir(Path out, int i) {
    return out.resolve("trials").resolve(String.format("%03d", i));
  }

  /** The strategy's view of finished trials. */
  static List<Observation> observations(List<Trial> done, Direction d) {
    return done.stream().map(t -> t.observation(d)).toList();
  }

  /** A curve as losses; NaN (a diverged run) counts as the worst value. */
  static Curve toLoss(long[] steps, double[] values, Direction d) {
    double[] l = new double[values.length];
    for (int i = 0; i < l.length; i++) {
      l[i] = Double.isNaN(values[i]) ? Double.POSITIVE_INFINITY : d.toLoss(values[i]);
    }
    return new Curve(steps, l);
  }

  private static Curve toLoss(double[][] curve, Direction d) {
    return toLoss(Arrays.stream(curve[0]).mapToLong(x -> (long) x).toArray(), curve[1], d);
  }

  /**
   * The metric's reports in a {@code metrics.jsonl} as {@code [steps, values]}: rows carrying it as a
   * number, steps increasing (a torn last line of a running child is skipped).
   */
  static double[][] readCurve(Path metrics, String metric) {
    List<double[]> rows = new ArrayList<>();
    if (Files.exists(metrics)) {
      List<String> lines;
      try {
        lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
      } catch (IOException e) {
        lines = List.of();
      }
      for (String line : lines) {
        try {
          JsonNode n = JSON.readTree(line);
          if (n != null && n.path(metric).isNumber() && n.path("step").isNumber()) {
            long step = n.get("step").asLong();
            if (rows.isEmpty() || step > (long) rows.get(rows.size() - 1)[0]) {
              rows.add(new double[] {step, n.get(metric).asDouble()});
            }
          }
        } catch (IOException | RuntimeException e) {
          // torn line
        }
      }
    }
    double[][] out = new double[2][rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      out[0][i] = rows.get(i)[0];
      out[1][i] = rows.get(i)[1];
    }
    return out;
  }

  private static String fields(Path metrics) {
    TreeSet<String> f = new TreeSet<>();
    try {
      for (String line : Files.readAllLines(metrics)) {
        try {
          JSON.readTree(line).fieldNames().forEachRemaining(f::add);
        } catch (IOException e) {
          // skip
        }
      }
    } catch (IOException e) {
      return "no metrics.jsonl";
    }
    return String.join(", ", f);
  }

  /** The stage must be an align4j subcommand with {@code --config}. */
  static void requireStage(String stage) {
    Map<String, CommandLine> subs = Align4j.commandLine().getSubcommands();
    CommandLine c = subs.get(stage);
    if (c == null || c.getCommandSpec().findOption("--config") == null || stage.equals("search")) {
      List<String> ok = subs.entrySet().stream()
          .filter(e -> e.getValue().getCommandSpec().findOption("--config") != null && !e.getKey().equals("search"))
          .map(Map.Entry::getKey).sorted().toList();
      throw new IllegalArgumentException("stage '" + stage + "' is not an align4j command that takes --config R.yaml (those are: "
          + String.join(", ", ok) + ")");
    }
  }

  /**
   * Writes {@code search_spec.json}, or checks that the spec equals the one already there ({@code
   * trials} may change: a search can be extended or cut short).
   */
  private static void requireSameSpec(SearchSpec spec, Path file) throws IOException {
    ObjectNode now = spec.tree().deepCopy();
    now.remove("trials");
    if (Files.exists(file)) {
      JsonNode before = JSON.readTree(file.toFile());
      if (!before.equals(now)) {
        TreeSet<String> diff = new TreeSet<>();
        before.fieldNames().forEachRemaining(k -> {
          if (!before.get(k).equals(now.get(k))) {
            diff.add(k);
          }
        });
        now.fieldNames().forEachRemaining(k -> {
          if (!before.has(k)) {
            diff.add(k);
          }
        });
        throw new IllegalArgumentException(spec.outputDir() + " holds a search with another spec (differs in: "
            + String.join(", ", diff) + "); only trials may change on resume; use a new output_dir");
      }
      return;
    }
    AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(now) + "\n");
  }

  /**
   * The finished trials on record. A torn last line (a crash while appending) is dropped and the
   * file rewritten without it; a bad line elsewhere is an error naming it.
   */
  static List<Trial> readLog(Path file) throws IOException {
    List<Trial> out = new ArrayList<>();
    if (!Files.exists(file)) {
      return out;
    }
    String text = Files.readString(file, StandardCharsets.UTF_8);
    String[] lines = text.split("\n", -1);
    int complete = lines.length - 1;   // the part after the last \n is empty, or torn
    StringBuilder kept = new StringBuilder();
    for (int i = 0; i < complete; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      Trial t;
      try {
        t = Trial.fromJson(JSON.readTree(lines[i]), file + ":" + (i + 1));
      } catch (IOException e) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": not JSON: " + e.getMessage(), e);
      }
      if (t.index() != out.size()) {
        throw new IllegalArgumentException(file + ":" + (i + 1) + ": trial " + t.index() + " where " + out.size() + " was expected");
      }
      out.add(t);
      kept.append(lines[i]).append('\n');
    }
    if (!lines[lines.length - 1].isEmpty()) {
      System.err.printf("align4j search: %s: dropping a torn last line (a crash while it was written)%n", file);
      AtomicFiles.writeString(file, kept.toString());
    }
    return out;
  }

  /** Appends one line and syncs it: a crash leaves the file with or without the whole line (a torn tail is dropped on read). */
  static void appendLine(Path file, JsonNode row) throws IOException {
    byte[] b = (JSON.writeValueAsString(row) + "\n").getBytes(StandardCharsets.UTF_8);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      ByteBuffer buf = ByteBuffer.wrap(b);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    }
  }
}
