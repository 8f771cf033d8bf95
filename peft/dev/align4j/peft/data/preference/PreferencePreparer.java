package dev.align4j.peft.data.preference;

import dev.align4j.peft.data.DataProblem;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Checks, tokenises and length-limits preference data for one stage, counting every record it drops,
 * truncates or only notes ({@link PreferenceReport}). The encodings it returns are within cutoff_len,
 * so a collator needs no truncation of its own.
 *
 * <p>Order per record: blank chosen/rejected/completion and identical pairs are dropped (the first
 * such reason is counted); a blank prompt is noted or dropped ({@link
 * PreferenceOptions#dropEmptyPrompt()}); then the record is tokenised ({@link PreferenceTokenizer}), a
 * prompt/completion token boundary mismatch is noted, and an over-long record is dropped or truncated
 * by the {@link OverlongPolicy} and {@link TruncationMode}.
 */
public final class PreferencePreparer {
  private final PreferenceTokenizer tokenizer;
  private final PreferenceOptions options;

  /** A preparer tokenising with {@code tokenizer} under {@code options}. */
  public PreferencePreparer(PreferenceTokenizer tokenizer, PreferenceOptions options) {
    this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    this.options = Objects.requireNonNull(options, "options");
  }

  /** Reward-model data: both sides within cutoff_len. */
  public Prepared<RewardEncoding> forReward(List<PreferencePair> pairs) {
    PreferenceReport.Builder report = new PreferenceReport.Builder();
    List<RewardEncoding> out = new ArrayList<>();
    int cut = options.cutoffLen();
    for (PreferencePair p : pairs) {
      if (!passesContent(PreferenceChecks.check(p), p.file(), p.line(), report)) {
        continue;
      }
      RewardEncoding e = tokenizer.forReward(p);
      int longest = e.maxLength();
      if (longest > cut) {
        String what = longest + " tokens > cutoff_len " + cut;
        if (options.overlong() == OverlongPolicy.DROP) {
          report.add(ProblemKind.TOO_LONG, Outcome.DROPPED, where(p.file(), p.line(), what));
          continue;
        }
        int fromPrompt = options.truncation() == TruncationMode.PROMPT_FIRST
            ? Math.min(longest - cut, e.promptTokens()) : 0;
        long[] c = cutRange(e.chosenIds(), fromPrompt, cut);
        long[] r = cutRange(e.rejectedIds(), fromPrompt, cut);
        e = new RewardEncoding(p, c, r, Math.min(e.promptTokens() - fromPrompt, Math.min(c.length, r.length)));
        report.add(ProblemKind.TOO_LONG, Outcome.TRUNCATED, where(p.file(), p.line(), what));
      }
      out.add(e);
    }
    return new Prepared<>(out, report.build(pairs.size(), out.size()));
  }

  /** DPO data: prompt + each completion within cutoff_len. */
  public Prepared<DpoEncoding> forDpo(List<PreferencePair> pairs) {
    PreferenceReport.Builder report = new PreferenceReport.Builder();
    List<DpoEncoding> out = new ArrayList<>();
    int cut = options.cutoffLen();
    for (PreferencePair p : pairs) {
      if (!passesContent(PreferenceChecks.check(p), p.file(), p.line(), report)) {
        continue;
      }
      DpoEncoding e = tokenizer.forDpo(p);
      if (e.prefixMismatch()) {
        report.add(ProblemKind.PROMPT_MISMATCH, Outcome.KEPT, where(p.file(), p.line(), "completion = full[len(prompt):]"));
      }
      int longest = e.maxLength();
      if (longest > cut) {
        String what = longest + " tokens > cutoff_len " + cut;
        long[][] kept = limit(e.promptIds(), new long[][] {e.chosenIds(), e.rejectedIds()}, longest, p.file(), p.line(),
            what, report);
        if (kept == null) {
          continue;
        }
        e = new DpoEncoding(p, kept[0], kept[1], kept[2], e.prefixMismatch());
      }
      out.add(e);
    }
    return new Prepared<>(out, report.build(pairs.size(), out.size()));
  }

  /** KTO data: prompt + completion within cutoff_len. */
  public Prepared<KtoEncoding> forKto(List<UnpairedExample> examples) {
    PreferenceReport.Builder report = new PreferenceReport.Builder();
    List<KtoEncoding> out = new ArrayList<>();
    int cut = options.cutoffLen();
    for (UnpairedExample x : examples) {
      if (!passesContent(PreferenceChecks.check(x), x.file(), x.line(), report)) {
        continue;
      }
      KtoEncoding e = tokenizer.forKto(x);
      if (e.prefixMismatch()) {
        report.add(ProblemKind.PROMPT_MISMATCH, Outcome.KEPT, where(x.file(), x.line(), "completion = full[len(prompt):]"));
      }
      if (e.length() > cut) {
        String what = e.length() + " tokens > cutoff_len " + cut;
        long[][] kept = limit(e.promptIds(), new long[][] {e.completionIds()}, e.length(), x.file(), x.line(), what,
            report);
        if (kept == null) {
          continue;
        }
        e = new KtoEncoding(x, kept[0], kept[1], e.prefixMismatch());
      }
      out.add(e);
    }
    return new Prepared<>(out, report.build(examples.size(), out.size()));
  }

  /** Counts content problems; false when the record is dropped. */
  private boolean passesContent(List<ProblemKind> problems, Path file, long line, PreferenceReport.Builder report) {
    for (ProblemKind k : problems) {
      if (k != ProblemKind.EMPTY_PROMPT) {
        report.add(k, Outcome.DROPPED, where(file, line, k.description()));
        return false;
      }
    }
    if (problems.contains(ProblemKind.EMPTY_PROMPT)) {
      Outcome o = options.dropEmptyPrompt() ? Outcome.DROPPED : Outcome.KEPT;
      report.add(ProblemKind.EMPTY_PROMPT, o, where(file, line, ProblemKind.EMPTY_PROMPT.description()));
      return o == Outcome.KEPT;
    }
    return true;
  }

  /**
   * An over-long prompt + completions record under the policy: null when dropped, else {prompt,
   * completions...} cut so that prompt + each completion fits.
   */
  private long[][] limit(long[] prompt, long[][] completions, int longest, Path file, long line, String what,
      PreferenceReport.Builder report) {
    int cut = options.cutoffLen();
    if (options.overlong() == OverlongPolicy.DROP) {
      report.add(ProblemKind.TOO_LONG, Outcome.DROPPED, where(file, line, what));
      return null;
    }
    long[] newPrompt;
    if (options.truncation() == TruncationMode.KEEP_START) {
      if (prompt.length >= cut) {
        report.add(ProblemKind.PROMPT_FILLS_CUTOFF, Outcome.DROPPED,
            where(file, line, "prompt " + prompt.length + " tokens >= cutoff_len " + cut));
        return null;
      }
      newPrompt = prompt;
    } else {
      int fromPrompt = Math.min(longest - cut, prompt.length);
      newPrompt = Arrays.copyOfRange(prompt, fromPrompt, prompt.length);
    }
    long[][] out = new long[completions.length + 1][];
    out[0] = newPrompt;
    int budget = cut - newPrompt.length;
    for (int i = 0; i < completions.length; i++) {
      out[i + 1] = completions[i].length > budget ? Arrays.copyOf(completions[i], budget) : completions[i];
    }
    report.add(ProblemKind.TOO_LONG, Outcome.TRUNCATED, where(file, line, what));
    return out;
  }

  /** ids[from:] cut to at most {@code max} tokens. */
  private static long[] cutRange(long[] ids, int from, int max) {
    return Arrays.copyOfRange(ids, from, Math.min(ids.length, from + max));
  }

  private static DataProblem where(Path file, long line, String what) {
    return new DataProblem(file, line, null, what);
  }
}
