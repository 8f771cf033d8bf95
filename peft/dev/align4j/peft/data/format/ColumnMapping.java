package dev.align4j.peft.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which record fields hold what, and how roles are spelled, modelled on LLaMA-Factory's
 * {@code dataset_info.json} entries ({@code columns} and {@code tags}).
 *
 * @param format  the layout the mapping applies to
 * @param columns field names
 * @param tags    role/content keys and role spellings (conversation formats only)
 */
public record ColumnMapping(DataFormat format, Columns columns, Tags tags) {
  public ColumnMapping {
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(columns, "columns");
    Objects.requireNonNull(tags, "tags");
  }

  /**
   * Field names. {@code prompt}/{@code query}/{@code response}/{@code history} are used by alpaca,
   * {@code messages} by sharegpt/openai, {@code system} by both, {@code text} by the text format.
   */
  public record Columns(String prompt, String query, String response, String history, String messages,
              String system, String text) {
    public Columns {
      Objects.requireNonNull(prompt, "prompt");
      Objects.requireNonNull(query, "query");
      Objects.requireNonNull(response, "response");
      Objects.requireNonNull(history, "history");
      Objects.requireNonNull(messages, "messages");
      Objects.requireNonNull(system, "system");
      Objects.requireNonNull(text, "text");
    }
  }

  /**
   * Message keys and role spellings. {@code functionTag} (a model's tool call) maps to
   * {@link Role#ASSISTANT}, {@code observationTag} (the tool's answer) to {@link Role#TOOL}.
   */
  public record Tags(String roleTag, String contentTag, String userTag, String assistantTag,
             String observationTag, String functionTag, String systemTag) {
    public Tags {
      Objects.requireNonNull(roleTag, "roleTag");
      Objects.requireNonNull(contentTag, "contentTag");
      Objects.requireNonNull(userTag, "userTag");
      Objects.requireNonNull(assistantTag, "assistantTag");
      Objects.requireNonNull(observationTag, "observationTag");
      Objects.requireNonNull(functionTag, "functionTag");
      Objects.requireNonNull(systemTag, "systemTag");
    }
  }

  private static final Tags SHAREGPT_TAGS = new Tags("from", "value", "human", "gpt", "observation", "function_call", "system");
  private static final Tags OPENAI_TAGS = new Tags("role", "content", "user", "assistant", "tool", "function_call", "system");

  /** The conventional mapping of a format (LLaMA-Factory defaults; {@code messages} for openai). */
  public static ColumnMapping defaults(DataFormat format) {
    String messages = format == DataFormat.OPENAI ? "messages" : "conversations";
    Columns c = new Columns("instruction", "input", "output", "history", messages, "system", "text");
    return new ColumnMapping(format, c, format == DataFormat.OPENAI ? OPENAI_TAGS : SHAREGPT_TAGS);
  }

  /**
   * Reads one {@code dataset_info.json} entry: {@code formatting} (alpaca|sharegpt|openai|text, default
   * alpaca), {@code columns} and {@code tags}; keys not given keep their defaults.
   */
  public static ColumnMapping fromDatasetInfo(JsonNode entry) {
    DataFormat f = entry.hasNonNull("formatting") ? DataFormat.parse(entry.get("formatting").asText()) : DataFormat.ALPACA;
    ColumnMapping d = defaults(f);
    JsonNode c = entry.path("columns");
    JsonNode t = entry.path("tags");
    Columns cols = new Columns(str(c, "prompt", d.columns.prompt), str(c, "query", d.columns.query),
        str(c, "response", d.columns.response), str(c, "history", d.columns.history),
        str(c, "messages", d.columns.messages), str(c, "system", d.columns.system), str(c, "text", d.columns.text));
    Tags tags = new Tags(str(t, "role_tag", d.tags.roleTag), str(t, "content_tag", d.tags.contentTag),
        str(t, "user_tag", d.tags.userTag), str(t, "assistant_tag", d.tags.assistantTag),
        str(t, "observation_tag", d.tags.observationTag), str(t, "function_tag", d.tags.functionTag),
        str(t, "system_tag", d.tags.systemTag));
    return new ColumnMapping(f, cols, tags);
  }

  /**
   * Resolves a role spelling: the configured tags first, then the common aliases (human/user,
   * gpt/assistant/model, system, observation/tool/function, function_call).
   */
  public Optional<Role> role(String tag) {
    if (tag.equals(tags.userTag)) {
      return Optional.of(Role.USER);
    }
    if (tag.equals(tags.assistantTag) || tag.equals(tags.functionTag)) {
      return Optional.of(Role.ASSISTANT);
    }
    if (tag.equals(tags.observationTag)) {
      return Optional.of(Role.TOOL);
    }
    if (tag.equals(tags.systemTag)) {
      return Optional.of(Role.SYSTEM);
    }
    return switch (tag.toLowerCase(Locale.ROOT)) {
      case "human", "user" -> Optional.of(Role.USER);
      case "gpt", "assistant", "model", "function_call" -> Optional.of(Role.ASSISTANT);
      case "system" -> Optional.of(Role.SYSTEM);
      case "observation", "tool", "function" -> Optional.of(Role.TOOL);
      default -> Optional.empty();
    };
  }

  private static String str(JsonNode n, String key, String dflt) {
    JsonNode v = n.get(key);
    return v == null || v.isNull() ? dflt : v.asText();
  }
}
