package dev.align4j.peft.data;

import java.util.List;

/**
 * A kept item and the later items dropped as its duplicates.
 *
 * @param keptId  caller's id of the first occurrence (e.g. its line)
 * @param dropped the duplicates, in input order
 */
public record DedupCluster(long keptId, List<Duplicate> dropped) {
  public DedupCluster {
    dropped = List.copyOf(dropped);
  }

  /** How a duplicate was recognised. */
  public enum Kind { EXACT, NEAR }

  /**
   * One dropped item.
   *
   * @param id         caller's id
   * @param kind       exact (same normalised text) or near (Jaccard at or above the threshold)
   * @param similarity Jaccard similarity to the kept item (1 for exact)
   */
  public record Duplicate(long id, Kind kind, double similarity) {
  }
}
