package dev.align4j.peft.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DataFormatException;
import dev.align4j.peft.data.Parsed;
import dev.align4j.peft.data.RecordProblems;
import dev.align4j.peft.data.SourceRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Turns raw records into {@link Example}s under a {@link ColumnMapping}, collecting every problem as
 * {@code file:line: field: what}.
 *
 * <p>Rules: required text must be a non-blank string; alpaca {@code input} and {@code system} may be
 * empty (blank system means none); alpaca user text is {@code instruction + "\n" + input} when input is
 * non-empty, as in LLaMA-Factory. Conversations may start with one system message, then alternate a
 * user-side turn (user or observation/tool) with an assistant-side turn (assistant or function_call),
 * and must end with an assistant turn.
 */
public final class ExampleParser {
  private final ColumnMapping mapping;

  public ExampleParser(ColumnMapping mapping) {
    this.mapping = Objects.requireNonNull(mapping, "mapping");
  }

  /** Parser with the default mapping of {@code format}. */
  public static ExampleParser of(DataFormat format) {
    return new ExampleParser(ColumnMapping.defaults(format));
  }

  /** The mapping in use. */
  public ColumnMapping mapping() {
    return mapping;
  }

  /** Parses a record, throwing {@link DataFormatException} for its first problem. */
  public Example parse(SourceRecord record) {
    return check(record).orThrow();
  }

  /** Parses a record, collecting all problems instead of throwing. */
  public Parsed<Example> check(SourceRecord record) {
    RecordProblems ctx = new RecordProblems(record);
    Example ex = switch (mapping.format()) {
      case ALPACA -> alpaca(ctx);
      case SHAREGPT, OPENAI -> chat(ctx);
      case TEXT -> text(ctx);
    };
    return Parsed.of(ex, ctx);
  }

  // ---- text ----

  private Example text(RecordProblems ctx) {
    String col = mapping.columns().text();
    String t = requiredText(ctx, ctx.value().get(col), col);
    return t == null ? null : new PlainText(t);
  }

  // ---- alpaca ----

  private Example alpaca(RecordProblems ctx) {
    ColumnMapping.Columns c = mapping.columns();
    ObjectNode v = ctx.value();
    String prompt = requiredText(ctx, v.get(c.prompt()), c.prompt());
    String query = ctx.optionalText(v.get(c.query()), c.query());
    String response = requiredText(ctx, v.get(c.response()), c.response());
    String system = ctx.optionalText(v.get(c.system()), c.system());
    List<Turn> turns = AlpacaHistory.turns(ctx, v.get(c.history()), c.history());
    if (prompt == null || response == null || !ctx.problems().isEmpty()) {
      return null;
    }
    String user = query == null || query.isEmpty() ? prompt : prompt + "\n" + query;
    turns.add(new Turn(Role.USER, user));
    turns.add(new Turn(Role.ASSISTANT, response));
    return new Conversation(system == null || system.isBlank() ? null : system, turns);
  }

  // ---- sharegpt / openai ----

  private Example chat(RecordProblems ctx) {
    return messages(ctx, mapping.columns().messages(), Role.ASSISTANT);
  }

  /**
   * Parses the message array in field {@code field} of a record under this mapping's tags and the
   * conversation rules, except that the last turn must be on {@code lastSide}'s side: {@link
   * Role#ASSISTANT} for a training conversation, {@link Role#USER} (a user or observation turn) for
   * a prompt, as in a preference record whose chosen and rejected replies are kept apart. A system
   * message first, or else the mapping's system column, becomes the system prompt.
   */
  public Parsed<Example> checkMessages(SourceRecord record, String field, Role lastSide) {
    if (lastSide != Role.ASSISTANT && lastSide != Role.USER) {
      throw new IllegalArgumentException("the last turn is on the user or the assistant side, not " + lastSide);
    }
    RecordProblems ctx = new RecordProblems(record);
    Example ex = messages(ctx, field, lastSide);
    return Parsed.of(ex, ctx);
  }

  private Example messages(RecordProblems ctx, String col, Role lastSide) {
    ColumnMapping.Columns c = mapping.columns();
    ColumnMapping.Tags tags = mapping.tags();
    JsonNode msgs = ctx.value().get(col);
    if (msgs == null || msgs.isNull()) {
      ctx.fail(col, "missing field");
      return null;
    }
    if (!msgs.isArray()) {
      ctx.fail(col, "expected an array of messages but got " + RecordProblems.kind(msgs));
      return null;
    }
    if (msgs.isEmpty()) {
      ctx.fail(col, "empty conversation");
      return null;
    }
    String system = ctx.optionalText(ctx.value().get(c.system()), c.system());
    List<Turn> turns = new ArrayList<>();
    boolean structural = false;
    for (int i = 0; i < msgs.size(); i++) {
      String f = col + "[" + i + "]";
      JsonNode m = msgs.get(i);
      if (!m.isObject()) {
        ctx.fail(f, "expected a message object but got " + RecordProblems.kind(m));
        structural = true;
        continue;
      }
      JsonNode roleNode = m.get(tags.roleTag());
      Role role = null;
      if (roleNode == null || roleNode.isNull()) {
        ctx.fail(f + "." + tags.roleTag(), "missing field");
      } else if (!roleNode.isTextual()) {
        ctx.fail(f + "." + tags.roleTag(), "expected a string but got " + RecordProblems.kind(roleNode));
      } else {
        Optional<Role> r = mapping.role(roleNode.textValue());
        if (r.isEmpty()) {
          ctx.fail(f + "." + tags.roleTag(), "unknown role '" + roleNode.textValue() + "'");
        } else {
          role = r.get();
        }
      }
      String content = requiredText(ctx, m.get(tags.contentTag()), f + "." + tags.contentTag());
      if (role == null) {
        structural = true;
        continue;
      }
      if (role == Role.SYSTEM) {
        if (i != 0) {
          ctx.fail(f + "." + tags.roleTag(), "system message is only allowed first");
        } else if (content != null) {
          system = content;
        }
        continue;
      }
      int pos = turns.size();
      boolean userSide = role == Role.USER || role == Role.TOOL;
      if (!structural && userSide != (pos % 2 == 0)) {
        ctx.fail(f + "." + tags.roleTag(), "turns not alternating user/assistant: expected "
            + (pos % 2 == 0 ? "a user or observation" : "an assistant") + " turn but got '"
            + roleNode.textValue() + "'");
        structural = true; // one report is enough; later positions are all shifted
      }
      turns.add(new Turn(role, content == null ? "" : content));
    }
    if (!structural && turns.isEmpty()) {
      ctx.fail(col, "no user/assistant turns");
    } else if (!structural && side(turns.get(turns.size() - 1).role()) != lastSide) {
      ctx.fail(col, "conversation must end with " + (lastSide == Role.ASSISTANT ? "an assistant" : "a user") + " turn");
    }
    if (!ctx.problems().isEmpty()) {
      return null;
    }
    return new Conversation(system == null || system.isBlank() ? null : system, turns);
  }

  /** USER for the user side (user, observation/tool), ASSISTANT otherwise. */
  private static Role side(Role r) {
    return r == Role.USER || r == Role.TOOL ? Role.USER : Role.ASSISTANT;
  }

  // ---- field helpers ----

  /** {@code n}'s text when it is a non-blank string; null and a problem otherwise. */
  static String requiredText(RecordProblems ctx, JsonNode n, String field) {
    String s = ctx.requiredString(n, field);
    if (s != null && s.isBlank()) {
      ctx.fail(field, s.isEmpty() ? "empty string" : "whitespace-only string");
      return null;
    }
    return s;
  }

}
