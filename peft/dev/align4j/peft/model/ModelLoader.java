package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.io.HfCheckpoint;
import dev.align4j.peft.io.HostFloats;
import dev.align4j.peft.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Loads a Hugging Face checkpoint directory into a {@link CausalLM}.
 *
 * <p>Each tensor is read straight from its memory-mapped bytes into the compute dtype: float32 and
 * float64 compute widen on the host; bfloat16 compute keeps bfloat16 tensors as they are.
 */
public final class ModelLoader {
  private ModelLoader() {}

  /** Loads {@code dir} onto the device of {@code parent} in the given precision. */
  public static PretrainedModel load(
      Path dir, Precision precision, AttentionImpl attention, NDManager parent) throws IOException {
    try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
      ModelConfig config = ModelConfig.fromJson(ckpt.config(), dir.resolve("config.json").toString());
      Map<String, Shape> expected = WeightNames.expected(config);
      LinkedHashMap<String, NDArray> tensors = new LinkedHashMap<>();
      try (NDManager staging = parent.newSubManager()) {
        for (String name : ckpt.tensorNames()) {
          if (WeightNames.ignorable(name, config) && !expected.containsKey(name)) {
            continue;
          }
          TensorInfo info = ckpt.info(name);
          Shape want = expected.get(name);
          Shape shape = new Shape(info.shape());
          if (want != null && !want.equals(shape)) {
            throw new IllegalArgumentException(dir + ": tensor " + name + " has shape " + shape
                + ", expected " + want + " for this config.json");
          }
          tensors.put(name, toNd(staging, name, info, ckpt.bytes(name), shape, precision));
        }
        CausalLM model = CausalLM.create(config, precision, attention, parent, tensors);
        return new PretrainedModel(model, ckpt.config(), ckpt.generationConfig(), dir);
      }
    }
  }

  /**
   * Loads a checkpoint whose head is not the LM head, such as transformers'
   * {@code *ForSequenceClassification} (a reward model: {@code score.weight}, no {@code lm_head}): the
   * decoder as {@link #load} builds it (without {@code lm_head.weight} the config is taken as tied,
   * so the unused LM head reads the embeddings), and every tensor the decoder does not use, by name,
   * into {@code extras} (on {@code parent}, in the compute dtype).
   */
  public static PretrainedModel loadHeadless(
      Path dir, Precision precision, AttentionImpl attention, NDManager parent, Map<String, NDArray> extras)
      throws IOException {
    try (HfCheckpoint ckpt = HfCheckpoint.open(dir)) {
      ModelConfig config = ModelConfig.fromJson(ckpt.config(), dir.resolve("config.json").toString());
      if (!config.tieWordEmbeddings() && !ckpt.tensorNames().contains("lm_head.weight")) {
        config = config.withTiedEmbeddings(true);
      }
      Map<String, Shape> expected = WeightNames.expected(config);
      LinkedHashMap<String, NDArray> tensors = new LinkedHashMap<>();
      try (NDManager staging = parent.newSubManager()) {
        for (String name : ckpt.tensorNames()) {
          TensorInfo info = ckpt.info(name);
          Shape shape = new Shape(info.shape());
          if (!expected.containsKey(name)) {
            if (!WeightNames.ignorable(name, config)) {
              NDArray x = toNd(staging, name, info, ckpt.bytes(name), shape, precision);
              x.attach(parent);
              extras.put(name, x);
            }
            continue;
          }
          if (!expected.get(name).equals(shape)) {
            throw new IllegalArgumentException(dir + ": tensor " + name + " has shape " + shape
                + ", expected " + expected.get(name) + " for this config.json");
          }
          tensors.put(name, toNd(staging, name, info, ckpt.bytes(name), shape, precision));
        }
        CausalLM model = CausalLM.create(config, precision, attention, parent, tensors);
        return new PretrainedModel(model, ckpt.config(), ckpt.generationConfig(), dir);
      }
    }
  }

  private static NDArray toNd(
      NDManager m, String name, TensorInfo info, ByteBuffer bytes, Shape shape, Precision p) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    switch (info.dtype()) {
      case F32:
        return convert(m.create(b.asFloatBuffer(), shape, DataType.FLOAT32), p);
      case F64:
        return convert(m.create(b.asDoubleBuffer(), shape, DataType.FLOAT64), p);
      case F16:
        return convert(m.create(copyDirect(b), shape, DataType.FLOAT16), p);
      case BF16:
        if (p == Precision.BFLOAT16) {
          return Casts.bf16FromBytes(m.create(copyDirect(b), new Shape(b.remaining()), DataType.UINT8), shape);
        }
        return convert(m.create(HostFloats.bf16BytesToFloats(b), shape), p);
      default:
        throw new IllegalArgumentException(
            "tensor " + name + " has dtype " + info.dtype() + "; model weights must be F32, F16, BF16 or F64");
    }
  }

  private static NDArray convert(NDArray x, Precision p) {
    if (p == Precision.FLOAT64) {
      return x.getDataType() == DataType.FLOAT64 ? x : x.toType(DataType.FLOAT64, false);
    }
    return Casts.constant(x.getDataType() == DataType.FLOAT32 ? x : x.toType(DataType.FLOAT32, false), p);
  }

  private static ByteBuffer copyDirect(ByteBuffer b) {
    ByteBuffer d = ByteBuffer.allocateDirect(b.remaining()).order(ByteOrder.nativeOrder());
    d.put(b.duplicate());
    return d.flip();
  }
}
