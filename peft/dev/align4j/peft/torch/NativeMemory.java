package dev.align4j.peft.torch;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's native memory as Linux and glibc report it: resident and peak resident memory
 * ({@code /proc/self/status}), the peak's reset ({@code clear_refs} 5), and glibc's live malloc bytes
 * ({@code mallinfo2}: in use in every arena plus every mmapped chunk, which is where libtorch's CPU
 * tensors live). Live bytes do not depend on what the allocator has returned to the kernel, so they
 * tell what is alive at a point of a step where RSS only tells the high-water mark.
 */
public final class NativeMemory {
  private NativeMemory() {}

  /** glibc 2.33+: per-arena totals summed over all arenas; hblkhd counts every mmapped chunk. */
  @Structure.FieldOrder({"arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
      "fordblks", "keepcost"})
  public static class MallInfo2 extends Structure implements Structure.ByValue {
    public long arena;
    public long ordblks;
    public long smblks;
    public long hblks;
    public long hblkhd;
    public long usmblks;
    public long fsmblks;
    public long uordblks;
    public long fordblks;
    public long keepcost;
  }

  private interface LibC extends Library {
    MallInfo2 mallinfo2();
  }

  private static final LibC LIBC = load();

  private static LibC load() {
    try {
      LibC c = Native.load("c", LibC.class);
      return c.mallinfo2().uordblks + c.mallinfo2().hblkhd > 0 ? c : null;
    } catch (UnsatisfiedLinkError | NoClassDefFoundError | RuntimeException e) {
      return null;   // not glibc 2.33+ (mallinfo2 missing) or JNA unavailable
    }
  }

  /** Whether {@link #liveBytes()} works here (Linux with glibc 2.33+). */
  public static boolean liveBytesAvailable() {
    return LIBC != null;
  }

  /** Live malloc bytes of the process (in use in the arenas plus mmapped chunks), or -1. */
  public static long liveBytes() {
    if (LIBC == null) {
      return -1;
    }
    MallInfo2 i = LIBC.mallinfo2();
    return i.uordblks + i.hblkhd;
  }

  /** Resident memory in bytes (Linux), or -1. */
  public static long rssBytes() {
    return bytes(statusKb("VmRSS:"));
  }

  /** Peak resident memory in bytes since start or the last {@link #resetPeak()} (Linux), or -1. */
  public static long peakRssBytes() {
    return bytes(statusKb("VmHWM:"));
  }

  /** Resets the peak resident memory counter (Linux {@code clear_refs} 5); false where not allowed. */
  public static boolean resetPeak() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long bytes(long kb) {
    return kb < 0 ? -1 : kb * 1024;
  }

  private static long statusKb(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field)) {
          return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return -1;
  }
}
