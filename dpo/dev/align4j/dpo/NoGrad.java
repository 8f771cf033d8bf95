package dev.align4j.dpo;

import ai.djl.pytorch.jni.JniUtils;
import java.util.function.Supplier;

/** Runs a computation with autograd off (torch's {@code no_grad}), restoring the previous mode. */
final class NoGrad {
  private NoGrad() {}

  static <T> T run(Supplier<T> body) {
    boolean was = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return body.get();
    } finally {
      JniUtils.setGradMode(was);
    }
  }
}
