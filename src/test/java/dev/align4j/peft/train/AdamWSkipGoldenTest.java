package dev.align4j.peft.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.torch.Torch;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * AdamW against torch.optim.AdamW (torch 2.13, {@code src/test/resources/optim/make_adamw_goldens.py})
 * over six steps in which some parameters receive no gradient: torch skips them (no moment update, no
 * weight decay, no step-count advance), so their weights stay put and their later bias correction runs
 * on their own count. Both update paths (fused, per tensor), float32 and float64; gradients come from a
 * real backward of {@code sum(p * G)} into only the parameters that get one, and are released after
 * each step as the training session does.
 */
class AdamWSkipGoldenTest {
  @ParameterizedTest(name = "{0}, fused {1}")
  @CsvSource({"float32, true, 1e-7", "float32, false, 1e-6", "float64, true, 1e-14", "float64, false, 1e-13"})
  void matchesTorchWhenParametersGetNoGradientInSomeSteps(String dtype, boolean fused, double tol) throws IOException {
    JsonNode g = golden();
    Precision precision = Precision.parse(dtype);
    JsonNode golden = g.get("cases").get(dtype);
    try (NDManager m = Torch.newManager()) {
      Map<String, Parameter> params = new LinkedHashMap<>();
      List<Parameter> order = new ArrayList<>();
      // decay group first, as torch's param groups: the optimizer sorts by rank itself
      for (String name : List.of("w", "b", "u", "c")) {
        Parameter p = new Parameter(name, create(m, vec(g.get("init").get(name)), shape(g, name), precision), precision);
        p.setTrainable(true);
        params.put(name, p);
        order.add(p);
      }
      JsonNode betas = g.get("betas");
      try (AdamW opt = new AdamW(order, m, betas.get(0).asDouble(), betas.get(1).asDouble(), g.get("eps").asDouble(),
          g.get("weight_decay").asDouble(), fused)) {
        for (int step = 0; step < g.get("lrs").size(); step++) {
          JsonNode grads = g.get("grads").get(step);
          try (NDManager s = m.newSubManager();
              GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = null;
            for (var it = grads.fieldNames(); it.hasNext(); ) {
              String name = it.next();
              NDArray term = params.get(name).data().mul(create(s, vec(grads.get(name)), shape(g, name), precision)).sum();
              loss = loss == null ? term : loss.add(term);
            }
            gc.backward(loss);
          }
          opt.step(g.get("lrs").get(step).asDouble());
          Gradients.release(order);
          for (Parameter p : order) {
            assertThat(values(p.data())).as("%s after step %d", p.name(), step + 1)
                .containsExactly(vec(golden.get("after").get(step).get(p.name())), offset(tol));
          }
        }
        for (Parameter p : order) {
          JsonNode st = golden.get("state").get(p.name());
          NDArray[] mine = opt.stateOf(p);
          assertThat(mine[2].getFloat()).as("%s step count", p.name()).isEqualTo((float) st.get("step").asDouble());
          assertThat(values(mine[0])).as("%s exp_avg", p.name())
              .containsExactly(vec(st.get("exp_avg")), offset(tol));
          assertThat(values(mine[1])).as("%s exp_avg_sq", p.name())
              .containsExactly(vec(st.get("exp_avg_sq")), offset(tol));
        }
        assertThat(opt.steps()).isEqualTo(g.get("lrs").size());
      }
    }
  }

  static JsonNode golden() throws IOException {
    try (InputStream in = AdamWSkipGoldenTest.class.getResourceAsStream("/optim/adamw_skip_goldens.json")) {
      return new ObjectMapper().readTree(in);
    }
  }

  private static Shape shape(JsonNode g, String name) {
    JsonNode s = g.get("shapes").get(name);
    long[] dims = new long[s.size()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = s.get(i).asLong();
    }
    return new Shape(dims);
  }

  private static NDArray create(NDManager m, double[] v, Shape shape, Precision precision) {
    return precision == Precision.FLOAT64 ? m.create(v, shape) : m.create(toFloat(v), shape);
  }

  private static double[] values(NDArray x) {
    return x.toType(DataType.FLOAT64, false).toDoubleArray();
  }

  static double[] vec(JsonNode n) {
    double[] out = new double[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asDouble();
    }
    return out;
  }

  private static float[] toFloat(double[] d) {
    float[] f = new float[d.length];
    for (int i = 0; i < d.length; i++) {
      f[i] = (float) d[i];
    }
    return f;
  }
}
