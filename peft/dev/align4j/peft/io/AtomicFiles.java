package dev.align4j.peft.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Writes files so that a reader (or a crash) sees either the old file or the whole new one: data goes
 * to a temporary file in the same directory, is forced to disk, then renamed over the target.
 *
 * <p>Directories (checkpoints, saved models and adapters) are replaced the same way: written into a
 * temporary sibling {@code .NAME.tmp-*}, then swapped in ({@link #replaceDirectory}): the old one is
 * renamed to {@code .NAME.old-*}, the new one renamed to {@code NAME}, the old one deleted. A crash
 * anywhere leaves the old directory or the complete new one at {@code NAME}, or (between the two
 * renames) the old one at {@code .NAME.old-*}, which {@link #recoverDirectory} puts back.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  /** Something that writes to a stream. */
  @FunctionalInterface
  public interface Writer {
    /** Writes the content. */
    void write(OutputStream out) throws IOException;
  }

  /** Writes bytes atomically. */
  public static void writeBytes(Path target, byte[] bytes) throws IOException {
    write(target, out -> out.write(bytes));
  }

  /** Writes UTF-8 text atomically. */
  public static void writeString(Path target, String text) throws IOException {
    writeBytes(target, text.getBytes(StandardCharsets.UTF_8));
  }

  /** Streams content to a temporary file, then renames it over {@code target}. */
  public static void write(Path target, Writer writer) throws IOException {
    Path dir = target.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = dir.getFileSystem().supportedFileAttributeViews().contains("posix")
        ? Files.createTempFile(dir, "." + target.getFileName(), ".tmp",
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-r--r--")))
        : Files.createTempFile(dir, "." + target.getFileName(), ".tmp");
    boolean done = false;
    try {
      try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
        writer.write(out);
      }
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      move(tmp, target);
      done = true;
    } finally {
      if (!done) {
        Files.deleteIfExists(tmp);
      }
    }
  }

  /** Writes the content of a directory. */
  @FunctionalInterface
  public interface DirectoryWriter {
    /** Writes files into {@code dir} (which exists and is empty). */
    void write(Path dir) throws IOException;
  }

  /** The steps of a directory swap, reported to a hook (tests simulate a crash between them). */
  public enum SwapStep {
    /** The new content is complete in its temporary directory. */
    WRITTEN,
    /** The previous directory has been renamed away (the target name is free). */
    OLD_MOVED_AWAY,
    /** The new directory has been renamed to the target (the old one is not yet deleted). */
    NEW_MOVED_IN
  }

  private static final String TMP = ".tmp-";
  private static final String OLD = ".old-";
  /** {@code .NAME.tmp-*} and {@code .NAME.old-*}: what an interrupted swap of NAME leaves. */
  private static final Pattern LEFTOVER = Pattern.compile("\\.(.+)\\.(?:old|tmp)-[0-9a-z]+");
  private static final SecureRandom RANDOM = new SecureRandom();

  /** {@link #replaceDirectory(Path, DirectoryWriter, Consumer)} without a hook. */
  public static void replaceDirectory(Path target, DirectoryWriter writer) throws IOException {
    replaceDirectory(target, writer, step -> { });
  }

  /**
   * Writes a directory into a temporary sibling and swaps it in for {@code target}, so that {@code
   * target} is never a mix of old and new files. Leftovers of an interrupted earlier swap are
   * recovered first. When the writer or a rename fails with an exception, the previous directory is
   * put back and the temporary one removed.
   *
   * @param hook called after each {@link SwapStep}; an {@link Error} thrown from it passes through
   *     without any clean-up, as a crash would (tests)
   */
  public static void replaceDirectory(Path target, DirectoryWriter writer, Consumer<SwapStep> hook) throws IOException {
    Path abs = target.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    recoverDirectory(abs);
    Path tmp = sibling(abs, TMP);
    Files.createDirectory(tmp);
    try {
      writer.write(tmp);
      syncDirectory(tmp);
      hook.accept(SwapStep.WRITTEN);
      swapIn(tmp, abs, hook);
    } catch (IOException | RuntimeException e) {
      try {
        recoverDirectory(abs);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw e;
    }
  }

  /**
   * Swaps the complete directory {@code fresh} (a sibling of {@code target}, on the same file system)
   * in for {@code target}: old renamed away, new renamed in, old deleted.
   */
  public static void swapIn(Path fresh, Path target, Consumer<SwapStep> hook) throws IOException {
    Path abs = target.toAbsolutePath();
    Path old = null;
    if (Files.exists(abs)) {
      old = sibling(abs, OLD);
      Files.move(abs, old, StandardCopyOption.ATOMIC_MOVE);
      hook.accept(SwapStep.OLD_MOVED_AWAY);
    }
    Files.move(fresh, abs, StandardCopyOption.ATOMIC_MOVE);
    syncDirectory(abs.getParent());
    hook.accept(SwapStep.NEW_MOVED_IN);
    if (old != null) {
      deleteTree(old);
    }
  }

  /**
   * Repairs what an interrupted {@link #replaceDirectory} left next to {@code target}: when {@code
   * target} is missing, the previous directory ({@code .NAME.old-*}) is renamed back; other leftovers
   * (temporary and old copies) are deleted.
   */
  public static void recoverDirectory(Path target) throws IOException {
    Path abs = target.toAbsolutePath();
    Path parent = abs.getParent();
    if (!Files.isDirectory(parent)) {
      return;
    }
    String name = abs.getFileName().toString();
    List<Path> olds = new ArrayList<>();
    List<Path> tmps = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, "." + name + ".*")) {
      for (Path p : ds) {
        String n = p.getFileName().toString();
        if (n.startsWith("." + name + OLD)) {
          olds.add(p);
        } else if (n.startsWith("." + name + TMP)) {
          tmps.add(p);
        }
      }
    }
    if (!Files.exists(abs) && !olds.isEmpty()) {
      olds.sort(Comparator.comparing(p -> lastModified(p)));
      Files.move(olds.remove(olds.size() - 1), abs, StandardCopyOption.ATOMIC_MOVE);
    }
    for (Path p : olds) {
      deleteTree(p);
    }
    for (Path p : tmps) {
      deleteTree(p);
    }
  }

  /** {@link #recoverDirectory} for every directory under {@code parent} that has swap leftovers. */
  public static void recoverDirectories(Path parent) throws IOException {
    if (!Files.isDirectory(parent)) {
      return;
    }
    Set<String> names = new TreeSet<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(parent, ".*")) {
      for (Path p : ds) {
        Matcher m = LEFTOVER.matcher(p.getFileName().toString());
        if (m.matches()) {
          names.add(m.group(1));
        }
      }
    }
    for (String n : names) {
      recoverDirectory(parent.resolve(n));
    }
  }

  /** Deletes a file or a directory tree (nothing when it does not exist). */
  public static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(q);
      }
    }
  }

  private static Path sibling(Path target, String kind) {
    return target.resolveSibling("." + target.getFileName() + kind
        + Long.toString(RANDOM.nextLong() & Long.MAX_VALUE, 36));
  }

  private static FileTime lastModified(Path p) {
    try {
      return Files.getLastModifiedTime(p);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException ignored) {
      // not every file system can sync a directory; the files themselves are synced
    }
  }

  /** Renames atomically where the file system allows, replacing the target. */
  public static void move(Path from, Path to) throws IOException {
    try {
      Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
