package dev.align4j.dpo;

import static dev.align4j.dpo.DpoTestSupport.seqLogp;
import static dev.align4j.dpo.DpoTestSupport.softplusNeg;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.AdapterScope;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Evaluation;
import dev.align4j.peft.train.StepMetrics;
import dev.align4j.peft.train.Trainer;
import dev.align4j.peft.train.TrainerConfig;
import dev.align4j.peft.train.TrainingSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DPO objective in float64 against sequences scored one by one (no padding, no batching), the
 * reference live (adapters off, or a frozen copy of the starting adapter) and precomputed.
 */
class DpoObjectiveTest {
  private static final double BETA = 0.1;
  @TempDir Path tmp;

  /** A float64 tiny model with a LoRA adapter that one DPO step has moved off zero. */
  private static PeftModel movedPolicy(CausalLM model, List<DpoPair> pairs) throws IOException {
    PeftModel peft = new PeftModel(model);
    peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 7);
    DpoObjective obj = new DpoObjective(DpoCollator.of(0), DpoTestSupport.sigmoid(BETA),
        new Reference.AdaptersOff(peft.state()));
    try (TrainingSession<DpoPair, DpoBatch> s =
        new Trainer(model, peft.trainableParameters(), TrainerConfig.of(1, 4, 1), x -> 0.05, null).open(obj)) {
      StepMetrics m = s.step(List.of(pairs.subList(0, 4)));
      assertThat(m.loss()).isCloseTo(Math.log(2), Offset.offset(1e-12));   // policy == reference at the start
    }
    return peft;
  }

  @Test
  void liveLossAndMetricsEqualSequencesScoredOneByOne() throws IOException {
    List<DpoPair> pairs = DpoTestSupport.pairs(6, 11);
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      PeftModel peft = movedPolicy(model, pairs);
      DpoObjective obj = new DpoObjective(DpoCollator.of(0), DpoTestSupport.sigmoid(BETA),
          new Reference.AdaptersOff(peft.state()));
      Evaluation.Result r = Evaluation.run(model, obj, pairs, 4);   // batches of 4 and 2: padding differs
      double loss = 0;
      double margins = 0;
      double acc = 0;
      double logpChosen = 0;
      for (DpoPair p : pairs) {
        double pc = seqLogp(model, p.promptIds(), p.chosenIds());
        double pr = seqLogp(model, p.promptIds(), p.rejectedIds());
        double rc;
        double rr;
        try (AdapterScope off = peft.disabled()) {
          rc = seqLogp(model, p.promptIds(), p.chosenIds());
          rr = seqLogp(model, p.promptIds(), p.rejectedIds());
        }
        loss += softplusNeg(BETA * ((pc - rc) - (pr - rr)));
        margins += BETA * ((pc - rc) - (pr - rr));
        acc += BETA * (pc - rc) > BETA * (pr - rr) ? 1 : 0;
        logpChosen += pc;
      }
      int n = pairs.size();
      assertThat(r.count()).isEqualTo(n);
      assertThat(r.loss()).isCloseTo(loss / n, Offset.offset(1e-12));
      assertThat(Math.abs(loss / n - Math.log(2))).isGreaterThan(1e-4);   // the step moved the policy
      assertThat(r.metrics().get("rewards/margins")).isCloseTo(margins / n, Offset.offset(1e-12));
      assertThat(r.metrics().get("rewards/accuracies")).isCloseTo(acc / n, Offset.offset(1e-12));
      assertThat(r.metrics().get("logps/chosen")).isCloseTo(logpChosen / n, Offset.offset(1e-10));
    }
  }

  @Test
  void precomputedReferenceGivesTheLiveLossAndTheSameStep() throws IOException {
    List<DpoPair> pairs = DpoTestSupport.pairs(8, 12);
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      PeftModel peft = movedPolicy(model, pairs);
      Reference ref = new Reference.AdaptersOff(peft.state());
      DpoCollator c = DpoCollator.of(0);
      List<String> log = new ArrayList<>();
      List<DpoPair> cached = ReferencePrecompute.attach(model, ref, c, pairs, 3, tmp.resolve("cache"), "ref-A", log::add);
      DpoObjective live = new DpoObjective(c, DpoTestSupport.sigmoid(BETA), ref);
      DpoObjective fromCache = new DpoObjective(c, DpoTestSupport.sigmoid(BETA), null);
      Evaluation.Result a = Evaluation.run(model, live, pairs, 4);
      Evaluation.Result b = Evaluation.run(model, fromCache, cached, 4);
      assertThat(b.loss()).isCloseTo(a.loss(), Offset.offset(1e-12));
      for (String k : a.metrics().keySet()) {
        assertThat(b.metrics().get(k)).as(k).isCloseTo(a.metrics().get(k), Offset.offset(1e-12));
      }
      // one training step each way, from the same weights: the same update
      List<double[]> stepLive = stepFrom(model, peft, live, pairs);
      List<double[]> stepCached = stepFrom(model, peft, fromCache, cached);
      for (int i = 0; i < stepLive.size(); i++) {
        assertThat(stepCached.get(i)).containsExactly(stepLive.get(i), Offset.offset(1e-12));
      }
      // a second run reuses the file
      ReferencePrecompute.attach(model, ref, c, pairs, 3, tmp.resolve("cache"), "ref-A", log::add);
      assertThat(log.get(1)).startsWith("reference log-probs: reused");
    }
  }

  /** Loss and updated weights of one step of {@code obj}, then the weights are put back. */
  private static List<double[]> stepFrom(CausalLM model, PeftModel peft, DpoObjective obj, List<DpoPair> data)
      throws IOException {
    List<Parameter> params = peft.trainableParameters();
    List<ai.djl.ndarray.NDArray> saved = new ArrayList<>();
    for (Parameter p : params) {
      saved.add(p.data().duplicate());
    }
    List<double[]> out = new ArrayList<>();
    try (TrainingSession<DpoPair, DpoBatch> s =
        new Trainer(model, params, TrainerConfig.of(1, 4, 2), x -> 0.05, null).open(obj)) {
      StepMetrics st = s.step(List.of(data.subList(0, 4), data.subList(4, 8)));
      out.add(new double[] {st.loss(), st.gradNorm(), st.metrics().get("rewards/margins")});
      for (Parameter p : params) {
        out.add(p.data().toDoubleArray());
      }
    }
    for (int i = 0; i < params.size(); i++) {
      params.get(i).replace(saved.get(i));
    }
    return out;
  }

  @Test
  void startingAdapterIsItsOwnFrozenReference() throws IOException {
    List<DpoPair> pairs = DpoTestSupport.pairs(4, 13);
    Path adapter = tmp.resolve("adapter");
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      PeftModel trained = movedPolicy(model, pairs);
      PeftAdapterFiles.save(trained, "default", adapter, "tiny");
    }
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      PeftModel peft = new PeftModel(model);
      Reference.FrozenAdapter ref = Reference.FrozenAdapter.load(peft, adapter, "default");
      assertThat(peft.trainableAdapters()).containsExactly("default");
      DpoObjective withCopy = new DpoObjective(DpoCollator.of(0), DpoTestSupport.sigmoid(BETA), ref);
      DpoObjective withBase = new DpoObjective(DpoCollator.of(0), DpoTestSupport.sigmoid(BETA),
          new Reference.AdaptersOff(peft.state()));
      // the starting policy is its reference: every log-ratio is 0 (trl#1340: the bare base is not)
      Evaluation.Result copy = Evaluation.run(model, withCopy, pairs, 4);
      assertThat(copy.loss()).isCloseTo(Math.log(2), Offset.offset(1e-12));
      assertThat(copy.metrics().get("rewards/chosen")).isCloseTo(0, Offset.offset(1e-12));
      assertThat(Evaluation.run(model, withBase, pairs, 4).loss() - Math.log(2)).isNotCloseTo(0, Offset.offset(1e-4));
      // training moves the policy adapter only; the copy stays where it was
      double[] refBefore = peft.parametersOf("ref").get(1).data().toDoubleArray();
      try (TrainingSession<DpoPair, DpoBatch> s = new Trainer(model, peft.trainableParameters(),
          TrainerConfig.of(1, 4, 1), x -> 0.05, null).open(withCopy)) {
        s.step(List.of(pairs));
      }
      assertThat(peft.parametersOf("ref").get(1).data().toDoubleArray()).containsExactly(refBefore);
      assertThat(Evaluation.run(model, withCopy, pairs, 4).loss()).isLessThan(Math.log(2));
    }
  }

  @Test
  void fullTrainingScoresAgainstASeparateCopyThatStaysPut() throws IOException {
    List<DpoPair> pairs = DpoTestSupport.pairs(4, 14);
    try (NDManager m = Torch.newManager(); CausalLM model = DpoTestSupport.model(m, Precision.FLOAT64, 5);
        CausalLM copy = DpoTestSupport.model(m, Precision.FLOAT64, 5)) {
      model.setAllTrainable(true);
      DpoCollator c = DpoCollator.of(0);
      // before the first step the policy itself is the reference (what a precompute uses)
      List<RefLogps> fromPolicy = ReferencePrecompute.compute(model, new Reference.Policy(), c, pairs, 4);
      List<RefLogps> fromCopy = ReferencePrecompute.compute(model, new Reference.SeparateModel(copy), c, pairs, 4);
      assertThat(fromCopy).isEqualTo(fromPolicy);
      DpoObjective obj = new DpoObjective(c, DpoTestSupport.sigmoid(BETA), new Reference.SeparateModel(copy));
      try (TrainingSession<DpoPair, DpoBatch> s = new Trainer(model, model.trainableParameters(),
          TrainerConfig.of(1, 4, 1), x -> 1e-3, null).open(obj)) {
        assertThat(s.step(List.of(pairs)).loss()).isCloseTo(Math.log(2), Offset.offset(1e-12));
      }
      double loss = 0;
      for (int i = 0; i < pairs.size(); i++) {
        DpoPair p = pairs.get(i);
        double u = seqLogp(model, p.promptIds(), p.chosenIds()) - fromCopy.get(i).chosen()
            - seqLogp(model, p.promptIds(), p.rejectedIds()) + fromCopy.get(i).rejected();
        loss += softplusNeg(BETA * u);
      }
      assertThat(Evaluation.run(model, obj, pairs, 4).loss()).isCloseTo(loss / pairs.size(), Offset.offset(1e-12));
      assertThat(ReferencePrecompute.compute(model, new Reference.SeparateModel(copy), c, pairs, 4)).isEqualTo(fromCopy);
    }
  }
}
