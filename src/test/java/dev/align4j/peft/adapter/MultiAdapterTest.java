package dev.align4j.peft.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.RandomWeights;
import dev.align4j.peft.model.TinyConfigs;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.Gradients;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Several named adapters on one base (PPO's policy and value adapters): which are active is chosen
 * per scope, independently of which train. References: a model carrying only one adapter, the base
 * model itself, and the bf16 masters' bits before and after.
 */
class MultiAdapterTest {
  private static final long[][] IDS = {{3, 17, 42, 8, 61, 0, 29}, {5, 9, 11, 2, 40, 33, 7}};
  private static final ModelConfig C = TinyConfigs.of(ModelFamily.QWEN3);

  private static CausalLM model(NDManager m, Precision p) {
    DataType t = p == Precision.FLOAT64 ? DataType.FLOAT64 : DataType.FLOAT32;
    Map<String, NDArray> w = RandomWeights.generate(C, m, 4, 0.2, 0.1, t);
    if (p == Precision.BFLOAT16) {
      w.replaceAll((k, v) -> Kernels.get().toBFloat16(v));
    }
    return CausalLM.create(C, p, AttentionImpl.COMPOSED, m, w);
  }

  private static LoraConfig policy(boolean dora) {
    return LoraConfig.of(4, 8, "q_proj", "v_proj", "o_proj", "down_proj").withDora(dora);
  }

  private static LoraConfig value(boolean dora) {
    return LoraConfig.of(2, 4, "q_proj", "k_proj", "up_proj").withDora(dora);
  }

  /** Gives every B (and DoRA magnitude) of adapter {@code name} deterministic non-zero values. */
  private static void setWeights(NDManager m, PeftModel peft, String name, long seed) {
    Engine.getInstance().setRandomSeed((int) seed);
    for (Parameter p : peft.parametersOf(name)) {
      if (p.name().contains("lora_B") || p.name().contains("magnitude")) {
        p.data().addi(m.randomNormal(0, 0.3f, p.shape(), p.data().getDataType()));
      }
    }
  }

  /** Copies adapter {@code name}'s weights from one model to another. */
  private static void copy(PeftModel from, PeftModel to, String name) {
    Map<String, Parameter> src = new HashMap<>();
    from.parametersOf(name).forEach(p -> src.put(p.name(), p));
    List<Parameter> dst = to.parametersOf(name);
    assertThat(dst).hasSameSizeAs(src.values());
    for (Parameter p : dst) {
      p.replace(src.get(p.name()).data().duplicate());
    }
  }

  private static double[] logits(NDManager m, CausalLM model) {
    try (NDManager s = m.newSubManager()) {
      return model.logits(ModelInput.of(s, IDS)).toType(DataType.FLOAT64, false).toDoubleArray();
    }
  }

  private static List<double[]> grads(NDManager m, CausalLM model, List<Parameter> params) {
    Gradients.zero(params);
    try (NDManager s = m.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      gc.backward(model.nextTokenLoss(ModelInput.of(s, IDS), null));
    }
    List<double[]> out = new ArrayList<>();
    for (Parameter p : params) {
      out.add(p.data().getGradient().toType(DataType.FLOAT64, false).toDoubleArray());
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void eachAdapterAloneEqualsAModelWithOnlyThatAdapter(boolean dora) {
    try (NDManager m = Torch.newManager(); CausalLM both = model(m, Precision.FLOAT64);
        CausalLM onlyPolicy = model(m, Precision.FLOAT64); CausalLM onlyValue = model(m, Precision.FLOAT64)) {
      double[] base = logits(m, both);
      PeftModel peft = new PeftModel(both);
      peft.addLora("policy", policy(dora), 1);
      peft.addLora("value", value(dora), 2);
      setWeights(m, peft, "policy", 11);
      setWeights(m, peft, "value", 12);
      PeftModel p1 = new PeftModel(onlyPolicy);
      p1.addLora("policy", policy(dora), 1);
      copy(peft, p1, "policy");
      PeftModel p2 = new PeftModel(onlyValue);
      p2.addLora("value", value(dora), 2);
      copy(peft, p2, "value");
      double[] refPolicy = logits(m, onlyPolicy);
      double[] refValue = logits(m, onlyValue);

      peft.setTrainable("policy", "value");   // both train, whichever is active
      try (AdapterScope s = peft.use("policy")) {
        assertThat(logits(m, both)).containsExactly(refPolicy, Offset.offset(0.0));
        try (AdapterScope off = peft.disabled()) {
          assertThat(logits(m, both)).as("nested disabled").containsExactly(base, Offset.offset(0.0));
        }
        assertThat(logits(m, both)).as("restored").containsExactly(refPolicy, Offset.offset(0.0));
      }
      try (AdapterScope s = peft.adapter("value").use()) {
        assertThat(logits(m, both)).containsExactly(refValue, Offset.offset(0.0));
      }
      try (AdapterScope off = peft.adapter("policy").disabled()) {
        assertThat(logits(m, both)).as("disabled == base, exactly").containsExactly(base, Offset.offset(0.0));
      }
      assertThat(maxDiff(refPolicy, base)).isGreaterThan(1e-3);
      assertThat(maxDiff(refValue, base)).isGreaterThan(1e-3);
      assertThat(maxDiff(refValue, refPolicy)).isGreaterThan(1e-3);
      // both active: contributions add up (on disjoint modules, exactly the two deltas composed)
      try (AdapterScope s = peft.use("policy", "value")) {
        assertThat(maxDiff(logits(m, both), refPolicy)).isGreaterThan(1e-3);
      }
    }
  }

  @Test
  void gradientsFlowOnlyIntoActiveAdaptersAndMatchASingleAdapterModel() {
    try (NDManager m = Torch.newManager(); CausalLM both = model(m, Precision.FLOAT64);
        CausalLM onlyPolicy = model(m, Precision.FLOAT64)) {
      PeftModel peft = new PeftModel(both);
      peft.addLora("policy", policy(false), 1);
      peft.addLora("value", value(false), 2);
      setWeights(m, peft, "policy", 21);
      setWeights(m, peft, "value", 22);
      peft.setTrainable("policy", "value");
      List<Parameter> params = peft.trainableParameters();
      assertThat(params).hasSize(peft.parametersOf("policy").size() + peft.parametersOf("value").size());
      PeftModel p1 = new PeftModel(onlyPolicy);
      p1.addLora("policy", policy(false), 1);
      copy(peft, p1, "policy");
      List<double[]> ref = grads(m, onlyPolicy, p1.trainableParameters());

      List<double[]> g;
      try (AdapterScope s = peft.use("policy")) {
        g = grads(m, both, params);
      }
      int nPolicy = peft.parametersOf("policy").size();
      for (int i = 0; i < params.size(); i++) {
        Parameter p = params.get(i);
        if (i < nPolicy) {
          assertThat(p.name()).contains(".policy.");
          assertThat(g.get(i)).as(p.name()).containsExactly(ref.get(i), Offset.offset(1e-12));
        } else {
          assertThat(p.name()).contains(".value.");
          assertThat(maxAbs(g.get(i))).as("inactive %s", p.name()).isEqualTo(0.0);
        }
      }
      // the value forward: only the value adapter's gradients
      try (AdapterScope s = peft.use("value")) {
        g = grads(m, both, params);
      }
      for (int i = 0; i < params.size(); i++) {
        if (i < nPolicy) {
          assertThat(maxAbs(g.get(i))).as(params.get(i).name()).isEqualTo(0.0);
        } else if (params.get(i).name().contains("lora_A")) {
          assertThat(maxAbs(g.get(i))).as(params.get(i).name()).isGreaterThan(0.0);
        }
      }
    }
  }

  @Test
  void bfloat16MastersStayBitIdenticalAcrossAddAndSwitch() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, Precision.BFLOAT16)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("one", LoraConfig.of(4, 8, "q_proj", "v_proj").withDora(true), 1);
      setWeights(m, peft, "one", 5);
      Map<String, float[]> before = new LinkedHashMap<>();
      for (Parameter p : peft.parametersOf("one")) {
        assertThat(p.data().getDataType()).isEqualTo(DataType.FLOAT32);
        before.put(p.name(), p.data().toFloatArray());
      }
      // a bf16 rounding of these random float32 values would change almost every element
      assertThat(before.values().stream().anyMatch(v -> !roundsExactlyToBf16(v))).isTrue();
      peft.addLora("two", LoraConfig.of(4, 8, "q_proj", "v_proj"), 2);
      assertMasters(peft, before);
      peft.setActive("one");
      peft.setActive("two");
      peft.setTrainable();
      peft.setTrainable("one", "two");
      assertMasters(peft, before);
      setWeights(m, peft, "two", 6);
      Map<String, float[]> two = new LinkedHashMap<>();
      peft.parametersOf("two").forEach(p -> two.put(p.name(), p.data().toFloatArray()));
      peft.setActive("one");
      assertMasters(peft, two);
      assertMasters(peft, before);
    }
  }

  @Test
  void unknownNamesAreRefused() {
    try (NDManager m = Torch.newManager(); CausalLM model = model(m, Precision.FLOAT32)) {
      PeftModel peft = new PeftModel(model);
      peft.addLora("policy", policy(false), 1);
      assertThatThrownBy(() -> peft.use("vaule")).hasMessageContaining("no adapter named 'vaule'")
          .hasMessageContaining("policy");
      assertThatThrownBy(() -> peft.setTrainable("x")).hasMessageContaining("no adapter named 'x'");
    }
  }

  /** Two adapters active together, against the real peft 0.21 (golden/multi/make_multi_golden.py). */
  @Test
  void severalActiveAdaptersAddUpAsPeftDoes() throws Exception {
    Path golden = Path.of("src/test/resources/golden");
    JsonNode g = new ObjectMapper()
        .readTree(golden.resolve("multi/golden_logits.json").toFile());
    long[][] ids = new long[g.get("ids").size()][];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = new long[g.get("ids").get(i).size()];
      for (int j = 0; j < ids[i].length; j++) {
        ids[i][j] = g.get("ids").get(i).get(j).asLong();
      }
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(
            golden.resolve("qwen3"), Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      PeftModel peft = new PeftModel(pm.model());
      LoraAdapter.load(peft, golden.resolve("multi/a"), "a");
      LoraAdapter.load(peft, golden.resolve("multi/b"), "b");
      assertThat(peft.configs().get("b").useDora()).isTrue();
      for (String key : List.of("a", "b", "a+b")) {
        double[] got;
        try (AdapterScope s = peft.use(key.split("\\+")); NDManager sm = m.newSubManager()) {
          got = pm.model().logits(ModelInput.of(sm, ids)).toType(DataType.FLOAT64, false).toDoubleArray();
        }
        int k = 0;
        for (JsonNode row : g.get(key)) {
          for (JsonNode tok : row) {
            for (JsonNode v : tok) {
              assertThat(got[k++]).as(key).isCloseTo(v.asDouble(), Offset.offset(2e-5));
            }
          }
        }
        assertThat(k).isEqualTo(got.length);
      }
    }
  }

  private static void assertMasters(PeftModel peft, Map<String, float[]> expected) {
    for (String adapter : peft.adapterNames()) {
      for (Parameter p : peft.parametersOf(adapter)) {
        if (expected.containsKey(p.name())) {
          assertThat(p.data().getDataType()).as(p.name()).isEqualTo(DataType.FLOAT32);
          assertThat(p.data().toFloatArray()).as(p.name()).containsExactly(expected.get(p.name()));
        }
      }
    }
  }

  private static boolean roundsExactlyToBf16(float[] v) {
    for (float f : v) {
      if ((Float.floatToRawIntBits(f) & 0xFFFF) != 0) {
        return false;
      }
    }
    return true;
  }

  private static double maxAbs(double[] a) {
    double d = 0;
    for (double x : a) {
      d = Math.max(d, Math.abs(x));
    }
    return d;
  }

  private static double maxDiff(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }
}
