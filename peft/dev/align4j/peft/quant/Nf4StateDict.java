package dev.align4j.peft.quant;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors entries bitsandbytes' {@code Linear4bit._save_to_state_dict} writes for a 4-bit weight
 * ({@code QuantState.as_dict(packed=True)}): {@code weight} (U8 {@code [ceil(n/2), 1]}), {@code weight.absmax}
 * (U8 codes when nested, else F32), {@code weight.quant_map} (F32[16]), and when nested
 * {@code weight.nested_absmax} (F32), {@code weight.nested_quant_map} (F32[256]); plus
 * {@code weight.quant_state.bitsandbytes__nf4}, the UTF-8 bytes of {@code json.dumps} of
 * {quant_type, blocksize, dtype, shape[, nested_blocksize, nested_dtype, nested_offset]} in that order.
 */
public final class Nf4StateDict {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Key of the JSON blob relative to the weight name. */
  public static final String QUANT_STATE_KEY = "quant_state.bitsandbytes__nf4";

  private Nf4StateDict() {
  }

  /**
   * Entries for the weight called {@code weightName} (e.g. {@code model.layers.0.mlp.up_proj.weight}).
   *
   * @param dtype the original weight dtype as torch names it without the prefix ("bfloat16", "float16",
   *              "float32"); recorded in the JSON, it is what dequantisation returns
   */
  public static Map<String, RawTensor> toStateDict(String weightName, Nf4Tensor t, String dtype) {
    if (weightName == null || weightName.isEmpty() || dtype == null || dtype.isEmpty()) {
      throw new IllegalArgumentException("Nf4StateDict: weight name and dtype must be given");
    }
    Map<String, RawTensor> out = new LinkedHashMap<>();
    out.put(weightName, new RawTensor("U8", new long[] {t.packed().length, 1}, t.packed().clone()));
    StringBuilder js = new StringBuilder();
    js.append("{\"quant_type\": \"nf4\"");
    js.append(", \"blocksize\": ").append(t.blockSize());
    js.append(", \"dtype\": \"").append(dtype).append('"');
    js.append(", \"shape\": [");
    long[] shape = t.shape();
    for (int i = 0; i < shape.length; i++) {
      js.append(i == 0 ? "" : ", ").append(shape[i]);
    }
    js.append(']');
    if (t.isDoubleQuant()) {
      DoubleQuant dq = t.nested();
      out.put(weightName + ".absmax", new RawTensor("U8", new long[] {dq.codes().length}, dq.codes().clone()));
      out.put(weightName + ".quant_map", f32(Nf4.codebook()));
      out.put(weightName + ".nested_absmax", f32(dq.absmax()));
      out.put(weightName + ".nested_quant_map", f32(dq.code()));
      js.append(", \"nested_blocksize\": ").append(dq.blockSize());
      js.append(", \"nested_dtype\": \"float32\"");
      js.append(", \"nested_offset\": ").append(pythonRepr(dq.offset()));
    } else {
      out.put(weightName + ".absmax", f32(t.absmax()));
      out.put(weightName + ".quant_map", f32(Nf4.codebook()));
    }
    js.append('}');
    byte[] blob = js.toString().getBytes(StandardCharsets.UTF_8);
    out.put(weightName + "." + QUANT_STATE_KEY, new RawTensor("U8", new long[] {blob.length}, blob));
    return out;
  }

  /** Reads back what {@link #toStateDict} (or bitsandbytes) wrote for {@code weightName}. */
  public static Nf4Tensor fromStateDict(String weightName, Map<String, RawTensor> entries) {
    RawTensor weight = need(entries, weightName);
    RawTensor blob = need(entries, weightName + "." + QUANT_STATE_KEY);
    JsonNode state;
    try {
      state = JSON.readTree(new String(blob.data(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalArgumentException("Nf4StateDict: " + weightName + "." + QUANT_STATE_KEY
          + " is not valid JSON: " + e.getMessage(), e);
    }
    String quantType = state.path("quant_type").asText("");
    if (!"nf4".equals(quantType)) {
      throw new IllegalArgumentException("Nf4StateDict: " + weightName + " has quant_type '" + quantType
          + "', only nf4 is supported");
    }
    int blockSize = state.path("blocksize").asInt(-1);
    JsonNode shapeNode = state.path("shape");
    if (!shapeNode.isArray()) {
      throw new IllegalArgumentException("Nf4StateDict: " + weightName + " quant state has no shape");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      shape[i] = shapeNode.get(i).asLong();
    }
    requireDtype(weightName, weight, "U8");
    RawTensor absmax = need(entries, weightName + ".absmax");
    if (state.has("nested_offset")) {
      requireDtype(weightName + ".absmax", absmax, "U8");
      RawTensor nAbs = need(entries, weightName + ".nested_absmax");
      RawTensor nMap = need(entries, weightName + ".nested_quant_map");
      float offset = (float) state.get("nested_offset").asDouble();
      int nBlock = state.path("nested_blocksize").asInt(DoubleQuant.BLOCK_SIZE);
      DoubleQuant dq = new DoubleQuant(absmax.data().clone(), floats(weightName + ".nested_absmax", nAbs),
          floats(weightName + ".nested_quant_map", nMap), offset, nBlock);
      return new Nf4Tensor(weight.data().clone(), null, dq, shape, blockSize);
    }
    return new Nf4Tensor(weight.data().clone(), floats(weightName + ".absmax", absmax), null, shape, blockSize);
  }

  /**
   * Python's {@code repr(float)} of a float32 widened to double (what {@code json.dumps} writes for
   * {@code offset.item()}): shortest round-tripping digits, fixed notation for decimal exponents in
   * [-4, 16), else {@code 1.5e-05} style.
   */
  public static String pythonRepr(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "Infinity" : "-Infinity";
    }
    if (v == 0) {
      return (1 / v < 0) ? "-0.0" : "0.0";
    }
    BigDecimal exact = new BigDecimal(v);
    BigDecimal shortest = exact;
    for (int p = 1; p <= 17; p++) {
      BigDecimal r = exact.round(new MathContext(p, RoundingMode.HALF_EVEN));
      if (r.doubleValue() == v) {
        shortest = r;
        break;
      }
    }
    BigDecimal abs = shortest.abs().stripTrailingZeros();
    String digits = abs.unscaledValue().toString();
    int decpt = digits.length() - abs.scale(); // value = 0.digits * 10^decpt
    String sign = v < 0 ? "-" : "";
    if (decpt > -4 && decpt <= 16) {
      if (decpt <= 0) {
        return sign + "0." + "0".repeat(-decpt) + digits;
      }
      if (decpt >= digits.length()) {
        return sign + digits + "0".repeat(decpt - digits.length()) + ".0";
      }
      return sign + digits.substring(0, decpt) + "." + digits.substring(decpt);
    }
    int exp = decpt - 1;
    String mant = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String e = String.format("%02d", Math.abs(exp));
    return sign + mant + "e" + (exp < 0 ? "-" : "+") + e;
  }

  private static RawTensor f32(float[] v) {
    ByteBuffer bb = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      bb.putFloat(f);
    }
    return new RawTensor("F32", new long[] {v.length}, bb.array());
  }

  private static float[] floats(String name, RawTensor t) {
    requireDtype(name, t, "F32");
    ByteBuffer bb = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[t.data().length / 4];
    for (int i = 0; i < out.length; i++) {
      out[i] = bb.getFloat();
    }
    return out;
  }

  private static void requireDtype(String name, RawTensor t, String dtype) {
    if (!dtype.equals(t.dtype())) {
      throw new IllegalArgumentException("Nf4StateDict: tensor " + name + " has dtype " + t.dtype()
          + ", expected " + dtype);
    }
  }

  private static RawTensor need(Map<String, RawTensor> entries, String name) {
    RawTensor t = entries.get(name);
    if (t == null) {
      throw new IllegalArgumentException("Nf4StateDict: missing tensor " + name);
    }
    return t;
  }
}
