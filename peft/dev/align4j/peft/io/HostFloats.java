package dev.align4j.peft.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Host-side conversions between float32 and the 16-bit float formats, bit-exact with torch. */
public final class HostFloats {
  private HostFloats() {}

  /** bfloat16 bits to float32: the bits are the top half of the float32. */
  public static float bf16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xFFFF) << 16);
  }

  /** float32 to bfloat16 bits, rounding to nearest even as torch does; NaN stays a quiet NaN. */
  public static short floatToBf16(float f) {
    int x = Float.floatToRawIntBits(f);
    if (Float.isNaN(f)) {
      return (short) ((x >>> 16) | 0x40);
    }
    int rounding = 0x7FFF + ((x >>> 16) & 1);
    return (short) ((x + rounding) >>> 16);
  }

  /** Widens little-endian bfloat16 bytes to float32. */
  public static float[] bf16BytesToFloats(ByteBuffer bytes) {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    float[] out = new float[b.remaining() / 2];
    for (int i = 0; i < out.length; i++) {
      out[i] = bf16ToFloat(b.getShort());
    }
    return out;
  }

  /** Narrows float32 values to little-endian bfloat16 bytes (round to nearest even). */
  public static ByteBuffer floatsToBf16Bytes(float[] values) {
    ByteBuffer b = ByteBuffer.allocateDirect(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : values) {
      b.putShort(floatToBf16(v));
    }
    return b.flip();
  }

  /** IEEE half-precision bits to float32 (exact: every half is a float). */
  public static float f16ToFloat(short bits) {
    int h = bits & 0xFFFF;
    int sign = (h >>> 15) << 31;
    int exp = (h >>> 10) & 0x1F;
    int mant = h & 0x3FF;
    if (exp == 0x1F) {
      return Float.intBitsToFloat(sign | 0x7F800000 | (mant << 13));
    }
    if (exp == 0) {
      float v = mant * 0x1p-24f;   // subnormal (or zero)
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
