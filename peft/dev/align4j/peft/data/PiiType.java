package dev.align4j.peft.data;

/** Kinds of personal information {@link PiiScrubber} replaces, each with its typed placeholder. */
public enum PiiType {
  /** Chinese resident identity card number (18-digit GB 11643 or 15-digit legacy). */
  ID("[ID]"),
  /** Mainland mobile or landline number. */
  PHONE("[PHONE]"),
  /** E-mail address. */
  EMAIL("[EMAIL]"),
  /** Bank card number (16-19 digits, Luhn-valid). */
  BANK_CARD("[BANK_CARD]"),
  /** IPv4 address. */
  IP("[IP]"),
  /** Personal name from a supplied list or a labelled field. */
  NAME("[NAME]");

  private final String placeholder;

  PiiType(String placeholder) {
    this.placeholder = placeholder;
  }

  /** The text that replaces a match, e.g. {@code [PHONE]}. */
  public String placeholder() {
    return placeholder;
  }
}
