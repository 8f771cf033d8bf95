package dev.align4j.recipes.rm;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.List;

/** {@code align4j rm --demo}: a reward model on the incident task's preference pairs. */
final class RmDemo {
  private RmDemo() {}

  static int run(Path out, List<String> overrides, Device device) {
    throw new IllegalArgumentException("align4j rm --demo: the incident task's preference pairs are not available yet");
  }
}
