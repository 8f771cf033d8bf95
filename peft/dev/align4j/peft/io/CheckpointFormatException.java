package dev.align4j.peft.io;

import java.io.IOException;

/** A checkpoint or safetensors file that is malformed; the message names the file and the field. */
public class CheckpointFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** An error about {@code file}. */
  public CheckpointFormatException(Object file, String what) {
    super(file + ": " + what);
  }

  /** An error about {@code file} with a cause. */
  public CheckpointFormatException(Object file, String what, Throwable cause) {
    super(file + ": " + what, cause);
  }
}
