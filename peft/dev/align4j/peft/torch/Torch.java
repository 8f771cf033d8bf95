package dev.align4j.peft.torch;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;

/**
 * The one place where align4j starts DJL's PyTorch engine.
 *
 * <p>It forces DJL offline and its usage tracking off before the engine class is touched, so that
 * no entry point (CLI, tests, library users who call this first) can reach the network, and it
 * names the libtorch and device that were found.
 */
public final class Torch {
  private static volatile Engine engine;

  private Torch() {}

  /** Sets the offline and no-tracking switches; idempotent, cheap, safe before anything else. */
  public static void configureOffline() {
    System.setProperty("ai.djl.offline", "true");
    System.setProperty("OPT_OUT_TRACKING", "true");
    System.setProperty("ai.djl.telemetry", "false");
  }

  /** The PyTorch engine, started offline on first use. */
  public static Engine engine() {
    Engine e = engine;
    if (e == null) {
      synchronized (Torch.class) {
        if (engine == null) {
          configureOffline();
          engine = Engine.getEngine("PyTorch");
        }
        e = engine;
      }
    }
    return e;
  }

  /** A new root manager on the given device. */
  public static NDManager newManager(Device device) {
    return engine().newBaseManager(device);
  }

  /** A new root manager on the CPU. */
  public static NDManager newManager() {
    return newManager(Device.cpu());
  }

  /** The best device DJL sees: the first GPU when there is one, else the CPU. */
  public static Device defaultDevice() {
    return engine().getGpuCount() > 0 ? Device.gpu() : Device.cpu();
  }

  /** One line naming the engine, its version and the device, for logs. */
  public static String describe(Device device) {
    Engine e = engine();
    return e.getEngineName() + " " + e.getVersion() + " on " + device;
  }
}
