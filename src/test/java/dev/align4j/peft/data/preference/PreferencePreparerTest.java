package dev.align4j.peft.data.preference;

import static org.assertj.core.api.Assertions.assertThat;

import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.sft.demo.CharTokenizer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Problem counting and the drop/truncate policies, on a character tokenizer (one token per character,
 * EOS {@code <|im_end|>} one token, no BOS) so every length below is counted by hand.
 */
class PreferencePreparerTest {
  private static final Path F = Path.of("p.jsonl");
  @TempDir
  static Path dir;
  private static Tokenizer tok;
  private static PreferenceTokenizer pt;
  private static long eos;

  @BeforeAll
  static void load() throws Exception {
    CharTokenizer.write(dir, List.of("pcrqxyz", "user", "assistant"));
    tok = Tokenizer.load(dir);
    pt = PreferenceTokenizer.of(tok);
    eos = tok.tokenId("<|im_end|>").orElseThrow();
  }

  @AfterAll
  static void close() {
    tok.close();
  }

  private static PreferencePair text(long line, String prompt, String chosen, String rejected) {
    return PreferencePair.of(F, line, new Segment.Text(prompt), new Segment.Text(chosen), new Segment.Text(rejected));
  }

  private static String decode(long[] ids) {
    return tok.decode(ids, false);
  }

  private static PreferencePreparer prep(int cut, OverlongPolicy o, TruncationMode t) {
    return new PreferencePreparer(pt, new PreferenceOptions(cut, o, t, false));
  }

  // prompt 4 tokens; chosen "cc" + EOS = 3; rejected "rrrrr" + EOS = 6: RM sides 7 and 10, DPO prompt 4 + 3 / 6
  private static final PreferencePair LONG = text(5, "pppp", "cc", "rrrrr");

  @Test
  void textGetsEosUnlessItEndsWithItAndDpoSplitsAtThePrompt() {
    DpoEncoding d = pt.forDpo(text(1, "pp", "c<|im_end|>", "r"));
    assertThat(decode(d.promptIds())).isEqualTo("pp");
    assertThat(d.chosenIds()).hasSize(2).endsWith(eos);       // not doubled
    assertThat(decode(d.rejectedIds())).isEqualTo("r<|im_end|>");
    assertThat(d.prefixMismatch()).isFalse();
    RewardEncoding r = pt.forReward(LONG);
    assertThat(decode(r.chosenIds())).isEqualTo("ppppcc<|im_end|>");
    assertThat(r.promptTokens()).isEqualTo(4);
  }

  @Test
  void chatUsesTheTemplateWithoutEosAndTheGenerationPromptForDpo() {
    PreferencePair p = new PreferencePair(F, 1, new Segment.Chat(List.of(ChatMessage.user("q"))),
        new Segment.Chat(List.of(ChatMessage.assistant("x"))), new Segment.Chat(List.of(ChatMessage.assistant("y"))),
        OptionalDouble.of(2), Map.of());
    DpoEncoding d = pt.forDpo(p);
    assertThat(decode(d.promptIds())).isEqualTo("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n");
    assertThat(decode(d.chosenIds())).isEqualTo("x<|im_end|>\n");
    assertThat(decode(pt.forReward(p).rejectedIds()))
        .isEqualTo("<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\ny<|im_end|>\n");
  }

  @Test
  void rewardDropOrTruncateKeepStartOrPromptFirst() {
    Prepared<RewardEncoding> drop = prep(8, OverlongPolicy.DROP, TruncationMode.KEEP_START).forReward(List.of(LONG));
    assertThat(drop.examples()).isEmpty();
    assertThat(drop.report().count(ProblemKind.TOO_LONG, Outcome.DROPPED)).isEqualTo(1);
    assertThat(drop.report().lines()).containsExactly("preference data: 1 read, 0 kept, 1 dropped, 0 truncated",
        "  longer than cutoff_len: 1 dropped (first: p.jsonl:5: 10 tokens > cutoff_len 8)");

    RewardEncoding ks = prep(8, OverlongPolicy.TRUNCATE, TruncationMode.KEEP_START).forReward(List.of(LONG))
        .examples().get(0);
    assertThat(decode(ks.chosenIds())).isEqualTo("ppppcc<|im_end|>");
    assertThat(decode(ks.rejectedIds())).isEqualTo("pppprrrr");

    Prepared<RewardEncoding> pf = prep(8, OverlongPolicy.TRUNCATE, TruncationMode.PROMPT_FIRST).forReward(List.of(LONG));
    RewardEncoding e = pf.examples().get(0);
    assertThat(decode(e.chosenIds())).isEqualTo("ppcc<|im_end|>");     // the same 2 prompt tokens cut on both sides
    assertThat(decode(e.rejectedIds())).isEqualTo("pprrrrr<|im_end|>");
    assertThat(e.promptTokens()).isEqualTo(2);
    assertThat(pf.report().count(ProblemKind.TOO_LONG, Outcome.TRUNCATED)).isEqualTo(1);
    assertThat(pf.report().truncated()).isEqualTo(1);
    assertThat(pf.report().dropped()).isZero();
  }

  @Test
  void dpoDropOrTruncateKeepStartOrPromptFirst() {
    assertThat(prep(8, OverlongPolicy.DROP, TruncationMode.KEEP_START).forDpo(List.of(LONG)).examples()).isEmpty();

    DpoEncoding ks = prep(8, OverlongPolicy.TRUNCATE, TruncationMode.KEEP_START).forDpo(List.of(LONG)).examples().get(0);
    assertThat(decode(ks.promptIds())).isEqualTo("pppp");
    assertThat(decode(ks.chosenIds())).isEqualTo("cc<|im_end|>");
    assertThat(decode(ks.rejectedIds())).isEqualTo("rrrr");          // the collator's keep_start: end lost

    DpoEncoding pf = prep(8, OverlongPolicy.TRUNCATE, TruncationMode.PROMPT_FIRST).forDpo(List.of(LONG)).examples().get(0);
    assertThat(decode(pf.promptIds())).isEqualTo("pp");
    assertThat(decode(pf.rejectedIds())).isEqualTo("rrrrr<|im_end|>");

    // the prompt alone fills cutoff_len: keep_start drops (TRL's filter), prompt_first cuts all of it, then the end
    Prepared<DpoEncoding> fill = prep(4, OverlongPolicy.TRUNCATE, TruncationMode.KEEP_START).forDpo(List.of(LONG));
    assertThat(fill.examples()).isEmpty();
    assertThat(fill.report().count(ProblemKind.PROMPT_FILLS_CUTOFF, Outcome.DROPPED)).isEqualTo(1);
    DpoEncoding all = prep(4, OverlongPolicy.TRUNCATE, TruncationMode.PROMPT_FIRST).forDpo(List.of(LONG)).examples().get(0);
    assertThat(all.promptIds()).isEmpty();
    assertThat(decode(all.chosenIds())).isEqualTo("cc<|im_end|>");
    assertThat(decode(all.rejectedIds())).isEqualTo("rrrr");
  }

  @Test
  void ktoTruncatesTheCompletionEnd() {
    UnpairedExample x = new UnpairedExample(F, 2, new Segment.Text("pppp"), new Segment.Text("ccccc"), true, Map.of());
    KtoEncoding e = prep(8, OverlongPolicy.TRUNCATE, TruncationMode.KEEP_START).forKto(List.of(x)).examples().get(0);
    assertThat(decode(e.completionIds())).isEqualTo("cccc");
    assertThat(e.length()).isEqualTo(8);
    assertThat(prep(8, OverlongPolicy.DROP, TruncationMode.KEEP_START).forKto(List.of(x)).examples()).isEmpty();
  }

  @Test
  void contentProblemsAreCountedWithLocationsNeverDroppedSilently() {
    List<PreferencePair> pairs = List.of(
        text(1, "p", "same", "same"),
        text(2, "p", " ", "r"),
        text(3, "p", "c", ""),
        text(4, "", "c", "r"),
        text(5, "p", "c", "r"),
        text(6, "p", "x", "x"));
    Prepared<DpoEncoding> kept = prep(100, OverlongPolicy.DROP, TruncationMode.KEEP_START).forDpo(pairs);
    assertThat(kept.examples()).extracting(e -> e.source().line()).containsExactly(4L, 5L);
    PreferenceReport r = kept.report();
    assertThat(r.read()).isEqualTo(6);
    assertThat(r.kept()).isEqualTo(2);
    assertThat(r.count(ProblemKind.IDENTICAL, Outcome.DROPPED)).isEqualTo(2);
    assertThat(r.count(ProblemKind.EMPTY_CHOSEN, Outcome.DROPPED)).isEqualTo(1);
    assertThat(r.count(ProblemKind.EMPTY_REJECTED, Outcome.DROPPED)).isEqualTo(1);
    assertThat(r.count(ProblemKind.EMPTY_PROMPT, Outcome.KEPT)).isEqualTo(1);
    assertThat(r.dropped()).isEqualTo(4);
    assertThat(r.problems().get(0).examples()).extracting(p -> p.line()).containsExactly(1L, 6L);
    assertThat(r.lines()).containsExactly("preference data: 6 read, 2 kept, 4 dropped, 0 truncated",
        "  chosen == rejected: 2 dropped (first: p.jsonl:1: chosen == rejected)",
        "  empty prompt: 1 kept (first: p.jsonl:4: empty prompt)",
        "  empty chosen: 1 dropped (first: p.jsonl:2: empty chosen)",
        "  empty rejected: 1 dropped (first: p.jsonl:3: empty rejected)");
    Prepared<RewardEncoding> strict = new PreferencePreparer(pt,
        new PreferenceOptions(100, OverlongPolicy.DROP, TruncationMode.KEEP_START, true)).forReward(pairs);
    assertThat(strict.examples()).extracting(e -> e.source().line()).containsExactly(5L);
    assertThat(strict.report().count(ProblemKind.EMPTY_PROMPT, Outcome.DROPPED)).isEqualTo(1);
  }
}
