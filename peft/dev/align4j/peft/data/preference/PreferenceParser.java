package dev.align4j.peft.data.preference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.Parsed;
import dev.align4j.peft.data.RecordProblems;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.format.AlpacaHistory;
import dev.align4j.peft.data.format.ColumnMapping;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.Example;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.peft.data.format.Role;
import dev.align4j.peft.data.format.Turn;
import dev.align4j.peft.tokenizer.ChatMessage;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;

/**
 * Turns JSON records into {@link PreferencePair}s, collecting every structural problem as {@code
 * file:line: field: what} (missing or mistyped fields, bad messages). Content problems that TRL would
 * let through (blank or identical sides) are left to {@link PreferenceChecks}, so they are counted
 * rather than fatal.
 *
 * <p>Formats: {@link PreferenceFormat#TRL} (text or OpenAI messages, explicit or implicit prompt,
 * optional numeric {@code margin}) and LLaMA-Factory's ranking datasets (alpaca and sharegpt layouts,
 * with a {@code dataset_info.json} entry's {@code columns} and {@code tags}). Ranking pairs become chat
 * pairs: the prompt is the system message and the turns, chosen and rejected one assistant message
 * each. Other string-valued fields are kept as {@link PreferencePair#extras()}.
 */
public final class PreferenceParser {
  private final PreferenceFormat format;      // null: detect per record
  private final ColumnMapping mapping;        // ranking formats: columns and tags (null for auto/TRL)
  private final String chosenColumn;
  private final String rejectedColumn;

  private PreferenceParser(PreferenceFormat format, ColumnMapping mapping, String chosenColumn,
      String rejectedColumn) {
    this.format = format;
    this.mapping = mapping;
    this.chosenColumn = Objects.requireNonNull(chosenColumn, "chosenColumn");
    this.rejectedColumn = Objects.requireNonNull(rejectedColumn, "rejectedColumn");
  }

  /** A parser that detects the format of each record ({@link PreferenceFormat#autodetect}). */
  public static PreferenceParser auto() {
    return new PreferenceParser(null, null, "chosen", "rejected");
  }

  /** A parser for {@code format} with its conventional field names. */
  public static PreferenceParser of(PreferenceFormat format) {
    Objects.requireNonNull(format, "format");
    return new PreferenceParser(format, defaultMapping(format), "chosen", "rejected");
  }

  /**
   * A parser for one LLaMA-Factory {@code dataset_info.json} entry with {@code "ranking": true}:
   * {@code formatting} alpaca (default) or sharegpt, {@code columns} (prompt, query, history, system,
   * messages, chosen, rejected) and {@code tags}.
   *
   * @throws IllegalArgumentException when the entry is not a ranking entry or its formatting is not
   *     alpaca or sharegpt
   */
  public static PreferenceParser fromDatasetInfo(JsonNode entry) {
    Objects.requireNonNull(entry, "entry");
    if (!entry.path("ranking").asBoolean(false)) {
      throw new IllegalArgumentException("dataset_info entry is not a preference dataset: set \"ranking\": true");
    }
    ColumnMapping m = ColumnMapping.fromDatasetInfo(entry);
    PreferenceFormat f = switch (m.format()) {
      case ALPACA -> PreferenceFormat.ALPACA_RANKING;
      case SHAREGPT, OPENAI -> PreferenceFormat.SHAREGPT_RANKING;
      case TEXT -> throw new IllegalArgumentException("dataset_info entry: ranking needs formatting alpaca or sharegpt");
    };
    JsonNode c = entry.path("columns");
    return new PreferenceParser(f, m, c.path("chosen").asText("chosen"), c.path("rejected").asText("rejected"));
  }

  /** The fixed format, or empty when each record's is detected. */
  public Optional<PreferenceFormat> format() {
    return Optional.ofNullable(format);
  }

  /** Parses a record, throwing {@link DataFormatException} for its first problem. */
  public PreferencePair parse(SourceRecord record) {
    return check(record).orThrow();
  }

  /** Parses a record, collecting all problems instead of throwing. */
  public Parsed<PreferencePair> check(SourceRecord record) {
    Objects.requireNonNull(record, "record");
    RecordProblems ctx = new RecordProblems(record);
    PreferenceFormat f = format;
    ColumnMapping m = mapping;
    if (f == null) {
      Optional<PreferenceFormat> d = PreferenceFormat.autodetect(record.value());
      if (d.isEmpty()) {
        ctx.fail(record.value().has(chosenColumn) ? rejectedColumn : chosenColumn, "missing field");
        return Parsed.of(null, ctx);
      }
      f = d.get();
      m = defaultMapping(f);
      if (f == PreferenceFormat.SHAREGPT_RANKING && !record.value().path(m.columns().messages()).isArray()) {
        m = ColumnMapping.defaults(DataFormat.OPENAI);   // {"messages": [{role, content}], ...}
      }
    }
    PreferencePair pair = switch (f) {
      case TRL -> trl(ctx);
      case ALPACA_RANKING -> alpacaRanking(ctx, m);
      case SHAREGPT_RANKING -> sharegptRanking(ctx, m);
    };
    return Parsed.of(pair, ctx);
  }

  private static ColumnMapping defaultMapping(PreferenceFormat f) {
    return switch (f) {
      case TRL -> null;
      case ALPACA_RANKING -> ColumnMapping.defaults(DataFormat.ALPACA);
      case SHAREGPT_RANKING -> ColumnMapping.defaults(DataFormat.SHAREGPT);
    };
  }

  // ---- TRL: prompt / chosen / rejected ----

  private PreferencePair trl(RecordProblems ctx) {
    Segment chosen = segment(ctx, chosenColumn, true);
    Segment rejected = segment(ctx, rejectedColumn, true);
    Segment prompt = segment(ctx, "prompt", false);
    OptionalDouble margin = margin(ctx);
    if (chosen != null && rejected != null && chosen.isChat() != rejected.isChat()) {
      ctx.fail(rejectedColumn, "expected " + kindName(chosen) + " like " + chosenColumn + " but got " + kindName(rejected));
    }
    if (!ctx.problems().isEmpty()) {
      return null;
    }
    Segment c = chosen;
    Segment r = rejected;
    if (prompt == null || prompt.isChat() != chosen.isChat()) {
      // TRL's maybe_extract_prompt: no prompt, or a prompt of the other kind next to full conversations
      ImplicitPrompt.Split s = ImplicitPrompt.extract(chosen, rejected);
      prompt = s.prompt();
      c = s.chosen();
      r = s.rejected();
    }
    return new PreferencePair(ctx.record().file(), ctx.record().line(), prompt, c, r, margin,
        extras(ctx, Set.of("prompt", chosenColumn, rejectedColumn, "margin")));
  }

  /** A text or message-list field; null when absent (and optional) or bad. */
  static Segment segment(RecordProblems ctx, String field, boolean required) {
    JsonNode n = ctx.value().get(field);
    if (n == null || n.isNull()) {
      if (required) {
        ctx.fail(field, "missing field");
      }
      return null;
    }
    if (n.isTextual()) {
      return new Segment.Text(n.textValue());
    }
    if (!n.isArray()) {
      ctx.fail(field, "expected a string or an array of messages but got " + RecordProblems.kind(n));
      return null;
    }
    List<ChatMessage> msgs = new ArrayList<>();
    int before = ctx.problems().size();
    for (int i = 0; i < n.size(); i++) {
      ChatMessage m = openAiMessage(ctx, n.get(i), field + "[" + i + "]");
      if (m != null) {
        msgs.add(m);
      }
    }
    return ctx.problems().size() == before ? new Segment.Chat(msgs) : null;
  }

  private static ChatMessage openAiMessage(RecordProblems ctx, JsonNode m, String field) {
    if (!m.isObject()) {
      ctx.fail(field, "expected a message object but got " + RecordProblems.kind(m));
      return null;
    }
    JsonNode role = m.get("role");
    JsonNode content = m.get("content");
    boolean ok = true;
    if (role == null || role.isNull()) {
      ctx.fail(field + ".role", "missing field");
      ok = false;
    } else if (!role.isTextual() || role.textValue().isBlank()) {
      ctx.fail(field + ".role", role.isTextual() ? "blank role" : "expected a string but got " + RecordProblems.kind(role));
      ok = false;
    }
    if (content == null || content.isNull()) {
      ctx.fail(field + ".content", "missing field");
      ok = false;
    } else if (!content.isTextual()) {
      ctx.fail(field + ".content", "expected a string but got " + RecordProblems.kind(content));
      ok = false;
    }
    return ok ? new ChatMessage(role.textValue(), content.textValue()) : null;
  }

  private static OptionalDouble margin(RecordProblems ctx) {
    JsonNode n = ctx.value().get("margin");
    if (n == null || n.isNull()) {
      return OptionalDouble.empty();
    }
    if (!n.isNumber()) {
      ctx.fail("margin", "expected a number but got " + RecordProblems.kind(n));
      return OptionalDouble.empty();
    }
    return OptionalDouble.of(n.doubleValue());
  }

  // ---- LLaMA-Factory ranking ----

  /** AlpacaDatasetConverter: history turns, then the user turn "prompt\nquery" (blank parts skipped). */
  private PreferencePair alpacaRanking(RecordProblems ctx, ColumnMapping m) {
    ColumnMapping.Columns c = m.columns();
    ObjectNode v = ctx.value();
    List<ChatMessage> prompt = new ArrayList<>();
    String system = optionalText(ctx, c.system());
    if (system != null && !system.isEmpty()) {
      prompt.add(ChatMessage.system(system));
    }
    for (Turn t : AlpacaHistory.turns(ctx, v.get(c.history()), c.history())) {
      prompt.add(t.role() == Role.USER ? ChatMessage.user(t.content()) : ChatMessage.assistant(t.content()));
    }
    String instruction = optionalText(ctx, c.prompt());
    String input = optionalText(ctx, c.query());
    List<String> query = new ArrayList<>();
    if (instruction != null && !instruction.isEmpty()) {
      query.add(instruction);
    }
    if (input != null && !input.isEmpty()) {
      query.add(input);
    }
    prompt.add(ChatMessage.user(String.join("\n", query)));
    String chosen = requiredString(ctx, chosenColumn);
    String rejected = requiredString(ctx, rejectedColumn);
    OptionalDouble margin = margin(ctx);
    if (!ctx.problems().isEmpty()) {
      return null;
    }
    return new PreferencePair(ctx.record().file(), ctx.record().line(), new Segment.Chat(prompt),
        new Segment.Chat(List.of(ChatMessage.assistant(chosen))),
        new Segment.Chat(List.of(ChatMessage.assistant(rejected))), margin,
        extras(ctx, Set.of(c.prompt(), c.query(), c.history(), c.system(), chosenColumn, rejectedColumn, "margin")));
  }

  /** SharegptDatasetConverter: the conversation ends on the user side; chosen/rejected are assistant messages. */
  private PreferencePair sharegptRanking(RecordProblems ctx, ColumnMapping m) {
    ColumnMapping.Columns c = m.columns();
    Parsed<Example> conv = new ExampleParser(m).checkMessages(ctx.record(), c.messages(), Role.USER);
    ctx.problems().addAll(conv.problems());
    ChatMessage chosen = rankingMessage(ctx, m, chosenColumn);
    ChatMessage rejected = rankingMessage(ctx, m, rejectedColumn);
    OptionalDouble margin = margin(ctx);
    if (!ctx.problems().isEmpty()) {
      return null;
    }
    Conversation prompt = (Conversation) conv.value();
    List<ChatMessage> messages = new ArrayList<>();
    if (prompt.system() != null) {
      messages.add(ChatMessage.system(prompt.system()));
    }
    for (Turn t : prompt.turns()) {
      messages.add(new ChatMessage(t.role().name().toLowerCase(Locale.ROOT), t.content()));
    }
    return new PreferencePair(ctx.record().file(), ctx.record().line(), new Segment.Chat(messages),
        new Segment.Chat(List.of(chosen)), new Segment.Chat(List.of(rejected)), margin,
        extras(ctx, Set.of(c.messages(), c.system(), chosenColumn, rejectedColumn, "margin")));
  }

  /** A {@code {"from": "gpt", "value": ...}} object whose role is on the assistant side. */
  private static ChatMessage rankingMessage(RecordProblems ctx, ColumnMapping m, String field) {
    JsonNode n = ctx.value().get(field);
    ColumnMapping.Tags t = m.tags();
    if (n == null || n.isNull()) {
      ctx.fail(field, "missing field");
      return null;
    }
    if (!n.isObject()) {
      ctx.fail(field, "expected a message object but got " + RecordProblems.kind(n));
      return null;
    }
    JsonNode role = n.get(t.roleTag());
    JsonNode content = n.get(t.contentTag());
    if (role == null || !role.isTextual()) {
      ctx.fail(field + "." + t.roleTag(), role == null || role.isNull() ? "missing field" : "expected a string but got " + RecordProblems.kind(role));
      return null;
    }
    Optional<Role> r = m.role(role.textValue());
    if (r.isEmpty() || r.get() != Role.ASSISTANT) {
      ctx.fail(field + "." + t.roleTag(), "expected an assistant role ('" + t.assistantTag() + "' or '"
          + t.functionTag() + "') but got '" + role.textValue() + "'");
      return null;
    }
    if (content == null || !content.isTextual()) {
      ctx.fail(field + "." + t.contentTag(), content == null || content.isNull() ? "missing field"
          : "expected a string but got " + RecordProblems.kind(content));
      return null;
    }
    return ChatMessage.assistant(content.textValue());
  }

  // ---- helpers ----

  private static String optionalText(RecordProblems ctx, String field) {
    return ctx.optionalText(ctx.value().get(field), field);
  }

  private static String requiredString(RecordProblems ctx, String field) {
    return ctx.requiredString(ctx.value().get(field), field);
  }


  /** The string-valued fields not consumed by the format, in record order. */
  static Map<String, String> extras(RecordProblems ctx, Set<String> consumed) {
    Map<String, String> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = ctx.value().fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!consumed.contains(e.getKey()) && e.getValue().isTextual()) {
        out.put(e.getKey(), e.getValue().textValue());
      }
    }
    return out;
  }

  static String kindName(Segment s) {
    return s.isChat() ? "an array of messages" : "a string";
  }
}
