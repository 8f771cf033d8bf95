package dev.align4j.peft.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * A strict UTF-8 decoding reader that counts lines as it decodes, so invalid byte sequences are
 * reported as {@link DataFormatException} with the exact line (the JDK's decoder would either replace
 * them silently or throw without a position). A leading byte-order mark is dropped.
 */
final class Utf8CheckingReader extends Reader {
  private final InputStream in;
  private final Path file;
  private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
      .onMalformedInput(CodingErrorAction.REPORT)
      .onUnmappableCharacter(CodingErrorAction.REPORT);
  private final ByteBuffer bytes = ByteBuffer.allocate(8192);
  private final CharBuffer chars = CharBuffer.allocate(8192);
  private long newlines;
  private boolean eof;
  private boolean flushed;
  private boolean first = true;

  Utf8CheckingReader(InputStream in, Path file) {
    this.in = in;
    this.file = file;
    chars.flip(); // start empty, in read mode
  }

  @Override
  public int read(char[] buf, int off, int len) throws IOException {
    if (len == 0) {
      return 0;
    }
    if (!chars.hasRemaining() && !fill()) {
      return -1;
    }
    int n = Math.min(len, chars.remaining());
    chars.get(buf, off, n);
    return n;
  }

  /** Decodes the next chunk; returns false at end of input. */
  private boolean fill() throws IOException {
    chars.clear();
    while (chars.position() == 0) {
      if (flushed) {
        chars.flip();
        return false;
      }
      if (!eof) {
        int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (n < 0) {
          eof = true;
        } else {
          bytes.position(bytes.position() + n);
        }
      }
      bytes.flip();
      int start = chars.position();
      CoderResult result = decoder.decode(bytes, chars, eof);
      bytes.compact();
      countNewlines(start);
      if (result.isError()) {
        throw new DataFormatException(file, newlines + 1, null,
            "invalid UTF-8 byte sequence (" + result.length() + " bad byte(s))");
      }
      if (eof) {
        start = chars.position();
        decoder.flush(chars);
        countNewlines(start);
        flushed = true;
      }
    }
    chars.flip();
    if (first) {
      first = false;
      if (chars.hasRemaining() && chars.get(chars.position()) == '\uFEFF') {
        chars.get();
        if (!chars.hasRemaining()) {
          return fill();
        }
      }
    }
    return true;
  }

  private void countNewlines(int from) {
    for (int i = from; i < chars.position(); i++) {
      if (chars.get(i) == '\n') {
        newlines++;
      }
    }
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
