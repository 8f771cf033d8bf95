package dev.align4j.peft.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsTest {
  @TempDir Path tmp;

  private static TensorData random(DType d, long[] shape, long seed) {
    long n = 1;
    for (long s : shape) {
      n *= s;
    }
    byte[] b = new byte[(int) (n * d.itemSize())];
    new Random(seed).nextBytes(b);
    return new TensorData(d, shape, ByteBuffer.wrap(b));
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  @Test
  void everyDtypeRoundTripsBitForBit() throws IOException {
    LinkedHashMap<String, TensorData> t = new LinkedHashMap<>();
    int i = 0;
    for (DType d : DType.values()) {
      t.put("t." + d, random(d, new long[] {3, 5}, i++));
    }
    t.put("scalar", random(DType.F32, new long[] {}, 99));
    t.put("empty", random(DType.F32, new long[] {0, 4}, 98));
    Path f = tmp.resolve("a.safetensors");
    SafetensorsWriter.write(f, t, Map.of("format", "pt"));
    try (SafetensorsFile r = SafetensorsFile.open(f)) {
      assertThat(r.tensors().keySet()).containsExactlyElementsOf(t.keySet());
      assertThat(r.metadata()).containsEntry("format", "pt");
      for (Map.Entry<String, TensorData> e : t.entrySet()) {
        TensorInfo info = r.info(e.getKey());
        assertThat(info.dtype()).isEqualTo(e.getValue().dtype());
        assertThat(info.shape()).containsExactly(e.getValue().shape());
        assertThat(bytes(r.bytes(e.getKey()))).as(e.getKey()).containsExactly(bytes(e.getValue().data()));
      }
    }
  }

  @Test
  void layoutMatchesTheFormatByteForByte() throws IOException {
    // one F32 [2] tensor holding 1.0 and -2.0
    ByteBuffer data = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1f).putFloat(-2f).flip();
    LinkedHashMap<String, TensorData> t = new LinkedHashMap<>();
    t.put("w", new TensorData(DType.F32, new long[] {2}, data));
    Path f = tmp.resolve("b.safetensors");
    SafetensorsWriter.write(f, t, Map.of());
    String json = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";   // 54 bytes
    assertThat(json.length()).isEqualTo(54);
    ByteBuffer expected = ByteBuffer.allocate(8 + 56 + 8).order(ByteOrder.LITTLE_ENDIAN);
    expected.putLong(56).put(json.getBytes(StandardCharsets.US_ASCII)).put("  ".getBytes(StandardCharsets.US_ASCII));
    expected.putFloat(1f).putFloat(-2f);
    assertThat(Files.readAllBytes(f)).containsExactly(expected.array());
    try (SafetensorsFile r = SafetensorsFile.open(f)) {
      assertThat(r.toFloatArray("w")).containsExactly(1f, -2f);
    }
  }

  @Test
  void halfAndBfloat16WidenExactly() throws IOException {
    ByteBuffer bf = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putShort((short) 0x3FC0).putShort((short) 0xC049).flip();
    ByteBuffer hf = ByteBuffer.allocate(6).order(ByteOrder.LITTLE_ENDIAN)
        .putShort((short) 0x3C00).putShort((short) 0xC000).putShort((short) 0x0001).flip();
    LinkedHashMap<String, TensorData> t = new LinkedHashMap<>();
    t.put("bf", new TensorData(DType.BF16, new long[] {2}, bf));
    t.put("hf", new TensorData(DType.F16, new long[] {3}, hf));
    Path f = tmp.resolve("c.safetensors");
    SafetensorsWriter.write(f, t, Map.of());
    try (SafetensorsFile r = SafetensorsFile.open(f)) {
      assertThat(r.toFloatArray("bf")).containsExactly(1.5f, -3.140625f);
      assertThat(r.toFloatArray("hf")).containsExactly(1f, -2f, 0x1p-24f);
    }
    assertThat(HostFloats.floatToBf16(1.00390625f)).isEqualTo((short) 0x3F80);   // tie rounds to even
    assertThat(HostFloats.floatToBf16(1.01171875f)).isEqualTo((short) 0x3F82);   // tie rounds up to even
  }

  // ---- hostile files: each must give a clear CheckpointFormatException, never a crash or huge allocation

  private Path raw(String name, long headerLen, String header, int dataBytes) throws IOException {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(headerLen).put(h);
    Path f = tmp.resolve(name);
    Files.write(f, b.array());
    return f;
  }

  private void rejects(Path f, String message) {
    assertThatThrownBy(() -> SafetensorsFile.open(f).close())
        .isInstanceOf(CheckpointFormatException.class)
        .hasMessageContaining(f.toString())
        .hasMessageContaining(message);
  }

  @Test
  void headerLengthPastEndOfFile() throws IOException {
    rejects(raw("h1", 1000, "{}", 0), "runs past the end of the file");
  }

  @Test
  void hugeHeaderLength() throws IOException {
    rejects(raw("h2", Long.MAX_VALUE - 3, "{}", 0), "out of range");
    rejects(raw("h3", -8, "{}", 0), "out of range");
  }

  @Test
  void offsetsOutOfRange() throws IOException {
    String h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}";
    rejects(raw("o1", h.length(), h, 8), "outside the data section");
  }

  @Test
  void overlappingTensors() throws IOException {
    String h = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
    rejects(raw("ov", h.length(), h, 12), "overlap");
  }

  @Test
  void wrongByteCount() throws IOException {
    String h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
    rejects(raw("wb", h.length(), h, 8), "needs 12");
  }

  @Test
  void unknownDtype() throws IOException {
    String h = "{\"w\":{\"dtype\":\"F8_E9M9\",\"shape\":[2],\"data_offsets\":[0,2]}}";
    rejects(raw("ud", h.length(), h, 2), "unknown dtype 'F8_E9M9'");
  }

  @Test
  void truncatedFile() throws IOException {
    Path shortFile = tmp.resolve("tr");
    Files.write(shortFile, new byte[] {5, 0, 0, 0, 0});
    rejects(shortFile, "too short");
    String h = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    rejects(raw("tr2", h.length(), h, 4), "outside the data section");
  }

  @Test
  void headerNotJsonOrNotObject() throws IOException {
    rejects(raw("nj", 9, "not json!", 0), "not valid JSON");
    rejects(raw("na", 7, "[1,2,3]", 0), "not a JSON object");
    byte[] bad = {(byte) 0xff, (byte) 0xfe};
    Path f = tmp.resolve("utf");
    ByteBuffer b = ByteBuffer.allocate(10).order(ByteOrder.LITTLE_ENDIAN).putLong(2).put(bad);
    Files.write(f, b.array());
    rejects(f, "not valid UTF-8");
  }

  @Test
  void badShapes() throws IOException {
    String neg = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}";
    rejects(raw("neg", neg.length(), neg, 0), "not a non-negative integer");
    String big = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,4],\"data_offsets\":[0,0]}}";
    rejects(raw("big", big.length(), big, 0), "overflows");
  }

  @Test
  void metadataMustBeStrings() throws IOException {
    String h = "{\"__metadata__\":{\"format\":1}}";
    rejects(raw("md", h.length(), h, 0), "__metadata__.format must be a string");
  }

  @Test
  void atomicWriteLeavesOldFileOnFailure() throws IOException {
    Path f = tmp.resolve("keep.txt");
    AtomicFiles.writeString(f, "old");
    assertThatThrownBy(() -> AtomicFiles.write(f, out -> {
      out.write("partial".getBytes(StandardCharsets.UTF_8));
      throw new IOException("disk on fire");
    })).hasMessageContaining("disk on fire");
    assertThat(Files.readString(f)).isEqualTo("old");
    try (var s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".tmp"))).isEmpty();
    }
    assertThat(Arrays.asList(DType.values())).contains(DType.BF16);
  }
}
