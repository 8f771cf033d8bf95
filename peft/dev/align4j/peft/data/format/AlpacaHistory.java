package dev.align4j.peft.data.format;

import com.fasterxml.jackson.databind.JsonNode;
import dev.align4j.peft.data.RecordProblems;
import java.util.ArrayList;
import java.util.List;

/**
 * The alpaca {@code history} column, as LLaMA-Factory's AlpacaDatasetConverter reads it: an array of
 * {@code [query, response]} pairs that become user/assistant turns before the record's own turn. SFT
 * examples ({@link ExampleParser}) and ranking pairs ({@code PreferenceParser}) read it alike.
 */
public final class AlpacaHistory {
  private AlpacaHistory() {}

  /**
   * The history's turns (user, assistant, user, ...); empty when the column is absent or null. Every
   * problem goes to {@code ctx} as {@code column[i]...: what}, and the pair with it is skipped.
   */
  public static List<Turn> turns(RecordProblems ctx, JsonNode history, String column) {
    List<Turn> turns = new ArrayList<>();
    if (history == null || history.isNull()) {
      return turns;
    }
    if (!history.isArray()) {
      ctx.fail(column, "expected an array of [query, response] pairs but got " + RecordProblems.kind(history));
      return turns;
    }
    for (int i = 0; i < history.size(); i++) {
      JsonNode pair = history.get(i);
      String f = column + "[" + i + "]";
      if (!pair.isArray() || pair.size() != 2) {
        ctx.fail(f, "expected a [query, response] pair but got "
            + (pair.isArray() ? "an array of " + pair.size() : RecordProblems.kind(pair)));
        continue;
      }
      String q = ExampleParser.requiredText(ctx, pair.get(0), f + "[0]");
      String a = ExampleParser.requiredText(ctx, pair.get(1), f + "[1]");
      if (q != null && a != null) {
        turns.add(new Turn(Role.USER, q));
        turns.add(new Turn(Role.ASSISTANT, a));
      }
    }
    return turns;
  }
}
