package dev.align4j.dpo;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.torch.Torch;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The collator against TRL 1.13's {@code DataCollatorForPreference} docstring example and its truncation. */
class DpoCollatorTest {
  private static final List<DpoPair> DOC = List.of(
      new DpoPair(new long[] {1, 2, 3}, new long[] {4, 5}, new long[] {6}),
      new DpoPair(new long[] {7, 8}, new long[] {9}, new long[] {10, 11}));

  @Test
  void equalsTrlsDocstringExample() {
    try (NDManager m = Torch.newManager()) {
      DpoBatch b = DpoCollator.of(0).collate(m, DOC);
      // TRL: input_ids [[1,2,3,4,5],[7,8,9,0,0],[1,2,3,6,0],[7,8,10,11,0]]
      assertThat(b.input().inputIds().toLongArray()).containsExactly(
          1, 2, 3, 4, 5, 7, 8, 9, 0, 0, 1, 2, 3, 6, 0, 7, 8, 10, 11, 0);
      assertThat(b.input().attentionMask()).containsExactly(
          1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 1, 1, 1, 0);
      // TRL completion_mask [[0,0,0,1,1],[0,0,1,0,0],[0,0,0,1,0],[0,0,1,1,0]], shifted by one
      assertThat(b.completionMask().toFloatArray()).containsExactly(
          0, 0, 1, 1, 0, 1, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0);
      assertThat(b.completionLengths()).containsExactly(2, 1, 1, 2);
      assertThat(b.pairs()).isEqualTo(2);
      assertThat(b.ref()).isNull();
    }
  }

  @Test
  void truncationKeepsTheStartOrTheEndAsTrl() {
    try (NDManager m = Torch.newManager()) {
      DpoBatch start = new DpoCollator(0, 4, Truncation.KEEP_START, Double.NaN).collate(m, DOC);
      // rows cut to [:4]: [1,2,3,4] [7,8,9] [1,2,3,6] [7,8,10,11]
      assertThat(start.input().inputIds().toLongArray()).containsExactly(
          1, 2, 3, 4, 7, 8, 9, 0, 1, 2, 3, 6, 7, 8, 10, 11);
      assertThat(start.completionLengths()).containsExactly(1, 1, 1, 2);
      DpoBatch end = new DpoCollator(0, 3, Truncation.KEEP_END, Double.NaN).collate(m, DOC);
      // rows cut to [-3:]: [3,4,5] [7,8,9] [2,3,6] [8,10,11]
      assertThat(end.input().inputIds().toLongArray()).containsExactly(3, 4, 5, 7, 8, 9, 2, 3, 6, 8, 10, 11);
      assertThat(end.completionLengths()).containsExactly(2, 1, 1, 2);
    }
  }

  @Test
  void ldAlphaWeighsTheTailBeyondTheShorterCompletion() {
    try (NDManager m = Torch.newManager()) {
      List<DpoPair> p = List.of(new DpoPair(new long[] {1, 2}, new long[] {3, 4, 5}, new long[] {6}));
      DpoBatch b = new DpoCollator(0, 0, Truncation.KEEP_START, 0.5).collate(m, p);
      // chosen row [1,2,3,4,5]: targets 3,4,5 at shifted positions 1..3; shared length min(3,1) = 1
      assertThat(b.logpWeights().toFloatArray()).containsExactly(0, 1, 0.5f, 0.5f, 0, 1, 0, 0);
    }
  }

  @Test
  void refLogpsRideAlongOnlyWhenEveryPairHasThem() {
    try (NDManager m = Torch.newManager()) {
      List<DpoPair> p = List.of(DOC.get(0).withRef(new RefLogps(-1, -2)), DOC.get(1).withRef(new RefLogps(-3, -4)));
      assertThat(DpoCollator.of(0).collate(m, p).ref()).containsExactly(-1, -3, -2, -4);
      assertThat(DpoCollator.of(0).collate(m, List.of(p.get(0), DOC.get(1))).ref()).isNull();
    }
  }
}
