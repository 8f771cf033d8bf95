package dev.align4j.sft.demo;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.preference.PreferencePair;
import dev.align4j.peft.data.preference.Segment;
import dev.align4j.peft.tokenizer.ChatMessage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Preference pairs for the incident task (reward modelling and DPO demos): for each alert of {@link
 * IncidentDataset}, chosen is the correct report and rejected the same report with one seeded defect,
 * recorded per pair as {@link Defect} so accuracy can be broken down by it.
 *
 * <p>Only fresh alerts are used (no personal data, no duplicates), and an alert text appears once, so
 * the training and held-out pairs of {@link #split} never share an alert. Pairs are written in TRL's
 * conversational format: {@code {"prompt": [user], "chosen": [assistant], "rejected": [assistant],
 * "kind": "wrong_event_type"}}, the user message being the demo's ({@code instruction + "\n" + input}).
 */
public final class IncidentPreferences {
  /** What is wrong with a rejected report. */
  public enum Defect {
    /** Another event type, with that type's suggestion (a consistent but wrong report). */
    WRONG_EVENT_TYPE,
    /** Another risk level. */
    WRONG_RISK_LEVEL,
    /** The report no longer parses ({@link IncidentDataset#parse} is empty): fields lost or misspelled. */
    BROKEN_FORMAT;

    /** The {@code kind} written to JSONL, e.g. {@code wrong_event_type}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One pair.
   *
   * @param user     the user message (instruction, newline, alert)
   * @param gold     the correct report's fields
   * @param chosen   the correct report text
   * @param rejected the defective report text
   * @param defect   what is wrong with {@code rejected}
   */
  public record Pair(String user, ParsedReport gold, String chosen, String rejected, Defect defect) {
    public Pair {
      Objects.requireNonNull(user, "user");
      Objects.requireNonNull(gold, "gold");
      Objects.requireNonNull(chosen, "chosen");
      Objects.requireNonNull(rejected, "rejected");
      Objects.requireNonNull(defect, "defect");
    }

    /** TRL's conversational preference record with the defect as {@code kind}. */
    public ObjectNode toJson() {
      JsonNodeFactory f = JsonNodeFactory.instance;
      ObjectNode o = f.objectNode();
      o.set("prompt", messages("user", user));
      o.set("chosen", messages("assistant", chosen));
      o.set("rejected", messages("assistant", rejected));
      o.put("kind", defect.key());
      return o;
    }

    /**
     * The pair as the preference layer's record (chat, kind in the extras), for use without a file;
     * {@code file} and {@code line} only locate it in reports.
     */
    public PreferencePair toPreferencePair(Path file, long line) {
      return new PreferencePair(file, line, new Segment.Chat(List.of(ChatMessage.user(user))),
          new Segment.Chat(List.of(ChatMessage.assistant(chosen))),
          new Segment.Chat(List.of(ChatMessage.assistant(rejected))), OptionalDouble.empty(),
          Map.of("kind", defect.key()));
    }

    private static ArrayNode messages(String role, String content) {
      ArrayNode a = JsonNodeFactory.instance.arrayNode();
      a.addObject().put("role", role).put("content", content);
      return a;
    }
  }

  /**
   * Training and held-out pairs from disjoint alerts.
   *
   * @param train   training pairs
   * @param heldOut held-out pairs
   */
  public record Split(List<Pair> train, List<Pair> heldOut) {
    public Split {
      train = List.copyOf(train);
      heldOut = List.copyOf(heldOut);
    }
  }

  private static final String[] BREAKS = {"comma", "no_suggestion", "no_keys", "half"};

  private IncidentPreferences() {
  }

  /** {@code n} pairs; the same {@code (n, seed)} always gives the same pairs. */
  public static List<Pair> generate(int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0: " + n);
    }
    List<Pair> out = new ArrayList<>(n);
    Set<String> seen = new HashSet<>();
    // fresh alerts only; ask for more records than needed since duplicates and PII records are skipped
    for (int batch = Math.max(16, n + n / 4); out.size() < n; batch *= 2) {
      out.clear();
      seen.clear();
      SplittableRandom kinds = new SplittableRandom(seed ^ 0x5DEECE66DL);   // same prefix for every n
      for (IncidentDataset.Sample s : IncidentDataset.samples(batch, seed)) {
        if (out.size() == n) {
          break;
        }
        String user = s.record().get("instruction").asText() + "\n" + s.record().get("input").asText();
        if (s.kind() != IncidentDataset.Kind.FRESH || !seen.add(user)) {
          continue;
        }
        ParsedReport gold = IncidentDataset.parse(s.record().get("output").asText()).orElseThrow();
        Defect d = Defect.values()[kinds.nextInt(Defect.values().length)];
        out.add(new Pair(user, gold, gold.format(), reject(gold, d, kinds), d));
      }
    }
    return out;
  }

  /** The first {@code train} pairs for training, the next {@code heldOut} held out (disjoint alerts). */
  public static Split split(int train, int heldOut, long seed) {
    if (train < 0 || heldOut < 0) {
      throw new IllegalArgumentException("sizes must be >= 0: " + train + ", " + heldOut);
    }
    List<Pair> all = generate(train + heldOut, seed);
    return new Split(all.subList(0, train), all.subList(train, train + heldOut));
  }

  /**
   * The same alerts and correct reports with each rejected report redrawn: the defect drawn with
   * probability proportional to its weight (absent: 0), then the defective report as {@link #generate}
   * makes it. A reward model learns the risk level from wrong-risk pairs only (the chosen and rejected
   * reports differ in that one word), so its data can hold more of them than the uniform mix
   * (bench/DEMO-TUNING.md, session 4).
   *
   * @throws IllegalArgumentException on a negative weight or no positive one
   */
  public static List<Pair> redrawDefects(List<Pair> pairs, Map<Defect, Integer> weights, long seed) {
    int total = 0;
    for (Defect d : Defect.values()) {
      int w = weights.getOrDefault(d, 0);
      if (w < 0) {
        throw new IllegalArgumentException("weight of " + d.key() + " must be >= 0: " + w);
      }
      total += w;
    }
    if (total == 0) {
      throw new IllegalArgumentException("at least one defect needs a positive weight: " + weights);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    List<Pair> out = new ArrayList<>(pairs.size());
    for (Pair p : pairs) {
      int x = rnd.nextInt(total);
      Defect d = null;
      for (Defect c : Defect.values()) {
        x -= weights.getOrDefault(c, 0);
        if (x < 0) {
          d = c;
          break;
        }
      }
      out.add(new Pair(p.user(), p.gold(), p.chosen(), reject(p.gold(), d, rnd), d));
    }
    return out;
  }

  /** Writes {@code pairs} as JSONL (atomically), one {@link Pair#toJson()} per line. */
  public static long writeJsonl(Path target, List<Pair> pairs) throws IOException {
    return JsonlWriter.writeAll(target, pairs.stream().map(Pair::toJson).toList());
  }

  /** The gold report with defect {@code d}. */
  static String reject(ParsedReport gold, Defect d, SplittableRandom rnd) {
    return switch (d) {
      case WRONG_EVENT_TYPE -> {
        List<IncidentDataset.EventType> others = new ArrayList<>();
        for (IncidentDataset.EventType t : IncidentDataset.EventType.values()) {
          if (!t.label().equals(gold.eventType())) {
            others.add(t);
          }
        }
        IncidentDataset.EventType t = others.get(rnd.nextInt(others.size()));
        yield new ParsedReport(t.label(), gold.riskLevel(), t.suggestion()).format();
      }
      case WRONG_RISK_LEVEL -> {
        List<String> others = new ArrayList<>(IncidentDataset.RISK_LEVELS);
        others.remove(gold.riskLevel());
        yield new ParsedReport(gold.eventType(), others.get(rnd.nextInt(others.size())), gold.suggestion()).format();
      }
      case BROKEN_FORMAT -> {
        String full = gold.format();
        yield switch (BREAKS[rnd.nextInt(BREAKS.length)]) {
          case "comma" -> full.replace('；', '，');
          case "no_suggestion" -> "事件类型：" + gold.eventType() + "；风险等级：" + gold.riskLevel();
          case "no_keys" -> gold.eventType() + "；" + gold.riskLevel() + "；" + gold.suggestion();
          default -> full.substring(0, full.length() / 2);
        };
      }
    };
  }
}
