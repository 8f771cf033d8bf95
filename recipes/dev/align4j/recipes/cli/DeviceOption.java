package dev.align4j.recipes.cli;

import ai.djl.Device;
import dev.align4j.peft.torch.Torch;
import picocli.CommandLine.Option;

/** {@code --device cpu|gpu|gpuN}, shared by every command that computes (a picocli mixin). */
public final class DeviceOption {
  @Option(names = "--device", description = "cpu, gpu or gpuN (default: the first GPU when DJL sees one, else the CPU)")
  String device;

  /** The name given with {@code --device}, or null for the default. */
  public String name() {
    return device;
  }

  /** The chosen device, logged once to stderr. */
  public Device device() {
    Device d = parse(device);
    System.err.println("align4j: " + Torch.describe(d));
    return d;
  }

  /** {@code null} for the default device; an unknown name is an error naming the option. */
  public static Device parse(String name) {
    if (name == null || name.isBlank()) {
      return Torch.defaultDevice();
    }
    String n = name.trim().toLowerCase(java.util.Locale.ROOT);
    if (n.equals("cpu")) {
      return Device.cpu();
    }
    if (n.matches("(gpu|cuda)(:?\\d+)?")) {
      String digits = n.replaceAll("\\D", "");
      int id = digits.isEmpty() ? 0 : Integer.parseInt(digits);
      int visible = Torch.engine().getGpuCount();
      if (id >= visible) {
        // fail here, naming the option, rather than deep inside the first native call
        throw new IllegalArgumentException("--device " + name + ": DJL sees " + visible + " GPU(s)"
            + (visible == 0 ? " (the CPU build of libtorch is installed, or no CUDA driver); use --device cpu" : ""));
      }
      return Device.gpu(id);
    }
    throw new IllegalArgumentException("--device: unknown device '" + name + "' (cpu, gpu or gpuN)");
  }
}
