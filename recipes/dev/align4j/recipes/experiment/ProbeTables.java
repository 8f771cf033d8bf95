package dev.align4j.recipes.experiment;

import dev.align4j.recipes.experiment.ProbeExperiment.Result;
import dev.align4j.recipes.experiment.ProbeExperiment.Settings;
import dev.align4j.recipes.experiment.ProbeExperiment.Subject;
import java.util.List;
import java.util.Locale;

/** The probe experiment's table: markdown (one table per label and pooling) and CSV (one row per probe and layer). */
final class ProbeTables {
  private ProbeTables() {}

  /** Held-out accuracy by layer (columns) and model (rows), one table per label and pooling. */
  static String markdown(List<Result> results, List<Subject> subjects, Settings s) {
    StringBuilder md = new StringBuilder("# Linear probes on the incident task\n\n");
    md.append(String.format(Locale.ROOT, "%d fresh alerts (`align4j data incident --examples %d --seed %d`), a 3:1 "
        + "seeded split, one L2 logistic-regression probe per hidden state (`align4j probe --layer all`); "
        + "held-out accuracy. Models: ", s.examples(), s.examples(), s.seed()));
    for (int i = 0; i < subjects.size(); i++) {
      Subject sub = subjects.get(i);
      md.append(i > 0 ? ", " : "").append(sub.name()).append(" (`").append(sub.model())
          .append(sub.adapter() != null ? "` + `" + sub.adapter() : "").append("`)");
    }
    md.append(". The exact commands are in `commands.txt`.\n");
    for (String label : ProbeExperiment.LABELS) {
      for (String pooling : ProbeExperiment.POOLINGS) {
        List<Result> rows = results.stream().filter(r -> r.label().equals(label) && r.pooling().equals(pooling)).toList();
        if (rows.isEmpty()) {
          continue;
        }
        int layers = rows.get(0).eval().length;
        md.append("\n## ").append(label).append(", ").append(pooling).append(" pooling\n\n| model |");
        for (int l = 0; l < layers; l++) {
          md.append(' ').append(l).append(l == 0 ? " (embeddings)" : l == layers - 1 ? " (final)" : "").append(" |");
        }
        md.append(" train, final |\n|---|");
        md.append("---|".repeat(layers + 1)).append('\n');
        for (Result r : rows) {
          md.append("| ").append(r.subject()).append(" |");
          for (double a : r.eval()) {
            md.append(' ').append(pct(a)).append(" |");
          }
          md.append(' ').append(pct(r.train()[layers - 1])).append(" |\n");
        }
        md.append("| majority class |").append((" " + pct(rows.get(0).baseline()) + " |").repeat(layers)).append(" |\n");
      }
    }
    return md.toString();
  }

  /** {@code model,label,pooling,layer,eval_accuracy,train_accuracy,majority_baseline} per probe and layer. */
  static String csv(List<Result> results) {
    StringBuilder csv = new StringBuilder("model,label,pooling,layer,eval_accuracy,train_accuracy,majority_baseline\n");
    for (Result r : results) {
      for (int l = 0; l < r.eval().length; l++) {
        csv.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%.6f,%.6f,%.6f%n", r.subject(), r.label(), r.pooling(), l,
            r.eval()[l], r.train()[l], r.baseline()));
      }
    }
    return csv.toString();
  }

  private static String pct(double a) {
    return String.format(Locale.ROOT, "%.1f%%", 100 * a);
  }
}
