package dev.align4j.peft.quant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Nf4StateDictTest {
  private static float[] weights(int n) {
    Random r = new Random(8);
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = (float) (r.nextGaussian() * 0.05);
    }
    return w;
  }

  @Test
  void nestedLayoutKeysDtypesShapesAndJson() {
    float[] w = weights(24 * 32);
    Nf4Tensor t = Nf4.quantize(w, new long[] {24, 32}, 64, true);
    Map<String, RawTensor> sd = Nf4StateDict.toStateDict("model.q_proj.weight", t, "bfloat16");
    assertThat(sd.keySet()).containsExactly("model.q_proj.weight", "model.q_proj.weight.absmax",
        "model.q_proj.weight.quant_map", "model.q_proj.weight.nested_absmax",
        "model.q_proj.weight.nested_quant_map", "model.q_proj.weight.quant_state.bitsandbytes__nf4");
    RawTensor packed = sd.get("model.q_proj.weight");
    assertThat(packed.dtype()).isEqualTo("U8");
    assertThat(packed.shape()).containsExactly(384, 1);
    assertThat(sd.get("model.q_proj.weight.absmax").dtype()).isEqualTo("U8");
    assertThat(sd.get("model.q_proj.weight.absmax").shape()).containsExactly(12);
    assertThat(sd.get("model.q_proj.weight.quant_map").shape()).containsExactly(16);
    assertThat(sd.get("model.q_proj.weight.nested_absmax").dtype()).isEqualTo("F32");
    assertThat(sd.get("model.q_proj.weight.nested_absmax").shape()).containsExactly(1);
    assertThat(sd.get("model.q_proj.weight.nested_quant_map").shape()).containsExactly(256);
    ByteBuffer qm = ByteBuffer.wrap(sd.get("model.q_proj.weight.quant_map").data()).order(ByteOrder.LITTLE_ENDIAN);
    assertThat(qm.getFloat(4)).isEqualTo(-0.6961928009986877f);
    String json = new String(sd.get("model.q_proj.weight.quant_state.bitsandbytes__nf4").data(), StandardCharsets.UTF_8);
    // json.dumps of the non-tensor entries of QuantState.as_dict, in insertion order
    assertThat(json).isEqualTo("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"bfloat16\", "
        + "\"shape\": [24, 32], \"nested_blocksize\": 256, \"nested_dtype\": \"float32\", "
        + "\"nested_offset\": " + Nf4StateDict.pythonRepr(t.nested().offset()) + "}");
    Nf4Tensor back = Nf4StateDict.fromStateDict("model.q_proj.weight", sd);
    assertThat(back.shape()).containsExactly(24, 32);
    assertThat(Nf4.dequantize(back)).containsExactly(Nf4.dequantize(t));
  }

  @Test
  void plainLayoutRoundTripsWithF32Absmax() {
    float[] w = weights(129);
    Nf4Tensor t = Nf4.quantize(w, new long[] {129}, 64, false);
    Map<String, RawTensor> sd = Nf4StateDict.toStateDict("w", t, "float16");
    assertThat(sd.keySet()).containsExactly("w", "w.absmax", "w.quant_map", "w.quant_state.bitsandbytes__nf4");
    assertThat(sd.get("w").shape()).containsExactly(65, 1);
    assertThat(sd.get("w.absmax").dtype()).isEqualTo("F32");
    assertThat(new String(sd.get("w.quant_state.bitsandbytes__nf4").data(), StandardCharsets.UTF_8))
        .isEqualTo("{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float16\", \"shape\": [129]}");
    Nf4Tensor back = Nf4StateDict.fromStateDict("w", sd);
    assertThat(back.absmax()).containsExactly(t.absmax());
    assertThat(back.packed()).containsExactly(t.packed());
  }

  @Test
  void missingOrMistypedEntriesAreNamed() {
    Nf4Tensor t = Nf4.quantize(weights(64), new long[] {64}, 64, true);
    Map<String, RawTensor> sd = new HashMap<>(Nf4StateDict.toStateDict("w", t, "bfloat16"));
    sd.remove("w.nested_absmax");
    assertThatThrownBy(() -> Nf4StateDict.fromStateDict("w", sd)).hasMessageContaining("w.nested_absmax");
    sd.put("w.nested_absmax", new RawTensor("U8", new long[] {4}, new byte[4]));
    assertThatThrownBy(() -> Nf4StateDict.fromStateDict("w", sd)).hasMessageContaining("dtype U8");
  }

  @Test
  void pythonFloatRepr() {
    // values and the strings CPython's repr() gives for them
    assertThat(Nf4StateDict.pythonRepr(0.1f)).isEqualTo("0.10000000149011612");
    assertThat(Nf4StateDict.pythonRepr(0.1)).isEqualTo("0.1");
    assertThat(Nf4StateDict.pythonRepr(1.0)).isEqualTo("1.0");
    assertThat(Nf4StateDict.pythonRepr(-2.5)).isEqualTo("-2.5");
    assertThat(Nf4StateDict.pythonRepr(0.0001)).isEqualTo("0.0001");
    assertThat(Nf4StateDict.pythonRepr(1e-5)).isEqualTo("1e-05");
    assertThat(Nf4StateDict.pythonRepr(1.5e-7)).isEqualTo("1.5e-07");
    assertThat(Nf4StateDict.pythonRepr(1e16)).isEqualTo("1e+16");
    assertThat(Nf4StateDict.pythonRepr(1e15)).isEqualTo("1000000000000000.0");
    assertThat(Nf4StateDict.pythonRepr(123456.789)).isEqualTo("123456.789");
    assertThat(Nf4StateDict.pythonRepr(0.0)).isEqualTo("0.0");
    // checked with CPython 3: repr(struct.unpack("f", struct.pack("f", 0.012345678))[0])
    assertThat(Nf4StateDict.pythonRepr(0.012345678f)).isEqualTo("0.012345678173005581");
  }
}
