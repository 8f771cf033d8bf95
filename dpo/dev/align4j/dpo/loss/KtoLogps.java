package dev.align4j.dpo.loss;

import ai.djl.ndarray.NDArray;

/**
 * The inputs of {@link KtoLoss} for a batch of N unpaired examples.
 *
 * @param policy policy log-probs of the completions (summed over completion tokens), [N], with autograd
 * @param reference reference log-probs of the same completions, [N]
 * @param desirable the label of each example (true = desirable / chosen), length N
 * @param klPolicy policy log-probs of the mismatched completions (TRL's {@code KL_logps}: each prompt with
 *     another example's completion), [M]; null for apo_zero_unpaired
 * @param klReference reference log-probs of the mismatched completions, [M]; null for apo_zero_unpaired
 */
public record KtoLogps(NDArray policy, NDArray reference, boolean[] desirable, NDArray klPolicy,
    NDArray klReference) {

  public KtoLogps {
    if (policy == null || reference == null || desirable == null) {
      throw new IllegalArgumentException("policy and reference log-probs and the labels are required");
    }
    if (policy.getShape().dimension() != 1 || !policy.getShape().equals(reference.getShape())) {
      throw new IllegalArgumentException("policy and reference log-probs must both be [N], got " + policy.getShape()
          + " and " + reference.getShape());
    }
    if (desirable.length != policy.size()) {
      throw new IllegalArgumentException(desirable.length + " labels for " + policy.size() + " examples");
    }
    if ((klPolicy == null) != (klReference == null)) {
      throw new IllegalArgumentException("klPolicy and klReference come together");
    }
    if (klPolicy != null && !klPolicy.getShape().equals(klReference.getShape())) {
      throw new IllegalArgumentException("KL log-probs differ in shape: " + klPolicy.getShape() + " vs "
          + klReference.getShape());
    }
    desirable = desirable.clone();
  }

  @Override
  public boolean[] desirable() {
    return desirable.clone();
  }

  /** Number of desirable examples. */
  public int numDesirable() {
    int n = 0;
    for (boolean d : desirable) {
      n += d ? 1 : 0;
    }
    return n;
  }
}
