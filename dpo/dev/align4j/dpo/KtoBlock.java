package dev.align4j.dpo;

import java.util.ArrayList;
import java.util.List;

/**
 * A KTO micro-batch as TRL forms it: consecutive examples whose KL completions are each other's
 * completions ({@link KtoExample#withKlCompletions}). TRL reads them with a sequential sampler so each
 * batch scores the KL term on the same completions it trains on; align4j keeps each block whole and
 * shuffles the order of the blocks (one block per micro-batch).
 *
 * @param examples the block's examples (at most {@code per_device_train_batch_size})
 */
public record KtoBlock(List<KtoExample> examples) {
  /** Copies the list. */
  public KtoBlock {
    if (examples == null || examples.isEmpty()) {
      throw new IllegalArgumentException("a KTO block needs at least one example");
    }
    examples = List.copyOf(examples);
  }

  /** Consecutive blocks of {@code size} (the last possibly shorter): TRL's batches of the KL rotation. */
  public static List<KtoBlock> of(List<KtoExample> examples, int size) {
    List<KtoBlock> out = new ArrayList<>();
    for (int i = 0; i < examples.size(); i += size) {
      out.add(new KtoBlock(examples.subList(i, Math.min(examples.size(), i + size))));
    }
    return out;
  }
}
