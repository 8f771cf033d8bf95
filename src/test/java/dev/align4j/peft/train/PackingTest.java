package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class PackingTest {
  @ParameterizedTest
  @EnumSource(AttentionImpl.class)
  void packedLossEqualsUnpackedAndExamplesDoNotSeeEachOther(AttentionImpl impl) {
    ModelConfig c = TinyConfigs.of(ModelFamily.QWEN3);
    List<TrainingExample> ex = AccumulationTestData.examples();
    List<TrainingExample> rows = Packing.pack(ex, 24);
    assertThat(rows.size()).isLessThan(ex.size());
    assertThat(TokenLoss.totalTargets(List.of(rows))).isLessThan(TokenLoss.totalTargets(List.of(ex)) + 1);
    try (NDManager m = Torch.newManager();
        CausalLM model = CausalLM.create(c, Precision.FLOAT64, impl, m, RandomWeights.generate(c, m, 4, 0.3, 0.1, DataType.FLOAT64))) {
      double unpacked = 0;
      for (TrainingExample e : ex) {
        unpacked += TokenLoss.sumNll(model, TokenLoss.collate(m, List.of(e), 0)).getDouble();
      }
      double packed = TokenLoss.sumNll(model, TokenLoss.collate(m, rows, 0)).getDouble();
      // targets lost to packing: each example's first target (its second token) stays; only targets[0] is dropped
      assertThat(packed).isCloseTo(unpacked, Offset.offset(1e-9));
      // change the first example of row 0: the losses of the row's other examples do not move
      TrainingExample row = rows.get(0);
      long[] ids = row.ids().clone();
      for (int i = 0; i < ids.length && row.segments()[i] == 1; i++) {
        ids[i] = (ids[i] + 7) % 60 + 1;
      }
      boolean[] onlyLater = row.targets().clone();
      for (int i = 0; i < onlyLater.length; i++) {
        onlyLater[i] &= row.segments()[i] > 1;
      }
      double a = TokenLoss.sumNll(model, TokenLoss.collate(m, List.of(new TrainingExample(row.ids(), onlyLater, row.segments())), 0)).getDouble();
      double b = TokenLoss.sumNll(model, TokenLoss.collate(m, List.of(new TrainingExample(ids, onlyLater, row.segments())), 0)).getDouble();
      assertThat(b).isCloseTo(a, Offset.offset(1e-12));
    }
  }

  /** Examples with prompt/response masks and varied lengths. */
  static final class AccumulationTestData {
    static List<TrainingExample> examples() {
      java.util.SplittableRandom r = new java.util.SplittableRandom(4);
      List<TrainingExample> out = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        int len = 3 + r.nextInt(9);
        long[] ids = new long[len];
        boolean[] t = new boolean[len];
        for (int j = 0; j < len; j++) {
          ids[j] = 1 + r.nextInt(60);
          t[j] = j >= len / 2;
        }
        out.add(new TrainingExample(ids, t));
      }
      return out;
    }
  }
}
