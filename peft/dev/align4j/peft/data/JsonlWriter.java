package dev.align4j.peft.data;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;

/**
 * Writes JSONL atomically: lines go to a temporary file in the target's directory, and
 * {@link #commit()} renames it over the target. Closing without committing deletes the temporary
 * file and leaves the target untouched, so a crash never leaves a half-written dataset.
 *
 * <pre>{@code
 * try (JsonlWriter w = JsonlWriter.create(out)) {
 *     for (...) w.write(node);
 *     w.commit();
 * }
 * }</pre>
 */
public final class JsonlWriter implements Closeable {
  private final Path target;
  private final Path temp;
  private final BufferedWriter out;
  private long count;
  private boolean committed;
  private boolean closed;

  private JsonlWriter(Path target) throws IOException {
    this.target = target.toAbsolutePath().normalize();
    Path dir = this.target.getParent();
    Files.createDirectories(dir);
    this.temp = Files.createTempFile(dir, "." + this.target.getFileName() + ".", ".tmp");
    this.out = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(temp), StandardCharsets.UTF_8), 1 << 16);
  }

  /** Starts writing to a temporary file next to {@code target}. */
  public static JsonlWriter create(Path target) throws IOException {
    return new JsonlWriter(Objects.requireNonNull(target, "target"));
  }

  /** Writes all {@code records} to {@code target} atomically. */
  public static long writeAll(Path target, Iterable<? extends JsonNode> records) throws IOException {
    try (JsonlWriter w = create(target)) {
      for (JsonNode r : records) {
        w.write(r);
      }
      w.commit();
      return w.count();
    }
  }

  /**
   * Fails when {@code output} names the same file as {@code input}: data commands never modify their
   * input in place.
   */
  public static void requireDistinct(Path input, Path output) throws IOException {
    Path a = input.toAbsolutePath().normalize();
    Path b = output.toAbsolutePath().normalize();
    boolean same = a.equals(b) || (Files.exists(a) && Files.exists(b) && Files.isSameFile(a, b));
    if (same) {
      throw new IllegalArgumentException("output " + output + " is the input file; refusing to overwrite the input");
    }
  }

  /** Appends one record as a single compact JSON line. */
  public void write(JsonNode record) throws IOException {
    if (closed || committed) {
      throw new IllegalStateException("writer for " + target + " is already " + (committed ? "committed" : "closed"));
    }
    out.write(JsonRecords.MAPPER.writeValueAsString(record));
    out.write('\n');
    count++;
  }

  /** Records written so far. */
  public long count() {
    return count;
  }

  /** The final path. */
  public Path target() {
    return target;
  }

  /** Flushes, syncs and renames the temporary file over the target. */
  public void commit() throws IOException {
    if (closed || committed) {
      throw new IllegalStateException("writer for " + target + " is already " + (committed ? "committed" : "closed"));
    }
    out.flush();
    out.close();
    try {
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
    }
    committed = true;
    closed = true;
  }

  /** Discards the temporary file unless {@link #commit()} succeeded. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      out.close();
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
