package dev.align4j.peft.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.io.HostFloats;
import dev.align4j.peft.io.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Saves a {@link CausalLM} as a Hugging Face checkpoint: {@code config.json}, optional {@code
 * generation_config.json}, and safetensors (sharded above {@code maxShardBytes}) in the dtype named
 * by the config's {@code torch_dtype}.
 */
public final class ModelSaver {
  /** transformers' default shard size, "5GB". */
  public static final long DEFAULT_MAX_SHARD_BYTES = 5_000_000_000L;

  private ModelSaver() {}

  /**
   * Writes into {@code dir} in place; callers replacing an existing directory write into {@link
   * dev.align4j.peft.io.AtomicFiles#replaceDirectory}'s temporary directory.
   *
   * @param configJson the config to write (the loaded one, to keep fields align4j does not read), or
   *     {@code null} for {@link ModelConfig#toJson()}
   */
  public static void save(
      CausalLM model, ObjectNode configJson, Optional<ObjectNode> generationConfig, Path dir,
      long maxShardBytes) throws IOException {
    save(model, configJson, generationConfig, dir, maxShardBytes, Set.of(), Map.of());
  }

  /**
   * As {@link #save(CausalLM, ObjectNode, Optional, Path, long)}, leaving out the parameters named in
   * {@code skip} and adding {@code extra} tensors after the decoder's: a
   * {@code *ForSequenceClassification} checkpoint is the decoder without {@code lm_head.weight} plus
   * {@code score.weight}.
   */
  public static void save(
      CausalLM model, ObjectNode configJson, Optional<ObjectNode> generationConfig, Path dir, long maxShardBytes,
      Set<String> skip, Map<String, NDArray> extra) throws IOException {
    ObjectNode cfg = configJson != null ? configJson.deepCopy() : model.config().toJson();
    DType dtype = storageType(cfg.path("torch_dtype").asText(model.config().torchDtype()));
    LinkedHashMap<String, TensorData> tensors = new LinkedHashMap<>();
    for (Parameter p : model.parameters().values()) {
      if (!skip.contains(p.name())) {
        tensors.put(p.name(), tensorData(p.data(), dtype));
      }
    }
    extra.forEach((name, x) -> tensors.put(name, tensorData(x, dtype)));
    HfCheckpointWriter.write(dir, cfg, generationConfig, tensors, maxShardBytes);
  }

  /** The safetensors dtype for a {@code torch_dtype} string. */
  static DType storageType(String torchDtype) {
    return switch (torchDtype) {
      case "bfloat16" -> DType.BF16;
      case "float16" -> DType.F16;
      case "float64" -> DType.F64;
      default -> DType.F32;
    };
  }

  private static TensorData tensorData(NDArray x, DType dtype) {
    long[] shape = x.getShape().getShape();
    if (x.getDataType() == DataType.UNKNOWN) {   // a bfloat16 tensor from the kernel bridge: exact in float32
      x = Casts.bf16ToFloat32(x);
    }
    ByteBuffer data = switch (dtype) {
      case BF16 -> HostFloats.floatsToBf16Bytes(x.toType(DataType.FLOAT32, false).toFloatArray());
      case F16 -> x.toType(DataType.FLOAT16, false).toByteBuffer();
      case F64 -> x.toType(DataType.FLOAT64, false).toByteBuffer();
      default -> x.toType(DataType.FLOAT32, false).toByteBuffer();
    };
    return new TensorData(dtype, shape, data.order(ByteOrder.LITTLE_ENDIAN));
  }
}
