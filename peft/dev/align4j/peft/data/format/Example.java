package dev.align4j.peft.data.format;

/** A normalised training example: a chat {@link Conversation} or {@link PlainText} for continued pre-training. */
public sealed interface Example permits Conversation, PlainText {
    /** Characters of all text in the example (used for over-long checks). */
    int charCount();
}
