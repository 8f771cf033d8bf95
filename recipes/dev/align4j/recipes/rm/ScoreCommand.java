package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.recipes.rm.ScoreAdapters.Score;
import dev.align4j.recipes.rm.ScoreAdapters.Scorer;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j score}: one JSON line per input with its score. An input is tokenised as the reward
 * model was trained (TRL's RewardTrainer): {@code {"text"}} or {@code {"prompt", "completion"}} as text
 * with EOS appended, {@code {"messages"}} or {@code {"prompt": [...], "completion": [...]}} through the
 * chat template, or {@code {"ids"}} as given.
 *
 * <p>With several {@code --adapter NAME=DIR} on one base, each input names its adapter ({@code
 * "adapter": NAME}; absent: {@code --active-adapter}, else the first; {@code null}: the base model) and
 * is scored under it with the base loaded once: a reward adapter ({@code SEQ_CLS}) gives its reward, a
 * causal-LM adapter (or the base) the log-probability of the completion given the prompt.
 */
@Command(name = "score", description = "Score texts or conversations with a reward model, or with one of several "
    + "adapters on one base named per input (one JSON line per input).")
public final class ScoreCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin RmModelOptions options;
  @Mixin DeviceOption device;

  @Option(names = "--input", required = true, description = "JSONL or JSON array: {\"text\"}, {\"prompt\", \"completion\"}, "
      + "{\"messages\"} or {\"ids\"} per record, with \"adapter\": NAME (--adapter NAME=DIR), null (the base) or "
      + "absent (the default)")
  Path input;

  @Option(names = "--active-adapter", paramLabel = "NAME", description = "the adapter of inputs without an "
      + "\"adapter\" field (default: the first)")
  String active;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    List<SourceRecord> records = JsonRecords.readAll(input);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (NDManager m = Torch.newManager(device.device());
        ScoreAdapters adapters = ScoreAdapters.load(options, active, m);
        Tokenizer tok = Tokenizer.load(options.model)) {
      PreferenceTokenizer ptok = PreferenceTokenizer.of(tok);
      int vocab = vocab(adapters);
      // requests grouped by adapter, so that each adapter's rewards are batched; rows keep their order
      Map<String, List<Integer>> byAdapter = new LinkedHashMap<>();
      List<ScoreInput> inputs = new ArrayList<>();
      String[] adapterOf = new String[records.size()];
      for (int i = 0; i < records.size(); i++) {
        adapterOf[i] = adapterOf(records.get(i), adapters);
        inputs.add(ScoreInput.encode(records.get(i), ptok, vocab));
        byAdapter.computeIfAbsent(adapterOf[i], k -> new ArrayList<>()).add(i);
      }
      Score[] scores = new Score[records.size()];
      for (Map.Entry<String, List<Integer>> e : byAdapter.entrySet()) {
        List<Integer> rows = e.getValue();
        Score[] s = ScoreAdapters.score(adapters.scorer(e.getKey()), rows.stream().map(inputs::get).toList(),
            options.batchSize);
        for (int j = 0; j < s.length; j++) {
          scores[rows.get(j)] = s[j];
        }
      }
      for (int i = 0; i < scores.length; i++) {
        ObjectNode row = records.get(i).value().deepCopy();
        if (adapters.named()) {
          row.put("adapter", adapterOf[i]);
        }
        row.put("score", scores[i].value());
        Scorer scorer = adapters.scorer(adapterOf[i]);
        if (scorer instanceof Scorer.Reward r && r.stats().isPresent()) {
          row.put("normalized_score", r.stats().get().normalize(scores[i].value()));
        } else if (scorer instanceof Scorer.LogProb) {
          row.put("tokens", scores[i].tokens());
        }
        out.println(JSON.writeValueAsString(row));
      }
    }
    return 0;
  }

  private static int vocab(ScoreAdapters adapters) {
    Scorer s = adapters.scorer(adapters.defaultName());
    return s instanceof Scorer.Reward r ? r.rm().model().config().vocabSize()
        : ((Scorer.LogProb) Objects.requireNonNull(s)).model().config().vocabSize();
  }

  /** The adapter a record names; errors name {@code file:line}. */
  private static String adapterOf(SourceRecord rec, ScoreAdapters adapters) {
    JsonNode a = rec.value().get("adapter");
    if (a == null) {
      return adapters.defaultName();
    }
    String where = rec.file() + ":" + rec.line() + ": ";
    if (adapters.names().isEmpty()) {
      throw new IllegalArgumentException(where + "field \"adapter\" needs --adapter NAME=DIR on a base model");
    }
    if (a.isNull() && adapters.has(null)) {
      return null;
    }
    if (a.isTextual() && adapters.has(a.asText())) {
      return a.asText();
    }
    throw new IllegalArgumentException(where + "field \"adapter\" must be one of " + adapters.names()
        + " (--adapter NAME=DIR)" + (adapters.has(null) ? " or null for the base model" : "") + ", got " + a);
  }
}
