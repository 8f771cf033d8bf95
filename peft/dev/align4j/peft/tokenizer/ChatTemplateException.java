package dev.align4j.peft.tokenizer;

/** A chat template could not be compiled or rendered, or it called {@code raise_exception}. */
public final class ChatTemplateException extends RuntimeException {

  /** Creates the exception with a message naming the template problem. */
  public ChatTemplateException(String message) {
    super(message);
  }

  /** Creates the exception with a message and its cause. */
  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
