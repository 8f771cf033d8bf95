package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Early stopping on the eval loss, as transformers' EarlyStoppingCallback: a value counts as an
 * improvement when it is below the best so far by more than {@code minDelta}; after {@code patience}
 * evaluations without one the run stops.
 *
 * @param patience evaluations without improvement before stopping; 0 disables stopping (the best
 *     evaluation is still tracked)
 * @param minDelta improvement smaller than this does not count
 */
public record EarlyStopping(int patience, double minDelta) {
  /** Validates. */
  public EarlyStopping {
    if (patience < 0 || minDelta < 0) {
      throw new IllegalArgumentException("early stopping: patience and threshold must be >= 0");
    }
  }

  /** Never stops. */
  public static EarlyStopping off() {
    return new EarlyStopping(0, 0);
  }

  /**
   * Where early stopping stands; saved with every checkpoint so a resumed run compares against the
   * best evaluation of the whole run, not just its own.
   *
   * @param best the best eval loss so far (+infinity before the first evaluation)
   * @param bestStep the step of {@code best} (0 before the first evaluation)
   * @param sinceImprovement evaluations since {@code best}
   * @param stopped whether the run has stopped early
   */
  public record State(double best, long bestStep, int sinceImprovement, boolean stopped) {
    /** Before any evaluation. */
    public static State initial() {
      return new State(Double.POSITIVE_INFINITY, 0, 0, false);
    }

    /** The state after evaluating {@code value} at {@code step} under {@code rule}. */
    public State after(long step, double value, EarlyStopping rule) {
      if (value < best - rule.minDelta()) {
        return new State(value, step, 0, false);
      }
      int since = sinceImprovement + 1;
      return new State(best, bestStep, since, rule.patience() > 0 && since >= rule.patience());
    }

    /** As JSON ({@code best} is null before the first evaluation: JSON has no infinity). */
    public ObjectNode toJson() {
      ObjectNode n = new ObjectMapper().createObjectNode();
      if (Double.isFinite(best)) {
        n.put("best", best);
      } else {
        n.putNull("best");
      }
      return n.put("best_step", bestStep).put("since_improvement", sinceImprovement).put("stopped", stopped);
    }

    /** Reads {@link #toJson}'s form; a missing node gives the initial state. */
    public static State fromJson(JsonNode n) {
      if (n == null || !n.isObject()) {
        return initial();
      }
      double best = n.path("best").isNumber() ? n.path("best").asDouble() : Double.POSITIVE_INFINITY;
      return new State(best, n.path("best_step").asLong(), n.path("since_improvement").asInt(),
          n.path("stopped").asBoolean());
    }
  }
}
