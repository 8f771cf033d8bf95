package dev.align4j.reward;

import dev.align4j.peft.data.preference.PreferenceData;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferencePair;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferencePreparer;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Preference-pair files to {@link RewardPair}s, through the shared preference-data layer: parsed
 * ({@link PreferenceData}: TRL text or conversations, implicit prompts, margins, LLaMA-Factory ranking
 * data), checked and tokenised as TRL's RewardTrainer does (text gets EOS, a conversation its chat
 * template), with problem pairs (identical or empty sides, longer than cutoff_len) counted in the
 * report and dropped or truncated as the options say.
 */
public final class RewardData {
  private RewardData() {}

  /** Reads, checks and tokenises {@code file}; {@link Prepared#report()} counts what was dropped or cut. */
  public static Prepared<RewardEncoding> prepare(Path file, PreferenceParser parser, PreferenceTokenizer tokenizer,
      PreferenceOptions options) throws IOException {
    return prepare(PreferenceData.readPairs(file, parser), tokenizer, options);
  }

  /** Checks and tokenises parsed pairs (read them first to fail on a bad file before loading a model). */
  public static Prepared<RewardEncoding> prepare(List<PreferencePair> pairs, PreferenceTokenizer tokenizer,
      PreferenceOptions options) {
    return new PreferencePreparer(tokenizer, options).forReward(pairs);
  }

  /** The training pairs of prepared encodings (the {@code margin} field, 0 when absent). */
  public static List<RewardPair> pairs(Prepared<RewardEncoding> prepared) {
    List<RewardPair> out = new ArrayList<>(prepared.examples().size());
    for (RewardEncoding e : prepared.examples()) {
      out.add(new RewardPair(e.chosenIds(), e.rejectedIds(), e.source().margin().orElse(0)));
    }
    return out;
  }
}
