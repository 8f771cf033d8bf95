package dev.align4j.recipes.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.align4j.peft.kernels.Kernels;
import dev.align4j.peft.model.Precision;

/** The machine's measured GEMM rate and this process's peak resident memory. */
public final class MatmulRate {
  private MatmulRate() {}

  /** GFLOP/s of a 1024^3 matmul in the given precision (median of 5 after warm-up). */
  public static double gflops(NDManager parent, Precision precision) {
    int n = 1024;
    try (NDManager m = parent.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      if (precision == Precision.BFLOAT16) {
        a = Kernels.get().toBFloat16(a);
        b = Kernels.get().toBFloat16(b);
      }
      double[] t = new double[5];
      for (int i = 0; i < 7; i++) {
        long t0 = System.nanoTime();
        a.matMul(b).close();   // CPU ops are synchronous: the product is done when matMul returns
        double dt = (System.nanoTime() - t0) / 1e9;
        if (i >= 2) {
          t[i - 2] = dt;
        }
      }
      java.util.Arrays.sort(t);
      return 2.0 * n * n * n / t[2] / 1e9;
    }
  }

  /** Peak resident set size of this process (VmHWM), MiB; NaN where /proc is missing. */
  public static double peakRssMiB() {
    long v = dev.align4j.peft.train.MetricsLog.peakRssMib();
    return v < 0 ? Double.NaN : v;
  }
}
