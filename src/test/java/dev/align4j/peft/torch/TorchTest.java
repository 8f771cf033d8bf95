package dev.align4j.peft.torch;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

class TorchTest {
  @Test
  void engineStartsOfflineAndComputes() {
    try (NDManager m = Torch.newManager()) {
      NDArray a = m.create(new float[] {1, 2, 3, 4}, new ai.djl.ndarray.types.Shape(2, 2));
      float[] r = a.matMul(a).toFloatArray();
      assertThat(r).containsExactly(7f, 10f, 15f, 22f);
    }
    assertThat(System.getProperty("ai.djl.offline")).isEqualTo("true");
    assertThat(Torch.describe(ai.djl.Device.cpu())).contains("PyTorch");
  }
}
