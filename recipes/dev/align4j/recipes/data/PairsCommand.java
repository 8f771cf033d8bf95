package dev.align4j.recipes.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.preference.DpoEncoding;
import dev.align4j.peft.data.preference.KtoEncoding;
import dev.align4j.peft.data.preference.OverlongPolicy;
import dev.align4j.peft.data.preference.PreferenceData;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferencePreparer;
import dev.align4j.peft.data.preference.PreferenceReport;
import dev.align4j.peft.data.preference.PreferenceFormat;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.data.preference.TruncationMode;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.sft.BuiltinTemplate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j data pairs IN --model-or-tokenizer DIR --for rm|dpo|kto --out OUT.jsonl}: parses a
 * preference file, checks it, tokenises it as TRL's RewardTrainer, DPOTrainer or KTOTrainer would, and
 * writes one JSON line of token ids per kept record (with the record's line and string extras); prints
 * the problem report. The interop check compares these ids with TRL's.
 */
@Command(name = "pairs", mixinStandardHelpOptions = true,
    description = "Tokenise preference data (pairs or KTO examples) as TRL does for rm, dpo or kto; report problems.")
public final class PairsCommand extends SingleInputSubcommand {
  /** Which trainer's preparation to apply. */
  enum Stage { RM, DPO, KTO }

  @Option(names = "--model-or-tokenizer", required = true, paramLabel = "DIR",
      description = "Directory with tokenizer.json (and tokenizer_config.json with the chat template).")
  Path tokenizerDir;

  @Option(names = "--for", required = true, split = ",", paramLabel = "STAGE",
      description = "rm, dpo or kto; several (rm,dpo,kto) write OUT/<stage>.jsonl each.")
  List<String> stages;

  @Option(names = "--out", required = true, paramLabel = "OUT",
      description = "Output JSONL of token ids (a directory when --for names several stages).")
  Path out;

  @Option(names = "--format", defaultValue = "auto",
      description = "trl, alpaca_ranking, sharegpt_ranking or auto (per record). Default: ${DEFAULT-VALUE}.")
  String format;

  @Option(names = "--dataset-info", paramLabel = "JSON", description = "LLaMA-Factory dataset_info.json (with --dataset).")
  Path datasetInfo;

  @Option(names = "--dataset", paramLabel = "NAME", description = "Entry of --dataset-info (\"ranking\": true).")
  String dataset;

  @Option(names = "--template", paramLabel = "NAME",
      description = "Built-in chat template (alpaca, chatml, qwen, llama3) instead of the tokenizer's own.")
  String template;

  @Option(names = "--cutoff-len", defaultValue = "0",
      description = "Longest sequence in tokens; 0 = no limit. Default: ${DEFAULT-VALUE}.")
  int cutoffLen;

  @Option(names = "--overlong", defaultValue = "drop", description = "drop or truncate. Default: ${DEFAULT-VALUE}.")
  String overlong;

  @Option(names = "--truncation", defaultValue = "keep_start",
      description = "keep_start or prompt_first. Default: ${DEFAULT-VALUE}.")
  String truncation;

  @Option(names = "--drop-empty-prompt", description = "Drop records with a blank prompt (always reported).")
  boolean dropEmptyPrompt;

  @Override
  int execute() throws IOException {
    Path input = input();
    if (cutoffLen < 0) {
      throw new IllegalArgumentException("--cutoff-len must be >= 0: " + cutoffLen);
    }
    PreferenceOptions options = new PreferenceOptions(cutoffLen == 0 ? Integer.MAX_VALUE : cutoffLen,
        OverlongPolicy.parse(overlong), TruncationMode.parse(truncation), dropEmptyPrompt);
    List<Stage> list = new ArrayList<>();
    for (String name : stages) {
      list.add(parseStage(name));
    }
    if (list.size() > 1) {
      Files.createDirectories(out);
    }
    try (Tokenizer tok = Tokenizer.load(tokenizerDir)) {
      ChatTemplate ct = template == null || template.isBlank() ? tok.chatTemplate().orElse(null)
          : BuiltinTemplate.parse(template).template(tok.specialTokens());
      PreferencePreparer prep = new PreferencePreparer(new PreferenceTokenizer(tok, ct), options);
      for (Stage s : list) {
        Path target = list.size() > 1 ? out.resolve(s.name().toLowerCase(Locale.ROOT) + ".jsonl") : out;
        JsonlWriter.requireDistinct(input, target);
        write(s, prep, target);
      }
    }
    return 0;
  }

  private void write(Stage s, PreferencePreparer prep, Path target) throws IOException {
    try (JsonlWriter w = JsonlWriter.create(target)) {
      PreferenceReport report;
      switch (s) {
        case RM -> {
          Prepared<RewardEncoding> p = prep.forReward(PreferenceData.readPairs(input(), parser()));
          for (RewardEncoding e : p.examples()) {
            ObjectNode o = row(e.source().line(), e.source().extras());
            o.set("chosen_ids", ids(e.chosenIds()));
            o.set("rejected_ids", ids(e.rejectedIds()));
            e.source().margin().ifPresent(m -> o.put("margin", m));
            w.write(o);
          }
          report = p.report();
        }
        case DPO -> {
          Prepared<DpoEncoding> p = prep.forDpo(PreferenceData.readPairs(input(), parser()));
          for (DpoEncoding e : p.examples()) {
            ObjectNode o = row(e.source().line(), e.source().extras());
            o.set("prompt_ids", ids(e.promptIds()));
            o.set("chosen_ids", ids(e.chosenIds()));
            o.set("rejected_ids", ids(e.rejectedIds()));
            w.write(o);
          }
          report = p.report();
        }
        default -> {
          if (datasetInfo != null || !"auto".equalsIgnoreCase(format)) {
            throw new IllegalArgumentException("--for kto reads TRL's records (unpaired, or pairs to unpair); "
                + "--format and --dataset-info are for rm and dpo");
          }
          Prepared<KtoEncoding> p = prep.forKto(PreferenceData.readUnpaired(input()));
          for (KtoEncoding e : p.examples()) {
            ObjectNode o = row(e.source().line(), e.source().extras());
            o.set("prompt_ids", ids(e.promptIds()));
            o.set("completion_ids", ids(e.completionIds()));
            o.put("label", e.label());
            w.write(o);
          }
          report = p.report();
        }
      }
      w.commit();
      out().printf("%s (%s):%n", input(), s.name().toLowerCase(Locale.ROOT));
      report.lines().forEach(out()::println);
      out().printf("-> %s (%d record(s))%n", target, w.count());
    }
  }

  private static Stage parseStage(String name) {
    try {
      return Stage.valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--for must be rm, dpo or kto, not '" + name + "'");
    }
  }

  private PreferenceParser parser() throws IOException {
    if (datasetInfo != null) {
      if (dataset == null) {
        throw new IllegalArgumentException("--dataset-info needs --dataset NAME");
      }
      JsonNode entry = new ObjectMapper().readTree(datasetInfo.toFile()).get(dataset);
      if (entry == null || !entry.isObject()) {
        throw new IllegalArgumentException(datasetInfo + ": no dataset entry '" + dataset + "'");
      }
      return PreferenceParser.fromDatasetInfo(entry);
    }
    return "auto".equalsIgnoreCase(format) ? PreferenceParser.auto() : PreferenceParser.of(PreferenceFormat.parse(format));
  }

  private static ObjectNode row(long line, Map<String, String> extras) {
    ObjectNode o = JsonNodeFactory.instance.objectNode();
    o.put("line", line);
    extras.forEach(o::put);
    return o;
  }

  private static JsonNode ids(long[] ids) {
    ArrayNode a = JsonNodeFactory.instance.arrayNode();
    for (long id : ids) {
      a.add(id);
    }
    return a;
  }
}
