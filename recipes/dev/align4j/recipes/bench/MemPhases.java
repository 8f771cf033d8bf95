package dev.align4j.recipes.bench;

import dev.align4j.peft.torch.NativeMemory;
import java.util.Locale;

/**
 * With {@code -Dalign4j.bench.memPhases=true}, the memory of each phase of a benchmark step on stderr:
 * the peak resident memory during the phase (the counter is reset as it starts), the resident memory
 * and glibc's live malloc bytes as it ends. Where the step's peak falls and what is alive then.
 */
final class MemPhases {
  private static final boolean ON = Boolean.getBoolean("align4j.bench.memPhases");
  private static final double MIB = 1024.0 * 1024.0;
  private static String current;
  private static int step;
  /** The largest live-bytes sample of the current phase (a daemon thread samples every millisecond). */
  private static volatile long livePeak;

  static {
    if (ON) {
      Thread t = new Thread(() -> {
        while (true) {
          long v = NativeMemory.liveBytes();
          if (v > livePeak) {
            livePeak = v;
          }
          try {
            Thread.sleep(1);
          } catch (InterruptedException e) {
            return;
          }
        }
      }, "mem-phases");
      t.setDaemon(true);
      t.start();
    }
  }

  private MemPhases() {}

  static void start(int s, String phase) {
    if (ON) {
      step = s;
      begin(phase);
    }
  }

  static void phase(String next) {
    if (ON) {
      report();
      begin(next);
    }
  }

  static void end() {
    if (ON) {
      report();
      current = null;
    }
  }

  private static void begin(String phase) {
    current = phase;
    System.err.printf(Locale.ROOT, "MEM\tstep %d\t%-16s start\tlive %8.1f MiB\trss %8.1f MiB%n", step, phase,
        NativeMemory.liveBytes() / MIB, NativeMemory.rssBytes() / MIB);
    NativeMemory.resetPeak();
    livePeak = NativeMemory.liveBytes();
  }

  private static void report() {
    System.err.printf(Locale.ROOT, "MEM\tstep %d\t%-16s end  \tlive %8.1f MiB\trss %8.1f MiB\tpeak %8.1f MiB\tlive peak %8.1f MiB%n",
        step, current, NativeMemory.liveBytes() / MIB, NativeMemory.rssBytes() / MIB, NativeMemory.peakRssBytes() / MIB,
        Math.max(livePeak, NativeMemory.liveBytes()) / MIB);
  }
}
