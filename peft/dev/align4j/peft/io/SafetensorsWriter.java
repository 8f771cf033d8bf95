package dev.align4j.peft.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes safetensors files as the reference library does: an 8-byte little-endian header length, a
 * compact JSON header ({@code __metadata__} first, then one entry per tensor) padded with spaces to a
 * multiple of 8 bytes, then the tensors' bytes back to back in the given order. Atomic.
 */
public final class SafetensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafetensorsWriter() {}

  /** Writes {@code tensors} (in iteration order) and {@code metadata} to {@code file}. */
  public static void write(Path file, Map<String, TensorData> tensors, Map<String, String> metadata)
      throws IOException {
    byte[] header = header(tensors, metadata);
    AtomicFiles.write(file, out -> {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length);
      out.write(len.array());
      out.write(header);
      byte[] chunk = new byte[1 << 20];
      for (TensorData t : tensors.values()) {
        copy(t.data().duplicate(), out, chunk);
      }
    });
  }

  /** The padded header bytes for these tensors. */
  static byte[] header(Map<String, TensorData> tensors, Map<String, String> metadata) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    if (metadata != null && !metadata.isEmpty()) {
      ObjectNode md = root.putObject("__metadata__");
      metadata.forEach(md::put);
    }
    long offset = 0;
    for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
      if (e.getKey().equals("__metadata__")) {
        throw new IllegalArgumentException("a tensor may not be named __metadata__");
      }
      TensorData t = e.getValue();
      ObjectNode n = root.putObject(e.getKey());
      n.put("dtype", t.dtype().safetensorsName());
      ArrayNode shape = n.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      ArrayNode off = n.putArray("data_offsets");
      off.add(offset);
      offset += t.byteSize();
      off.add(offset);
    }
    byte[] json = JSON.writeValueAsString(root).getBytes(StandardCharsets.UTF_8);
    int padded = (json.length + 7) / 8 * 8;
    byte[] out = new byte[padded];
    System.arraycopy(json, 0, out, 0, json.length);
    for (int i = json.length; i < padded; i++) {
      out[i] = ' ';
    }
    return out;
  }

  private static void copy(ByteBuffer src, OutputStream out, byte[] chunk) throws IOException {
    while (src.hasRemaining()) {
      int n = Math.min(chunk.length, src.remaining());
      src.get(chunk, 0, n);
      out.write(chunk, 0, n);
    }
  }
}
