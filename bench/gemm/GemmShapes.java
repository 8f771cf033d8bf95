import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import ai.djl.pytorch.jni.JniUtils;
import dev.align4j.peft.kernels.Kernels;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * Thread CPU time of the LoRA step's GEMMs through DJL's libtorch 2.7.1, one thread: {@code x W^T} as
 * align4j's linear layers call it ({@code Linear.linear}, at::linear), and the two backward products
 * ({@code dY W} and {@code dY^T X}), for the shapes of the SmolLM2-135M step at 1 x 512; then the cost
 * of one cheap op (a [16] add, its result closed) issued from Java; in float32 or bfloat16. gemm_shapes.py measures the same in
 * torch. Run: java -cp "target/classes:$(cat target/classpath.txt)" bench/gemm/GemmShapes.java REPS [float32|bfloat16]
 */
public class GemmShapes {
  /** DJL's own {@code toType(BFLOAT16)} aborts the JVM (djl-facts.md); align4j casts through its kernel bridge. */
  private static NDArray cast(NDArray x, DataType dtype) {
    return dtype == DataType.BFLOAT16 ? Kernels.get().toBFloat16(x) : x;
  }

  public static void main(String[] a) {
    int reps = a.length > 0 ? Integer.parseInt(a[0]) : 50;
    DataType dtype = a.length > 1 && a[1].equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT32;
    Engine.getInstance();
    JniUtils.setNumThreads(1);
    ThreadMXBean tb = ManagementFactory.getThreadMXBean();
    // {T, in, out}: q/o 576->576, k/v 576->192, gate/up 576->1536, down 1536->576
    // and the chunked loss's head: 86 rows x 576 -> 49152 (logits; dY W is the hidden states' gradient,
    // dY^T X the tied head's)
    int[][] shapes = {{512, 576, 576}, {512, 576, 192}, {512, 576, 1536}, {512, 1536, 576}, {86, 576, 49152}};
    try (NDManager m = NDManager.newBaseManager()) {
      for (int[] s : shapes) {
        NDArray x = cast(m.randomNormal(new Shape(s[0], s[1])), dtype);
        NDArray w = cast(m.randomNormal(new Shape(s[2], s[1])), dtype);
        NDArray dy = cast(m.randomNormal(new Shape(s[0], s[2])), dtype);
        String[] kinds = {"x W^T (linear)", "dY W", "dY^T X"};
        for (int k = 0; k < 3; k++) {
          for (int i = 0; i < reps + 3; i++) {
            if (i == 3) {
              tb.getCurrentThreadCpuTime();
            }
          }
          long c0 = 0;
          for (int i = 0; i < reps + 3; i++) {
            if (i == 3) {
              c0 = tb.getCurrentThreadCpuTime();
            }
            try (NDManager step = m.newSubManager()) {
              NDArray y = k == 0 ? Linear.linear(x, w).singletonOrThrow()
                  : k == 1 ? dy.matMul(w) : dy.transpose().matMul(x);
              y.attach(step);
            }
          }
          double ms = (tb.getCurrentThreadCpuTime() - c0) / 1e6 / reps;
          System.out.printf("djl\t%s\t%dx%dx%d\t%s\t%.3f ms\t%.1f GFLOP/s%n", dtype, s[0], s[1], s[2], kinds[k], ms,
              2.0 * s[0] * s[1] * s[2] / (ms / 1e3) / 1e9);
        }
      }
      NDArray p = m.randomNormal(new Shape(16));
      NDArray q = m.randomNormal(new Shape(16));
      int n = 20000;
      long c0 = 0;
      for (int i = 0; i < n + 1000; i++) {
        if (i == 1000) {
          c0 = tb.getCurrentThreadCpuTime();
        }
        p.add(q).close();
      }
      System.out.printf("djl\tcheap op ([16] add, result closed)\t%.2f us%n", (tb.getCurrentThreadCpuTime() - c0) / 1e3 / n);
    }
  }
}
