package dev.align4j.recipes.demo;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.ParsedReport;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Scores the incident task on held-out alerts: greedy reports parsed back into fields; exact match of
 * event type and of risk level, and format adherence (the report parses at all).
 */
public final class IncidentEval {
  /** Scores, each in [0, 1]. */
  public record Scores(double eventType, double riskLevel, double format, List<String> samples) {}

  /** One held-out alert: the user message and the gold report. */
  public record Item(String user, ParsedReport gold) {}

  /**
   * The judge's verdict on one report.
   *
   * @param format    the report parses ({@link IncidentDataset#parse})
   * @param eventType it parses and names the gold event type
   * @param riskLevel it parses and names the gold risk level
   */
  public record Verdict(boolean format, boolean eventType, boolean riskLevel) {
    /** One point each: 0 to 3. */
    public int points() {
      return (format ? 1 : 0) + (eventType ? 1 : 0) + (riskLevel ? 1 : 0);
    }
  }

  private IncidentEval() {}

  /** Judges a generated report against the gold one, as {@link #score} counts it. */
  public static Verdict judge(String report, ParsedReport gold) {
    Optional<ParsedReport> p = IncidentDataset.parse(report);
    return new Verdict(p.isPresent(), p.isPresent() && p.get().eventType().equals(gold.eventType()),
        p.isPresent() && p.get().riskLevel().equals(gold.riskLevel()));
  }

  public static Scores score(CausalLM model, Tokenizer tok, ChatTemplate template, List<Item> items, int maxNewTokens) {
    Generator g = new Generator(model);
    int type = 0;
    int risk = 0;
    int format = 0;
    List<String> samples = new ArrayList<>();
    int batch = 16;
    for (int i = 0; i < items.size(); i += batch) {
      List<Item> chunk = items.subList(i, Math.min(items.size(), i + batch));
      List<long[]> prompts = new ArrayList<>();
      for (Item it : chunk) {
        prompts.add(tok.encode(template.render(List.of(new ChatMessage("user", it.user())), true), false));
      }
      GenerationConfig cfg = GenerationConfig.greedy(maxNewTokens, tok.eosIds())
          .withPadId(tok.padId().orElse(0));
      List<Completion> outs;
      try (NDManager s = model.manager().newSubManager()) {
        outs = g.generate(prompts, cfg, null);
      }
      for (int k = 0; k < chunk.size(); k++) {
        String text = tok.decode(outs.get(k).tokens(), true).strip();
        Verdict v = judge(text, chunk.get(k).gold());
        format += v.format() ? 1 : 0;
        type += v.eventType() ? 1 : 0;
        risk += v.riskLevel() ? 1 : 0;
        if (samples.size() < 3) {
          samples.add(text);
        }
      }
    }
    double n = items.size();
    return new Scores(type / n, risk / n, format / n, samples);
  }
}
