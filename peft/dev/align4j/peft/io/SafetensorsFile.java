package dev.align4j.peft.io;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file, read lazily: the header is parsed and validated on open, and each tensor's bytes
 * are memory-mapped on request, so files over 2 GiB work and nothing is read twice.
 *
 * <p>Validation happens before any data is touched: header length within the file and at most 100
 * MB, a UTF-8 JSON object, known dtypes, non-negative dims, {@code end - start == numel * itemsize}
 * (overflow-checked), offsets inside the data section and no overlaps.
 */
public final class SafetensorsFile implements AutoCloseable {
  /** Largest header accepted (the reference implementation's limit). */
  public static final long MAX_HEADER = 100_000_000L;

  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final LinkedHashMap<String, TensorInfo> tensors;
  private final Map<String, String> metadata;

  private SafetensorsFile(Path path, FileChannel channel, long dataStart,
      LinkedHashMap<String, TensorInfo> tensors, Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Opens and validates a file. */
  public static SafetensorsFile open(Path path) throws IOException {
    FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
    try {
      long size = ch.size();
      if (size < 8) {
        throw new CheckpointFormatException(path, "file is " + size + " bytes, too short for a safetensors header");
      }
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      readFully(ch, len, 0, path);
      long n = len.flip().getLong();
      if (n <= 0 || n > MAX_HEADER) {
        throw new CheckpointFormatException(path, "header length " + Long.toUnsignedString(n)
            + " is out of range (1.." + MAX_HEADER + ")");
      }
      if (n > size - 8) {
        throw new CheckpointFormatException(path, "header length " + n + " runs past the end of the file ("
            + size + " bytes)");
      }
      ByteBuffer hb = ByteBuffer.allocate((int) n);
      readFully(ch, hb, 8, path);
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(hb.flip()).toString();
      } catch (CharacterCodingException e) {
        throw new CheckpointFormatException(path, "header is not valid UTF-8");
      }
      JsonNode root;
      try {
        root = JSON.readTree(text);
      } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
        throw new CheckpointFormatException(path, "header is not valid JSON: " + e.getOriginalMessage());
      }
      if (root == null || !root.isObject()) {
        throw new CheckpointFormatException(path, "header is not a JSON object");
      }
      long dataStart = 8 + n;
      long dataLen = size - dataStart;
      LinkedHashMap<String, TensorInfo> tensors = new LinkedHashMap<>();
      Map<String, String> metadata = Map.of();
      for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (e.getKey().equals("__metadata__")) {
          metadata = metadata(path, e.getValue());
        } else {
          tensors.put(e.getKey(), entry(path, e.getKey(), e.getValue(), dataLen));
        }
      }
      checkOverlaps(path, tensors);
      return new SafetensorsFile(path, ch, dataStart, tensors, metadata);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos, Path path) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos + b.position());
      if (r < 0) {
        throw new CheckpointFormatException(path, "file is truncated");
      }
    }
  }

  private static Map<String, String> metadata(Path path, JsonNode node) throws IOException {
    if (!node.isObject()) {
      throw new CheckpointFormatException(path, "__metadata__ must be an object of strings");
    }
    LinkedHashMap<String, String> m = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw new CheckpointFormatException(path, "__metadata__." + e.getKey() + " must be a string");
      }
      m.put(e.getKey(), e.getValue().asText());
    }
    return Collections.unmodifiableMap(m);
  }

  private static TensorInfo entry(Path path, String name, JsonNode node, long dataLen) throws IOException {
    String where = "tensor '" + name + "'";
    if (!node.isObject()) {
      throw new CheckpointFormatException(path, where + ": entry is not an object");
    }
    JsonNode dt = node.get("dtype");
    if (dt == null || !dt.isTextual()) {
      throw new CheckpointFormatException(path, where + ": dtype missing or not a string");
    }
    DType dtype;
    try {
      dtype = DType.fromSafetensors(dt.asText());
    } catch (IllegalArgumentException e) {
      throw new CheckpointFormatException(path, where + ": " + e.getMessage());
    }
    JsonNode sh = node.get("shape");
    if (sh == null || !sh.isArray()) {
      throw new CheckpointFormatException(path, where + ": shape missing or not an array");
    }
    long[] shape = new long[sh.size()];
    long numel = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = sh.get(i);
      if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
        throw new CheckpointFormatException(path, where + ": shape[" + i + "] = " + d + " is not a non-negative integer");
      }
      shape[i] = d.asLong();
      try {
        numel = Math.multiplyExact(numel, shape[i]);
      } catch (ArithmeticException e) {
        throw new CheckpointFormatException(path, where + ": shape " + sh + " overflows");
      }
    }
    JsonNode off = node.get("data_offsets");
    if (off == null || !off.isArray() || off.size() != 2
        || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
        || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
      throw new CheckpointFormatException(path, where + ": data_offsets must be [begin, end] integers");
    }
    long begin = off.get(0).asLong();
    long end = off.get(1).asLong();
    if (begin < 0 || end < begin || end > dataLen) {
      throw new CheckpointFormatException(path, where + ": data_offsets [" + begin + ", " + end
          + "] outside the data section of " + dataLen + " bytes");
    }
    long want;
    try {
      want = Math.multiplyExact(numel, dtype.itemSize());
    } catch (ArithmeticException e) {
      throw new CheckpointFormatException(path, where + ": byte size overflows");
    }
    if (end - begin != want) {
      throw new CheckpointFormatException(path, where + ": holds " + (end - begin) + " bytes but "
          + dtype + " " + sh + " needs " + want);
    }
    return new TensorInfo(name, dtype, shape, begin, end);
  }

  private static void checkOverlaps(Path path, Map<String, TensorInfo> tensors) throws IOException {
    List<TensorInfo> sorted = new ArrayList<>(tensors.values());
    sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
    for (int i = 1; i < sorted.size(); i++) {
      TensorInfo a = sorted.get(i - 1);
      TensorInfo b = sorted.get(i);
      if (b.begin() < a.end()) {
        throw new CheckpointFormatException(path, "tensors '" + a.name() + "' and '" + b.name() + "' overlap");
      }
    }
  }

  /** The file. */
  public Path path() {
    return path;
  }

  /** Tensors in header order. */
  public Map<String, TensorInfo> tensors() {
    return Collections.unmodifiableMap(tensors);
  }

  /** The {@code __metadata__} map (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** A tensor's entry, or an error naming it and the file. */
  public TensorInfo info(String name) throws IOException {
    TensorInfo t = tensors.get(name);
    if (t == null) {
      throw new CheckpointFormatException(path, "no tensor named '" + name + "'");
    }
    return t;
  }

  /** A read-only little-endian view of one tensor's bytes, memory-mapped. */
  public ByteBuffer bytes(String name) throws IOException {
    TensorInfo t = info(name);
    if (t.byteSize() == 0) {
      return ByteBuffer.allocate(0).order(ByteOrder.LITTLE_ENDIAN);
    }
    return channel.map(FileChannel.MapMode.READ_ONLY, dataStart + t.begin(), t.byteSize())
        .order(ByteOrder.LITTLE_ENDIAN);
  }

  /** A floating tensor widened to float32 (F32, F16, BF16, F64); for tests and small tensors. */
  public float[] toFloatArray(String name) throws IOException {
    TensorInfo t = info(name);
    ByteBuffer b = bytes(name);
    if (t.numel() > Integer.MAX_VALUE) {
      throw new CheckpointFormatException(path, "tensor '" + name + "' is too large for an array");
    }
    float[] out = new float[(int) t.numel()];
    for (int i = 0; i < out.length; i++) {
      out[i] = switch (t.dtype()) {
        case F32 -> b.getFloat();
        case F64 -> (float) b.getDouble();
        case F16 -> HostFloats.f16ToFloat(b.getShort());
        case BF16 -> HostFloats.bf16ToFloat(b.getShort());
        default -> throw new CheckpointFormatException(path, "tensor '" + name + "' is " + t.dtype() + ", not floating point");
      };
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    channel.close();
  }
}
