package dev.align4j.sft;

import dev.align4j.peft.tokenizer.AssistantMasker;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.TokenizedChat;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.train.TrainingExample;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.Example;
import dev.align4j.peft.data.format.PlainText;
import dev.align4j.peft.data.format.Turn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns examples into token sequences with their loss masks: conversations through the chat template
 * (assistant turns and their end-of-turn token trained), plain text as continued pre-training (every
 * token, EOS appended). Counts what it truncates or drops, so nothing is lost silently.
 */
public final class SftEncoder {
  private final Tokenizer tokenizer;
  /** Null without a chat template: plain text still encodes, conversations are refused. */
  private final AssistantMasker masker;
  private final SftOptions options;
  private long encoded;
  private long truncated;
  private long dropped;

  /**
   * An encoder for a tokenizer and template.
   *
   * @param template the chat template, or null when there is none: plain text (continued
   *     pre-training) needs none, and a conversation is then refused with an error naming what is missing
   */
  public SftEncoder(Tokenizer tokenizer, ChatTemplate template, SftOptions options) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "SftEncoder needs a tokenizer");
    this.masker = template == null ? null : new AssistantMasker(tokenizer, template);
    this.options = options;
  }

  /** The chat messages of a conversation, system first. */
  public static List<ChatMessage> messages(Conversation c) {
    List<ChatMessage> out = new ArrayList<>();
    if (c.system() != null && !c.system().isBlank()) {
      out.add(new ChatMessage("system", c.system()));
    }
    for (Turn t : c.turns()) {
      out.add(new ChatMessage(t.role().name().toLowerCase(Locale.ROOT), t.content()));
    }
    return out;
  }

  /** The training sequence for {@code e}, or empty when nothing trainable survives truncation. */
  public Optional<TrainingExample> encode(Example e) {
    long[] ids;
    boolean[] targets;
    if (e instanceof PlainText p) {
      long[] text = tokenizer.encode(p.text(), true);
      long[] eos = tokenizer.eosIds();
      ids = Arrays.copyOf(text, text.length + (eos.length > 0 ? 1 : 0));
      if (eos.length > 0) {
        ids[ids.length - 1] = eos[0];
      }
      targets = new boolean[ids.length];
      Arrays.fill(targets, true);
    } else if (e instanceof Conversation c) {
      if (masker == null) {
        throw new IllegalArgumentException("conversations need a chat template, and there is none: the tokenizer "
            + "has no chat_template; set `template: " + BuiltinTemplate.choices() + "` in the recipe");
      }
      TokenizedChat tc = masker.tokenize(messages(c));
      ids = tc.ids();
      targets = tc.assistantMask().clone();
      if (options.trainOnPrompt()) {
        Arrays.fill(targets, true);
      } else if (options.maskHistory()) {
        keepLastRun(targets);
      }
    } else {
      throw new IllegalArgumentException("unsupported example type " + e.getClass().getSimpleName());
    }
    if (ids.length > options.cutoffLen()) {
      ids = Arrays.copyOf(ids, options.cutoffLen());
      targets = Arrays.copyOf(targets, options.cutoffLen());
      truncated++;
    }
    TrainingExample ex = new TrainingExample(ids, targets);
    if (ids.length < 2 || ex.targetCount() == 0) {
      dropped++;
      return Optional.empty();
    }
    encoded++;
    return Optional.of(ex);
  }

  /** Clears every masked run but the last (the final assistant turn). */
  static void keepLastRun(boolean[] mask) {
    int end = mask.length - 1;
    while (end >= 0 && !mask[end]) {
      end--;
    }
    int start = end;
    while (start > 0 && mask[start - 1]) {
      start--;
    }
    for (int i = 0; i < Math.max(0, start); i++) {
      mask[i] = false;
    }
  }

  /** Examples encoded. */
  public long encodedCount() {
    return encoded;
  }

  /** Examples cut at {@code cutoff_len} (still used). */
  public long truncatedCount() {
    return truncated;
  }

  /** Examples dropped: no trainable token left. */
  public long droppedCount() {
    return dropped;
  }

  /** One line for logs. */
  public String report() {
    return String.format("encoded %d examples; %d truncated at cutoff_len %d; %d dropped (no trainable tokens)",
        encoded, truncated, options.cutoffLen(), dropped);
  }
}
