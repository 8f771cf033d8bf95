package dev.align4j.recipes.rm;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Segment;
import dev.align4j.peft.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.List;

/**
 * One {@code score} input tokenised as the reward model was trained (TRL's RewardTrainer), with the
 * length of its prompt (what a log-probability score conditions on, as DPO splits a pair).
 *
 * @param ids          the whole sequence
 * @param promptTokens the leading tokens that are context, not scored by log-probability: the prompt's
 *                     own tokenisation length (text: {@code tokenizer(prompt)}; chat: the prompt
 *                     rendered with the generation prompt; {@code messages}: all but the last message);
 *                     0 for {@code text} and {@code ids}
 */
record ScoreInput(long[] ids, int promptTokens) {
  ScoreInput {
    if (ids.length == 0) {
      throw new IllegalArgumentException("an input encodes to no tokens");
    }
    if (promptTokens < 0) {
      throw new IllegalArgumentException("promptTokens must be >= 0, got " + promptTokens);
    }
  }

  /** One input record's tokens; errors name {@code file:line: field}. */
  static ScoreInput encode(SourceRecord rec, PreferenceTokenizer ptok, int vocab) {
    JsonNode v = rec.value();
    String where = rec.file() + ":" + rec.line() + ": ";
    try {
      if (v.has("ids")) {
        JsonNode a = v.get("ids");
        if (!a.isArray() || a.isEmpty()) {
          throw new IllegalArgumentException("ids: expected a non-empty array of token ids");
        }
        long[] ids = new long[a.size()];
        for (int i = 0; i < ids.length; i++) {
          if (!a.get(i).isIntegralNumber() || a.get(i).asLong() < 0 || a.get(i).asLong() >= vocab) {
            throw new IllegalArgumentException("ids[" + i + "]: expected a token id in [0, " + vocab + "), got " + a.get(i));
          }
          ids[i] = a.get(i).asLong();
        }
        return new ScoreInput(ids, 0);
      }
      if (v.has("messages")) {
        List<ChatMessage> msgs = messages(v.get("messages"), "messages");
        long[] ids = ptok.full(new Segment.Chat(List.of()), new Segment.Chat(msgs));
        int prompt = msgs.size() > 1 ? ptok.promptIds(new Segment.Chat(msgs.subList(0, msgs.size() - 1))).length : 0;
        return new ScoreInput(ids, prompt);
      }
      if (v.has("completion")) {
        JsonNode p = v.path("prompt");
        JsonNode c = v.get("completion");
        if (c.isTextual()) {
          if (!p.isMissingNode() && !p.isTextual()) {
            throw new IllegalArgumentException("prompt: expected a string like completion");
          }
          Segment.Text prompt = new Segment.Text(p.isMissingNode() ? "" : p.asText());
          long[] ids = ptok.full(prompt, new Segment.Text(c.asText()));
          return new ScoreInput(ids, p.isMissingNode() ? 0 : ptok.promptIds(prompt).length);
        }
        Segment.Chat prompt = new Segment.Chat(p.isMissingNode() ? List.of() : messages(p, "prompt"));
        long[] ids = ptok.full(prompt, new Segment.Chat(messages(c, "completion")));
        return new ScoreInput(ids, p.isMissingNode() ? 0 : ptok.promptIds(prompt).length);
      }
      if (v.has("text")) {
        if (!v.get("text").isTextual()) {
          throw new IllegalArgumentException("text: expected a string");
        }
        return new ScoreInput(ptok.full(new Segment.Text(""), new Segment.Text(v.get("text").asText())), 0);
      }
      throw new IllegalArgumentException("expected a field text, prompt+completion, messages or ids");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
  }

  private static List<ChatMessage> messages(JsonNode a, String field) {
    if (!a.isArray()) {
      throw new IllegalArgumentException(field + ": expected an array of {\"role\", \"content\"} messages");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      JsonNode msg = a.get(i);
      if (!msg.path("role").isTextual() || !msg.path("content").isTextual()) {
        throw new IllegalArgumentException(field + "[" + i + "]: expected {\"role\": string, \"content\": string}");
      }
      out.add(new ChatMessage(msg.get("role").asText(), msg.get("content").asText()));
    }
    return out;
  }
}
