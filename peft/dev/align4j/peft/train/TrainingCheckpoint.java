package dev.align4j.peft.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.HfCheckpointWriter;
import dev.align4j.peft.io.HostFloats;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.io.SafetensorsWriter;
import dev.align4j.peft.io.TensorData;
import dev.align4j.peft.kernels.DTypeGuard;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.Parameter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Resumable checkpoints of a run: {@code checkpoint-<step>/} holding the trainable weights ({@code
 * trainable.safetensors}), the optimizer state ({@code optimizer.safetensors}) and {@code
 * trainer_state.json} (step, seed, data position, resolved config). Written into a temporary
 * directory, forced to disk and swapped in ({@link AtomicFiles#replaceDirectory}), so a run killed at
 * any moment leaves the last complete checkpoint intact (also a checkpoint-N being rewritten); older
 * ones beyond {@code keepLast} are removed only after that.
 */
public final class TrainingCheckpoint {
  static final String PREFIX = "checkpoint-";
  private static final ObjectMapper JSON = new ObjectMapper();

  private TrainingCheckpoint() {}

  /** Writes checkpoint {@code step} under {@code runDir}. */
  public static Path save(Path runDir, long step, List<Parameter> params, AdamW opt, ObjectNode state, int keepLast)
      throws IOException {
    Files.createDirectories(runDir);
    Path target = runDir.resolve(PREFIX + step);
    // written beside the target and swapped in: a crash leaves the previous checkpoint-N or the new one
    AtomicFiles.replaceDirectory(target, tmp -> {
      LinkedHashMap<String, TensorData> weights = new LinkedHashMap<>();
      LinkedHashMap<String, TensorData> optim = new LinkedHashMap<>();
      for (Parameter p : params) {
        weights.put(p.name(), f32(p.data()));
        NDArray[] s = opt.stateOf(p);
        optim.put(p.name() + ".exp_avg", f32(s[0]));
        optim.put(p.name() + ".exp_avg_sq", f32(s[1]));
        optim.put(p.name() + ".step", f32(s[2]));
      }
      SafetensorsWriter.write(tmp.resolve("trainable.safetensors"), weights, Map.of("format", "pt"));
      SafetensorsWriter.write(tmp.resolve("optimizer.safetensors"), optim, Map.of());
      AtomicFiles.writeString(tmp.resolve("trainer_state.json"), HfCheckpointWriter.prettySorted(state.put("step", step)));
    });
    prune(runDir, keepLast);
    return target;
  }

  /** The newest complete checkpoint under {@code runDir}, if any. */
  public static Optional<Path> latest(Path runDir) throws IOException {
    return complete(runDir).stream().reduce((a, b) -> b);
  }

  /** Complete checkpoints, oldest first. */
  static List<Path> complete(Path runDir) throws IOException {
    if (!Files.isDirectory(runDir)) {
      return List.of();
    }
    AtomicFiles.recoverDirectories(runDir);   // a swap interrupted by a crash: put the previous checkpoint back
    try (Stream<Path> s = Files.list(runDir)) {
      return s.filter(p -> p.getFileName().toString().matches(PREFIX + "\\d+"))
          .filter(p -> Files.exists(p.resolve("trainer_state.json")))
          .sorted(Comparator.comparingLong(TrainingCheckpoint::stepOf))
          .toList();
    }
  }

  static long stepOf(Path dir) {
    return Long.parseLong(dir.getFileName().toString().substring(PREFIX.length()));
  }

  /** Restores weights and optimizer state in place; returns the trainer state. */
  public static ObjectNode load(Path dir, List<Parameter> params, AdamW opt) throws IOException {
    try (SafetensorsFile w = SafetensorsFile.open(dir.resolve("trainable.safetensors"));
        SafetensorsFile o = SafetensorsFile.open(dir.resolve("optimizer.safetensors"))) {
      for (Parameter p : params) {
        copyInto(w, p.name(), p.data());
        NDArray[] s = opt.stateOf(p);
        copyInto(o, p.name() + ".exp_avg", s[0]);
        copyInto(o, p.name() + ".exp_avg_sq", s[1]);
        copyInto(o, p.name() + ".step", s[2]);
      }
    }
    ObjectNode state = (ObjectNode) JSON.readTree(dir.resolve("trainer_state.json").toFile());
    opt.setSteps(state.path("step").asLong());
    return state;
  }

  private static void copyInto(SafetensorsFile f, String name, NDArray target) throws IOException {
    if (!f.tensors().containsKey(name)) {
      throw new CheckpointFormatException(f.path(), "missing tensor '" + name + "'");
    }
    float[] v = f.toFloatArray(name);
    if (v.length != target.size()) {
      throw new CheckpointFormatException(f.path(), "tensor '" + name + "' has " + v.length + " values, the run needs "
          + target.size() + " (a checkpoint of another model or adapter?)");
    }
    // copy by arithmetic: DJL's NDArray.set points the tensor at a temporary Java buffer (no copy),
    // which the garbage collector frees while the tensor still reads it
    try (NDManager scratch = target.getManager().newSubManager()) {
      NDArray src = scratch.create(v, target.getShape());
      if (!DTypeGuard.isDjlType(target)) {
        // bfloat16 (a parameter without a master, its moments): the saved values are bfloat16, so the
        // float32 read and the rounding back are exact; copied in place by libtorch (a Java scalar
        // would abort the JVM on bfloat16)
        Kernels.get().copyInto(target, Kernels.get().toBFloat16(src));
        return;
      }
      target.muli(0f).addi(src.toType(target.getDataType(), false));
    }
  }

  /** float32 bytes, or bfloat16 bytes for a bfloat16 tensor (exact both ways, half the size). */
  private static TensorData f32(NDArray x) {
    if (!DTypeGuard.isDjlType(x)) {
      try (NDManager scratch = x.getManager().newSubManager()) {
        NDArray f = Kernels.get().toFloat32(x);
        f.attach(scratch);
        return new TensorData(DType.BF16, x.getShape().getShape(), HostFloats.floatsToBf16Bytes(f.toFloatArray()));
      }
    }
    float[] v = x.getDataType() == DataType.FLOAT32 ? x.toFloatArray() : x.toType(DataType.FLOAT32, false).toFloatArray();
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    b.asFloatBuffer().put(v);
    return new TensorData(DType.F32, x.getShape().getShape(), b);
  }

  private static void prune(Path runDir, int keepLast) throws IOException {
    List<Path> all = new ArrayList<>(complete(runDir));
    for (int i = 0; i < all.size() - keepLast; i++) {
      deleteTree(all.get(i));
    }
  }

  private static void deleteTree(Path p) throws IOException {
    AtomicFiles.deleteTree(p);
  }
}
