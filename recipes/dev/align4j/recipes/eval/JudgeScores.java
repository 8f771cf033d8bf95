package dev.align4j.recipes.eval;

import dev.align4j.sft.demo.IncidentVerdict;
import java.util.List;

/**
 * The incident judge over a set of reports, as {@code IncidentEval} reports it: the mean judge score
 * (a third per part) and the share of reports with each part right.
 *
 * @param mean mean judge score in [0, 1]
 * @param format share of reports that parse
 * @param eventType share naming the gold event type
 * @param riskLevel share naming the gold risk level
 * @param count reports judged
 */
public record JudgeScores(double mean, double format, double eventType, double riskLevel, int count) {

  /** Aggregates verdicts; an empty list gives NaN shares. */
  public static JudgeScores of(List<IncidentVerdict> verdicts) {
    int f = 0;
    int t = 0;
    int r = 0;
    double s = 0;
    for (IncidentVerdict v : verdicts) {
      f += v.format() ? 1 : 0;
      t += v.eventType() ? 1 : 0;
      r += v.riskLevel() ? 1 : 0;
      s += v.score();
    }
    double n = verdicts.size();
    return new JudgeScores(s / n, f / n, t / n, r / n, verdicts.size());
  }
}
