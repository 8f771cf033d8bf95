package dev.align4j.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.dpo.loss.KtoLogps;
import dev.align4j.dpo.loss.KtoLoss;
import dev.align4j.dpo.loss.KtoLossConfig;
import dev.align4j.dpo.loss.KtoLossOutput;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.train.Objective;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * KTO on the shared engine, as TRL 1.13's {@code KTOTrainer}: the policy's completion log-probs with
 * autograd, the KL estimate from the mismatched completions (policy and reference, no gradient), the
 * reference live or from the cache, and {@link KtoLoss} summed over examples (the engine divides by
 * the effective batch's examples: TRL's mean for one micro-batch). Its unit is a {@link KtoBlock}, so a
 * micro-batch holds the completions its KL term is scored on, as TRL's sequential sampler gives.
 */
public final class KtoObjective implements Objective<KtoBlock, KtoBatch> {
  private final KtoLossConfig config;
  private final long padId;
  private final int maxLength;
  private final Reference reference;

  /**
   * @param reference the live reference for batches without cached log-probs (null: all cached)
   * @param maxLength rows longer than this are cut keeping their start (0: no limit)
   */
  public KtoObjective(KtoLossConfig config, long padId, int maxLength, Reference reference) {
    this.config = config;
    this.padId = padId;
    this.maxLength = maxLength;
    this.reference = reference;
  }

  @Override
  public KtoBatch collate(NDManager manager, List<KtoBlock> blocks) {
    List<KtoExample> examples = flatten(blocks);
    int n = examples.size();
    long[][] prompts = new long[n][];
    long[][] completions = new long[n][];
    long[][] kl = new long[n][];
    boolean[] labels = new boolean[n];
    boolean cached = examples.stream().allMatch(e -> e.ref() != null);
    double[] ref = cached ? new double[n] : null;
    double[] refKl = cached ? new double[n] : null;
    for (int i = 0; i < n; i++) {
      KtoExample e = examples.get(i);
      prompts[i] = e.promptIds();
      completions[i] = e.completionIds();
      kl[i] = e.klCompletionIds();
      labels[i] = e.desirable();
      if (cached) {
        ref[i] = e.ref().chosen();
        refKl[i] = e.ref().rejected();
      }
    }
    return new KtoBatch(SequenceRows.collate(manager, prompts, completions, padId, maxLength, n),
        SequenceRows.collate(manager, prompts, kl, padId, maxLength, n), labels, ref, refKl);
  }

  @Override
  public long count(List<KtoBlock> blocks) {
    return flatten(blocks).size();
  }

  private static List<KtoExample> flatten(List<KtoBlock> blocks) {
    List<KtoExample> out = new java.util.ArrayList<>();
    blocks.forEach(b -> out.addAll(b.examples()));
    return out;
  }

  @Override
  public String countName() {
    return "examples";
  }

  @Override
  public long tokens(List<KtoBlock> blocks) {
    long t = 0;
    for (KtoExample e : flatten(blocks)) {
      t += e.promptIds().length + e.completionIds().length;
    }
    return t;
  }

  @Override
  public ModelInput input(KtoBatch batch) {
    return batch.main().input();
  }

  @Override
  public Loss lossFromHidden(CausalLM model, KtoBatch batch, NDArray hidden) {
    NDArray logits = model.logits(hidden);                                       // [N, T, V]
    NDArray sums = CompletionLogps.of(logits, batch.main()).sums();              // [N]
    NDManager m = logits.getManager();
    int n = batch.desirable().length;
    double[] ref = batch.ref();
    double[] refKl = batch.refKl();
    if (ref == null) {
      if (reference == null) {
        throw new IllegalStateException("no reference log-probs: the batch carries none and no live reference was given");
      }
      ref = reference.logps(model, batch.main());
      refKl = config.lossType().usesKl() ? reference.logps(model, batch.kl()) : null;
    }
    NDArray klPolicy = null;
    NDArray klRef = null;
    if (config.lossType().usesKl()) {
      klPolicy = m.create(new Reference.Policy().logps(model, batch.kl())).toType(sums.getDataType(), false);
      klRef = m.create(refKl).toType(sums.getDataType(), false);
    }
    NDArray refArr = m.create(ref).toType(sums.getDataType(), false);
    KtoLossOutput out = KtoLoss.compute(config, new KtoLogps(sums, refArr, batch.desirable(), klPolicy, klRef));
    Map<String, NDArray> metrics = new LinkedHashMap<>();
    out.metrics().logs().forEach((k, v) -> metrics.put(k, m.create(n * v)));
    DpoMetrics.tokenMetrics(m, logits, batch.main(), batch.desirable(), false, n, metrics);
    return new Loss(out.loss().mul(dev.align4j.peft.kernels.Kernels.scalar(out.loss(), n)), metrics);
  }
}
