package dev.align4j.peft.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * Streams JSON object records from a JSONL file (one object per line, blank lines ignored) or from a
 * file holding one JSON array of objects. The layout is detected from the first non-blank byte. Memory
 * use is one record at a time; the whole file is never loaded.
 *
 * <p>In strict mode (no problem sink) the first bad record throws {@link DataFormatException}. With a
 * problem sink, bad JSONL lines (malformed JSON, invalid UTF-8, non-object values) are reported and
 * skipped so a validator can list every problem; errors that break the structure of a JSON array file
 * are reported and end the iteration.
 *
 * <p>Not thread-safe. Close it (or the stream from {@link #stream()}) to release the file.
 */
public final class JsonRecords implements Iterator<SourceRecord>, Closeable {
  /** How records are laid out in the file. */
  public enum Layout { JSONL, JSON_ARRAY }

  /** Shared mapper: strict about trailing garbage on a JSONL line. */
  static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .build();
  /** For array elements: the parser stays on the array, so "trailing tokens" are the next elements. */
  private static final ObjectMapper ELEMENT_MAPPER = new ObjectMapper();

  private final Path file;
  private final Layout layout;
  private final Consumer<DataProblem> problems;
  private final BufferedInputStream bytes;      // JSONL
  private final JsonParser parser;              // JSON array
  private long lineNo;                          // JSONL: last line read
  private SourceRecord pending;
  private boolean done;
  private boolean started;                      // JSON array: opening bracket consumed

  private JsonRecords(Path file, Consumer<DataProblem> problems) throws IOException {
    this.file = file;
    this.problems = problems;
    BufferedInputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
    try {
      this.layout = detect(in);
      if (layout == Layout.JSONL) {
        this.bytes = in;
        this.parser = null;
      } else {
        this.bytes = null;
        this.parser = MAPPER.getFactory().createParser(new Utf8CheckingReader(in, file));
      }
    } catch (IOException | RuntimeException e) {
      in.close();
      throw e;
    }
  }

  /** Opens {@code file} in strict mode: the first bad record throws {@link DataFormatException}. */
  public static JsonRecords open(Path file) throws IOException {
    return new JsonRecords(Objects.requireNonNull(file, "file"), null);
  }

  /** Opens {@code file} in lenient mode: bad records go to {@code problems} and are skipped. */
  public static JsonRecords open(Path file, Consumer<DataProblem> problems) throws IOException {
    return new JsonRecords(Objects.requireNonNull(file, "file"), Objects.requireNonNull(problems, "problems"));
  }

  /** Reads every record of a (small) file in strict mode. */
  public static List<SourceRecord> readAll(Path file) throws IOException {
    List<SourceRecord> out = new ArrayList<>();
    try (JsonRecords records = open(file)) {
      records.forEachRemaining(out::add);
    }
    return out;
  }

  /** The detected layout. */
  public Layout layout() {
    return layout;
  }

  /** The remaining records as a sequential stream; closing the stream closes this reader. */
  public Stream<SourceRecord> stream() {
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(this, Spliterator.ORDERED | Spliterator.NONNULL),
        false).onClose(() -> {
          try {
            close();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
  }

  /** {@inheritDoc} I/O failures surface as {@link UncheckedIOException}. */
  @Override
  public boolean hasNext() {
    if (pending == null && !done) {
      try {
        pending = layout == Layout.JSONL ? nextLine() : nextElement();
      } catch (IOException e) {
        throw new UncheckedIOException(file + ": " + e.getMessage(), e);
      }
      if (pending == null) {
        done = true;
      }
    }
    return pending != null;
  }

  @Override
  public SourceRecord next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    SourceRecord r = pending;
    pending = null;
    return r;
  }

  @Override
  public void close() throws IOException {
    done = true;
    if (parser != null) {
      parser.close();
    }
    if (bytes != null) {
      bytes.close();
    }
  }

  private static Layout detect(BufferedInputStream in) throws IOException {
    in.mark(1 << 15);
    int b;
    int pos = 0;
    while ((b = in.read()) >= 0 && pos < (1 << 15) - 1) {
      pos++;
      // skip ASCII whitespace and the UTF-8 BOM bytes
      if (b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == 0xEF || b == 0xBB || b == 0xBF) {
        continue;
      }
      break;
    }
    in.reset();
    return b == '[' ? Layout.JSON_ARRAY : Layout.JSONL;
  }

  private void report(DataProblem p, Throwable cause) {
    if (problems == null) {
      throw new DataFormatException(p, cause);
    }
    problems.accept(p);
  }

  // ---- JSONL ----

  private SourceRecord nextLine() throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(256);
    while (true) {
      buf.reset();
      int b;
      boolean any = false;
      while ((b = bytes.read()) >= 0) {
        any = true;
        if (b == '\n') {
          break;
        }
        buf.write(b);
      }
      if (!any) {
        return null;
      }
      lineNo++;
      byte[] raw = buf.toByteArray();
      int start = lineNo == 1 && raw.length >= 3 && (raw[0] & 0xFF) == 0xEF && (raw[1] & 0xFF) == 0xBB
          && (raw[2] & 0xFF) == 0xBF ? 3 : 0;
      int end = raw.length > start && raw[raw.length - 1] == '\r' ? raw.length - 1 : raw.length;
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(raw, start, end - start)).toString();
      } catch (CharacterCodingException e) {
        report(new DataProblem(file, lineNo, null, "invalid UTF-8 byte sequence"), e);
        continue;
      }
      if (text.isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = MAPPER.readTree(text);
      } catch (JsonProcessingException e) {
        report(new DataProblem(file, lineNo, null, "malformed JSON: " + describe(e)), e);
        continue;
      }
      if (!(node instanceof ObjectNode obj)) {
        report(new DataProblem(file, lineNo, null, "record is not a JSON object but " + kind(node)), null);
        continue;
      }
      return new SourceRecord(file, lineNo, obj);
    }
  }

  // ---- JSON array ----

  private SourceRecord nextElement() throws IOException {
    try {
      if (!started) {
        started = true;
        JsonToken t = parser.nextToken();
        if (t != JsonToken.START_ARRAY) {
          report(new DataProblem(file, line(parser.currentTokenLocation()), null, "expected a JSON array"), null);
          return null;
        }
      }
      while (true) {
        JsonToken t = parser.nextToken();
        long line = line(parser.currentTokenLocation());
        if (t == JsonToken.END_ARRAY) {
          if (parser.nextToken() != null) {
            report(new DataProblem(file, line(parser.currentTokenLocation()), null,
                "unexpected content after the top-level array"), null);
          }
          return null;
        }
        if (t == null) {
          report(new DataProblem(file, line, null, "unexpected end of file inside the top-level array"), null);
          return null;
        }
        if (t == JsonToken.START_OBJECT) {
          ObjectNode obj = ELEMENT_MAPPER.readTree(parser);
          return new SourceRecord(file, line, obj);
        }
        parser.skipChildren();
        report(new DataProblem(file, line, null, "array element is not a JSON object but " + t.asString()), null);
      }
    } catch (JsonProcessingException e) {
      report(new DataProblem(file, line(e.getLocation()), null, "malformed JSON: " + describe(e)), e);
      return null;
    } catch (DataFormatException e) {
      // strict-mode report above, or invalid UTF-8 from the decoding reader: structure lost, stop
      if (problems == null) {
        throw e;
      }
      problems.accept(e.problem());
      return null;
    }
  }

  private static long line(JsonLocation loc) {
    return loc == null || loc.getLineNr() < 1 ? 1 : loc.getLineNr();
  }

  private static String describe(JsonProcessingException e) {
    String m = e.getOriginalMessage();
    int nl = m == null ? -1 : m.indexOf('\n');
    String first = m == null ? e.getClass().getSimpleName() : nl >= 0 ? m.substring(0, nl) : m;
    // Jackson appends a redacted source location; we already give file, line and column
    first = first.replaceAll("\\s*\\(start marker at \\[Source: [^\\]]*\\]\\)", "");
    JsonLocation loc = e.getLocation();
    return loc != null && loc.getColumnNr() > 0 ? first + " (column " + loc.getColumnNr() + ")" : first;
  }

  private static String kind(JsonNode n) {
    return n.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
  }
}
