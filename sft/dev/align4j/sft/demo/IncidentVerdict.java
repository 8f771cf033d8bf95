package dev.align4j.sft.demo;

import java.util.Optional;

/**
 * The incident task's rule-based judge on one report, shared by the demo's held-out scoring, the RL
 * reward ({@code incident_judge}) and the policy evaluator, so that all three count alike.
 *
 * @param format    the report parses ({@link IncidentDataset#parse})
 * @param eventType it parses and names the gold event type
 * @param riskLevel it parses and names the gold risk level
 */
public record IncidentVerdict(boolean format, boolean eventType, boolean riskLevel) {

  /** Judges {@code report} (surrounding white space ignored) against the gold report's fields. */
  public static IncidentVerdict of(String report, ParsedReport gold) {
    Optional<ParsedReport> p = IncidentDataset.parse(report == null ? null : report.strip());
    return new IncidentVerdict(p.isPresent(), p.isPresent() && p.get().eventType().equals(gold.eventType()),
        p.isPresent() && p.get().riskLevel().equals(gold.riskLevel()));
  }

  /** One point each: 0 to 3. */
  public int points() {
    return (format ? 1 : 0) + (eventType ? 1 : 0) + (riskLevel ? 1 : 0);
  }

  /** The judge's score in [0, 1]: a third per point. */
  public double score() {
    return points() / 3.0;
  }
}
