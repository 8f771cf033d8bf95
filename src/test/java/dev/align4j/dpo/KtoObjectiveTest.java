package dev.align4j.dpo;

import static dev.align4j.dpo.DpoTestSupport.seqLogp;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.dpo.loss.KtoLossConfig;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Evaluation;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** KTO in float64 against TRL's formula evaluated on sequences scored one by one. */
class KtoObjectiveTest {
  private static final double BETA = 0.1;
  @TempDir Path tmp;

  static List<KtoExample> examples(int n, int block) {
    SplittableRandom r = new SplittableRandom(21);
    List<long[]> p = new ArrayList<>();
    List<long[]> c = new ArrayList<>();
    boolean[] labels = new boolean[n];
    for (int i = 0; i < n; i++) {
      p.add(DpoTestSupport.ids(r, 1 + r.nextInt(4)));
      c.add(DpoTestSupport.ids(r, 1 + r.nextInt(5)));
      labels[i] = i % 3 != 1;
    }
    return KtoExample.withKlCompletions(p, c, labels, block);
  }

  @Test
  void klCompletionsRotateWithinBlocksAsTrl() {
    List<KtoExample> e = examples(5, 2);
    // blocks [0,1] [2,3] [4]: (x0, y1), (x1, y0), (x2, y3), (x3, y2), (x4, y4)
    int[] from = {1, 0, 3, 2, 4};
    for (int i = 0; i < 5; i++) {
      assertThat(e.get(i).klCompletionIds()).isSameAs(e.get(from[i]).completionIds());
    }
  }

  @Test
  void lossEqualsTrlsFormulaAndCachedEqualsLive() throws IOException {
    List<KtoExample> data = examples(6, 3);
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
      Reference ref = new Reference.AdaptersOff(peft.state());
      KtoObjective live = new KtoObjective(KtoLossConfig.DEFAULTS, 0, 0, ref);
      List<KtoBlock> blocks = KtoBlock.of(data, 3);
      try (TrainingSession<KtoBlock, KtoBatch> s =
          new Trainer(model, peft.trainableParameters(), TrainerConfig.of(1, 1, 1), x -> 0.05, null).open(live)) {
        s.step(List.of(blocks.subList(0, 1)));   // move the policy off the reference
      }
      Evaluation.Result r = Evaluation.run(model, live, blocks.subList(0, 1), 1);
      // TRL: z0 = max(0, mean(KL_pi - KL_ref)); desirable 1 - sig(b(u - z0)), undesirable 1 - sig(b(z0 - u))
      double kl = 0;
      double[] u = new double[3];
      for (int i = 0; i < 3; i++) {
        KtoExample e = data.get(i);
        double pk = seqLogp(model, e.promptIds(), e.klCompletionIds());
        double pc = seqLogp(model, e.promptIds(), e.completionIds());
        try (AdapterScope off = peft.disabled()) {
          kl += pk - seqLogp(model, e.promptIds(), e.klCompletionIds());
          u[i] = pc - seqLogp(model, e.promptIds(), e.completionIds());
        }
      }
      double z0 = Math.max(0, kl / 3);
      double loss = 0;
      for (int i = 0; i < 3; i++) {
        double x = data.get(i).desirable() ? BETA * (u[i] - z0) : BETA * (z0 - u[i]);
        loss += 1 - 1 / (1 + Math.exp(-x));
      }
      assertThat(r.loss()).isCloseTo(loss / 3, Offset.offset(1e-12));
      assertThat(r.metrics().get("kl")).isCloseTo(z0, Offset.offset(1e-12));
      assertThat(Math.abs(r.loss() - 0.5)).isGreaterThan(1e-5);
      List<KtoExample> cached = ReferencePrecompute.attachKto(model, ref, data, 0, 0, 2, tmp, "ref", x -> { });
      Evaluation.Result c = Evaluation.run(model, new KtoObjective(KtoLossConfig.DEFAULTS, 0, 0, null),
          KtoBlock.of(cached, 3).subList(0, 1), 1);
      assertThat(c.loss()).isCloseTo(r.loss(), Offset.offset(1e-12));
      assertThat(c.metrics().get("kl")).isCloseTo(r.metrics().get("kl"), Offset.offset(1e-12));
    }
  }
}
