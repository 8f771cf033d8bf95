package dev.align4j.peft.kernels;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.EnumSet;
import java.util.Set;

/**
 * The one check in front of every DJL call that hands a dtype to native code. DJL's PyTorch JNI maps
 * only float32, float64, float16, uint8, int32, int8, int64 and bool; any other dtype (bfloat16 among
 * them) reaches a bare C++ {@code throw;} and terminates the JVM, which Java cannot catch.
 */
public final class DTypeGuard {
  private static final Set<DataType> SAFE = EnumSet.of(
      DataType.FLOAT32, DataType.FLOAT64, DataType.FLOAT16, DataType.UINT8,
      DataType.INT32, DataType.INT8, DataType.INT64, DataType.BOOLEAN);

  private DTypeGuard() {}

  /** Returns {@code t} if DJL can hand it to libtorch, else throws. */
  public static DataType check(DataType t) {
    if (!SAFE.contains(t)) {
      throw new IllegalArgumentException("dtype " + t + " cannot be passed to DJL's PyTorch JNI (it would abort "
          + "the JVM); bfloat16 goes through dev.align4j.peft.kernels.Kernels");
    }
    return t;
  }

  /** Whether DJL knows this array's dtype (bfloat16 arrays from the bridge report UNKNOWN). */
  public static boolean isDjlType(NDArray x) {
    return SAFE.contains(x.getDataType());
  }

  /** {@code x.toType(t)} for DJL dtypes; bfloat16 routed through the bridge; anything else refused. */
  public static NDArray toType(NDArray x, DataType t) {
    if (t == DataType.BFLOAT16) {
      return Kernels.get().toBFloat16(isDjlType(x) ? x : Kernels.get().toFloat32(x));
    }
    check(t);
    if (!isDjlType(x)) {
      NDArray f = Kernels.get().toFloat32(x);
      return t == DataType.FLOAT32 ? f : f.toType(t, false);
    }
    return x.toType(t, false);
  }
}
