package dev.align4j.recipes.dpo;

import dev.align4j.dpo.DpoPair;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.dpo.KtoExample;
import dev.align4j.peft.data.preference.DpoEncoding;
import dev.align4j.peft.data.preference.KtoEncoding;
import dev.align4j.peft.data.preference.OverlongPolicy;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferencePreparer;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A recipe's preference data as tokenised pairs: text or chat pairs in any format the preference
 * reader knows (TRL's prompt/chosen/rejected, implicit prompts, LLaMA-Factory rankings), tokenised as
 * TRL's DPOTrainer does, over-long pairs cut by {@code truncation_mode} and counted; or pre-tokenised
 * {@code prompt_ids/chosen_ids/rejected_ids}.
 */
final class PreferenceData {
  private PreferenceData() {}

  static List<DpoPair> pairs(Path file, Tokenizer tok, DpoRecipe r, long vocab, String tag) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "dataset not found");
    }
    SourceRecord first;
    try (JsonRecords records = JsonRecords.open(file)) {
      if (!records.hasNext()) {
        throw new IllegalArgumentException(file + ": no records");
      }
      first = records.next();
    }
    if (TokenizedPairs.isTokenized(first.value())) {
      // TRL drops pairs whose prompt alone fills max_length (keep_start would leave no completion token)
      List<DpoPair> all = TokenizedPairs.read(file, vocab);
      List<DpoPair> kept = all.stream().filter(p -> p.promptIds().length < r.cutoffLen()).toList();
      if (kept.size() < all.size()) {
        System.err.printf("%s: %s: %d of %d pairs dropped: the prompt alone fills cutoff_len %d%n", tag, file,
            all.size() - kept.size(), all.size(), r.cutoffLen());
      }
      return kept;
    }
    ChatTemplate template = r.template().map(t -> t.template(tok.specialTokens())).orElseGet(() -> tok.chatTemplate().orElse(null));
    PreferencePreparer prep = new PreferencePreparer(new PreferenceTokenizer(tok, template),
        new PreferenceOptions(r.cutoffLen(), OverlongPolicy.TRUNCATE, r.truncationMode(), false));
    Prepared<DpoEncoding> prepared = prep.forDpo(dev.align4j.peft.data.preference.PreferenceData.readPairs(file));
    System.err.println(tag + ": " + file + ": " + prepared.report().read() + " pairs read, " + prepared.report().kept()
        + " kept");
    prepared.report().lines().forEach(l -> System.err.println(tag + ":   " + l));
    List<DpoPair> out = new ArrayList<>();
    for (DpoEncoding e : prepared.examples()) {
      out.add(new DpoPair(e.promptIds(), e.chosenIds(), e.rejectedIds()));
    }
    return out;
  }

  /**
   * KTO examples: unpaired {@code prompt/completion/label} records (or pairs, unpaired in TRL's order),
   * tokenised as TRL's KTOTrainer does, or pre-tokenised {@code prompt_ids/completion_ids/label}; each
   * with its KL completion (TRL's rotation within blocks of {@code per_device_train_batch_size}).
   */
  static List<KtoExample> unpaired(Path file, Tokenizer tok, DpoRecipe r, String tag) throws IOException {
    if (!Files.exists(file)) {
      throw new NoSuchFileException(file.toString(), null, "dataset not found");
    }
    List<long[]> prompts = new ArrayList<>();
    List<long[]> completions = new ArrayList<>();
    List<Boolean> labels = new ArrayList<>();
    List<SourceRecord> records = JsonRecords.readAll(file);
    if (!records.isEmpty() && records.get(0).value().has("completion_ids")) {
      for (SourceRecord rec : records) {
        var v = rec.value();
        if (!v.has("prompt_ids") || !v.has("completion_ids") || !v.path("label").isBoolean()) {
          throw new IllegalArgumentException(file + ":" + rec.line() + ": expected prompt_ids, completion_ids and a"
              + " boolean label");
        }
        prompts.add(ids(v.get("prompt_ids")));
        completions.add(ids(v.get("completion_ids")));
        labels.add(v.get("label").asBoolean());
      }
    } else {
      ChatTemplate template = r.template().map(t -> t.template(tok.specialTokens()))
          .orElseGet(() -> tok.chatTemplate().orElse(null));
      PreferencePreparer prep = new PreferencePreparer(new PreferenceTokenizer(tok, template),
          new PreferenceOptions(r.cutoffLen(), OverlongPolicy.TRUNCATE, r.truncationMode(), false));
      Prepared<KtoEncoding> prepared = prep.forKto(dev.align4j.peft.data.preference.PreferenceData.readUnpaired(file));
      System.err.println(tag + ": " + file + ": " + prepared.report().read() + " examples read, "
          + prepared.report().kept() + " kept");
      prepared.report().lines().forEach(l -> System.err.println(tag + ":   " + l));
      for (KtoEncoding e : prepared.examples()) {
        prompts.add(e.promptIds());
        completions.add(e.completionIds());
        labels.add(e.label());
      }
    }
    boolean[] l = new boolean[labels.size()];
    for (int i = 0; i < l.length; i++) {
      l[i] = labels.get(i);
    }
    if (l.length == 0) {
      throw new IllegalArgumentException(file + ": no examples to train on");
    }
    return KtoExample.withKlCompletions(prompts, completions, l, r.perDeviceTrainBatchSize());
  }

  private static long[] ids(com.fasterxml.jackson.databind.JsonNode n) {
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = n.get(i).asLong();
    }
    return out;
  }
}
