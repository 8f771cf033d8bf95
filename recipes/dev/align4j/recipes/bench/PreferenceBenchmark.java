package dev.align4j.recipes.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.align4j.dpo.DpoBatch;
import dev.align4j.dpo.DpoCollator;
import dev.align4j.dpo.DpoFamilyLoss;
import dev.align4j.dpo.DpoObjective;
import dev.align4j.dpo.DpoPair;
import dev.align4j.dpo.RefLogps;
import dev.align4j.dpo.Reference;
import dev.align4j.dpo.loss.DpoLossConfig;
import dev.align4j.dpo.loss.DpoLossType;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.adapter.ScoreHead;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Objective;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingSession;
import dev.align4j.reward.BradleyTerry;
import dev.align4j.reward.RewardObjective;
import dev.align4j.reward.RewardPair;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One preference training step on the engine that {@code align4j rm} and {@code align4j dpo} train
 * with ({@link Trainer}: forward, backward, clipping at 1, AdamW), LoRA r16/alpha32 on every linear
 * layer of a random float32 model, fused attention: a reward-model step (Bradley-Terry, chosen and
 * rejected in one forward, score head trained) or a sigmoid DPO step (beta 0.1) with the reference
 * log-probs computed live (adapters off) or cached. Random token ids in {@code [1, vocab)}, pad id 0,
 * so no row is padded; prompts are half of each sequence for DPO.
 */
public final class PreferenceBenchmark {
  /** What one step trains. */
  public enum Mode {
    /** Reward model, Bradley-Terry. */
    RM,
    /** DPO with the reference forward in the step (adapters off). */
    DPO_LIVE,
    /** DPO with reference log-probs computed before training (TRL's precompute_ref_log_probs). */
    DPO_CACHED
  }

  /**
   * One measured run.
   *
   * @param stepMs median wall time per step
   * @param cpuMs median process CPU time per step (all threads)
   * @param peakRssMiB VmHWM at the end (set-up included)
   */
  public record Row(Mode mode, int pairs, int seq, double stepMs, double cpuMs, double peakRssMiB, long trainable,
      double loss) {}

  private PreferenceBenchmark() {}

  /** Measures {@code steps} steps after {@code warmup} in this process. */
  public static Row run(ModelConfig c, Mode mode, int pairs, int seq, int warmup, int steps) throws IOException {
    if (pairs < 1 || seq < 4 || steps < 1 || warmup < 0) {
      throw new IllegalArgumentException("need --batch >= 1 pairs, --seq >= 4, --steps >= 1, --warmup >= 0");
    }
    try (NDManager m = Torch.newManager()) {
      Map<String, NDArray> w = RandomWeights.generate(c, m, 0, 0.02, 0, DataType.FLOAT32);
      try (CausalLM model = CausalLM.create(c, Precision.FLOAT32, AttentionImpl.FUSED, m, w)) {
        PeftModel peft = new PeftModel(model);
        peft.addLora("default", LoraConfig.of(16, 32, "all-linear"), 0);
        SplittableRandom rng = new SplittableRandom(0);
        TrainerConfig cfg = TrainerConfig.of(warmup + steps, pairs, 1);
        if (mode == Mode.RM) {
          ScoreHead head = peft.addScoreHead("default", 1, 0);
          List<RewardPair> data = new ArrayList<>();
          for (int i = 0; i < pairs; i++) {
            data.add(new RewardPair(ids(rng, c, seq), ids(rng, c, seq)));
          }
          return measure(model, peft, new RewardObjective(head, 0, new BradleyTerry(0)), data, mode, seq, cfg, warmup,
              steps);
        }
        int prompt = seq / 2;
        List<DpoPair> data = new ArrayList<>();
        for (int i = 0; i < pairs; i++) {
          data.add(new DpoPair(ids(rng, c, prompt), ids(rng, c, seq - prompt), ids(rng, c, seq - prompt)));
        }
        DpoCollator collator = DpoCollator.of(0);
        Reference ref = new Reference.AdaptersOff(peft.state());
        DpoFamilyLoss loss = new DpoFamilyLoss(DpoLossConfig.of(0.1, DpoLossType.SIGMOID));
        if (mode == Mode.DPO_CACHED) {
          data = cached(model, ref, collator, data);
          return measure(model, peft, new DpoObjective(collator, loss, null), data, mode, seq, cfg, warmup, steps);
        }
        return measure(model, peft, new DpoObjective(collator, loss, ref), data, mode, seq, cfg, warmup, steps);
      }
    } finally {
      Kernels.get();
    }
  }

  /** The pairs with their reference log-probs attached, as the precompute pass does before training. */
  private static List<DpoPair> cached(CausalLM model, Reference ref, DpoCollator collator, List<DpoPair> data) {
    try (NDManager sub = model.manager().newSubManager()) {
      DpoBatch b = collator.collate(sub, data);
      double[] lp = ref.logps(model, b);                                               // [2B]
      List<DpoPair> out = new ArrayList<>();
      for (int i = 0; i < data.size(); i++) {
        out.add(data.get(i).withRef(new RefLogps(lp[i], lp[data.size() + i])));
      }
      return out;
    }
  }

  private static <E, B> Row measure(CausalLM model, PeftModel peft, Objective<E, B> objective, List<E> data, Mode mode,
      int seq, TrainerConfig cfg, int warmup, int steps) throws IOException {
    long trainable = peft.trainableParameters().stream().mapToLong(p -> p.shape().size()).sum();
    double[] wall = new double[steps];
    double[] cpu = new double[steps];
    double loss = Double.NaN;
    try (TrainingSession<E, B> s = new Trainer(model, peft.trainableParameters(), cfg, x -> 1e-4, null).open(objective)) {
      for (int i = 0; i < warmup + steps; i++) {
        long c0 = processCpuNanos();
        long t0 = System.nanoTime();
        loss = s.step(List.of(data)).loss();   // the metrics read the loss back: the step is complete
        long t1 = System.nanoTime();
        long c1 = processCpuNanos();
        if (i >= warmup) {
          wall[i - warmup] = (t1 - t0) / 1e6;
          cpu[i - warmup] = (c1 - c0) / 1e6;
        }
      }
    }
    return new Row(mode, data.size(), seq, median(wall), median(cpu), MatmulRate.peakRssMiB(), trainable, loss);
  }

  private static long[] ids(SplittableRandom rng, ModelConfig c, int n) {
    long[] a = new long[n];
    for (int i = 0; i < n; i++) {
      a[i] = 1 + rng.nextInt(c.vocabSize() - 1);   // never the pad id 0
    }
    return a;
  }

  private static double median(double[] xs) {
    double[] s = xs.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  /** CPU time of every thread of this process so far (libtorch's pool included), ns. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
  }
}
