package dev.align4j.peft.data.preference;

import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Tokenises preference data exactly as TRL 1.13 prepares it (no length handling here: that is {@link
 * PreferencePreparer}'s job, with a report).
 *
 * <ul>
 *   <li>Text: the tokenizer's {@code eos_token} string is appended to each completion unless it already
 *       ends with it, and text is encoded with the tokenizer's special tokens ({@code tokenizer(text)}).
 *   <li>Chat: the chat template renders the messages ({@code apply_chat_template}) and the rendering is
 *       encoded without special tokens; no EOS is appended (the template writes the end of turn).
 *   <li>Reward ({@code RewardTrainer._prepare_dataset}): each side is prompt + completion.
 *   <li>DPO and KTO ({@code _prepare_dataset}): the prompt alone (chat: with {@code
 *       add_generation_prompt=True}) and prompt + completion are tokenised; the completion is the full
 *       sequence after the prompt's length, even when the prompt's tokens are not its prefix (TRL warns;
 *       the encoding's {@code prefixMismatch} says so).
 * </ul>
 */
public final class PreferenceTokenizer {
  private final Tokenizer tokenizer;
  private final ChatTemplate template;   // null: conversations are refused
  private final String eosToken;         // null: text is refused

  /**
   * @param tokenizer the tokenizer
   * @param template  the chat template for conversational data ({@code tokenizer.chatTemplate()} or a
   *                  built-in one), or null when the data is text
   */
  public PreferenceTokenizer(Tokenizer tokenizer, ChatTemplate template) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.template = template;
    this.eosToken = tokenizer.specialTokens().get("eos_token");
  }

  /** With the tokenizer's own chat template, if it has one. */
  public static PreferenceTokenizer of(Tokenizer tokenizer) {
    return new PreferenceTokenizer(tokenizer, tokenizer.chatTemplate().orElse(null));
  }

  /** The tokenizer. */
  public Tokenizer tokenizer() {
    return tokenizer;
  }

  /** Reward-model encoding (RewardTrainer): prompt + chosen and prompt + rejected. */
  public RewardEncoding forReward(PreferencePair p) {
    long[] chosen = full(p.prompt(), p.chosen());
    long[] rejected = full(p.prompt(), p.rejected());
    long[] prompt = promptIds(p.prompt());
    int promptTokens = isPrefix(prompt, chosen) && isPrefix(prompt, rejected) ? prompt.length : 0;
    return new RewardEncoding(p, chosen, rejected, promptTokens);
  }

  /** DPO encoding (DPOTrainer): prompt ids and the two completions' ids. */
  public DpoEncoding forDpo(PreferencePair p) {
    long[] prompt = promptIds(p.prompt());
    long[] chosen = full(p.prompt(), p.chosen());
    long[] rejected = full(p.prompt(), p.rejected());
    boolean mismatch = !isPrefix(prompt, chosen) || !isPrefix(prompt, rejected);
    return new DpoEncoding(p, prompt, tail(chosen, prompt.length), tail(rejected, prompt.length), mismatch);
  }

  /** KTO encoding (KTOTrainer): prompt ids and the completion's ids. */
  public KtoEncoding forKto(UnpairedExample e) {
    long[] prompt = promptIds(e.prompt());
    long[] full = full(e.prompt(), e.completion());
    return new KtoEncoding(e, prompt, tail(full, prompt.length), !isPrefix(prompt, full));
  }

  /** The prompt's tokens: text with special tokens, chat rendered with the generation prompt. */
  public long[] promptIds(Segment prompt) {
    if (prompt instanceof Segment.Text t) {
      return tokenizer.encode(t.text(), true);
    }
    return tokenizer.encode(render(((Segment.Chat) prompt).messages(), true), false);
  }

  /** Prompt + completion as one sequence: text gets EOS (unless already there), chat the template only. */
  public long[] full(Segment prompt, Segment completion) {
    if (completion instanceof Segment.Text c) {
      String text = c.text();
      String eos = eos();
      if (!text.endsWith(eos)) {
        text = text + eos;
      }
      return tokenizer.encode(((Segment.Text) prompt).text() + text, true);
    }
    return tokenizer.encode(render(((Segment.Chat) prompt.concat(completion)).messages(), false), false);
  }

  private String eos() {
    if (eosToken == null) {
      throw new IllegalArgumentException("text preference data needs the tokenizer's eos_token (TRL appends it to "
          + "each completion), and tokenizer_config.json sets none");
    }
    return eosToken;
  }

  private String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
    if (template == null) {
      throw new IllegalArgumentException("conversational preference data needs a chat template, and there is none: "
          + "the tokenizer has no chat_template");
    }
    return template.render(messages, addGenerationPrompt);
  }

  private static boolean isPrefix(long[] prefix, long[] ids) {
    return prefix.length <= ids.length && Arrays.equals(prefix, 0, prefix.length, ids, 0, prefix.length);
  }

  private static long[] tail(long[] ids, int from) {
    return from >= ids.length ? new long[0] : Arrays.copyOfRange(ids, from, ids.length);
  }
}
