package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.SourceRecord;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Segment;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.reward.RewardModel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j score}: one JSON line per input with its reward. An input is tokenised as the reward
 * model was trained (TRL's RewardTrainer): {@code {"text"}} or {@code {"prompt", "completion"}} as text
 * with EOS appended, {@code {"messages"}} or {@code {"prompt": [...], "completion": [...]}} through the
 * chat template, or {@code {"ids"}} as given.
 */
@Command(name = "score", description = "Score texts or conversations with a reward model (one JSON line per input).")
public final class ScoreCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin RmModelOptions options;
  @Mixin DeviceOption device;

  @Option(names = "--input", required = true, description = "JSONL or JSON array: {\"text\"}, {\"prompt\", \"completion\"}, "
      + "{\"messages\"} or {\"ids\"} per record")
  Path input;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    List<SourceRecord> records = JsonRecords.readAll(input);
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (NDManager m = Torch.newManager(device.device());
        RewardModel rm = options.load(m);
        Tokenizer tok = Tokenizer.load(options.model)) {
      PreferenceTokenizer ptok = PreferenceTokenizer.of(tok);
      List<long[]> seqs = new ArrayList<>();
      for (SourceRecord rec : records) {
        seqs.add(encode(rec, ptok, rm.model().config().vocabSize()));
      }
      double[] scores = rm.score(seqs, options.batchSize);
      for (int i = 0; i < scores.length; i++) {
        ObjectNode row = records.get(i).value().deepCopy();
        row.put("score", scores[i]);
        if (rm.storedStats().isPresent()) {
          row.put("normalized_score", rm.storedStats().get().normalize(scores[i]));
        }
        out.println(JSON.writeValueAsString(row));
      }
    }
    return 0;
  }

  /** One input record's token ids; errors name {@code file:line: field}. */
  static long[] encode(SourceRecord rec, PreferenceTokenizer ptok, int vocab) {
    JsonNode v = rec.value();
    String where = rec.file() + ":" + rec.line() + ": ";
    try {
      if (v.has("ids")) {
        JsonNode a = v.get("ids");
        if (!a.isArray() || a.isEmpty()) {
          throw new IllegalArgumentException("ids: expected a non-empty array of token ids");
        }
        long[] ids = new long[a.size()];
        for (int i = 0; i < ids.length; i++) {
          if (!a.get(i).isIntegralNumber() || a.get(i).asLong() < 0 || a.get(i).asLong() >= vocab) {
            throw new IllegalArgumentException("ids[" + i + "]: expected a token id in [0, " + vocab + "), got " + a.get(i));
          }
          ids[i] = a.get(i).asLong();
        }
        return ids;
      }
      if (v.has("messages")) {
        return ptok.full(new Segment.Chat(List.of()), new Segment.Chat(messages(v.get("messages"), "messages")));
      }
      if (v.has("completion")) {
        JsonNode p = v.path("prompt");
        JsonNode c = v.get("completion");
        if (c.isTextual()) {
          if (!p.isMissingNode() && !p.isTextual()) {
            throw new IllegalArgumentException("prompt: expected a string like completion");
          }
          return ptok.full(new Segment.Text(p.isMissingNode() ? "" : p.asText()), new Segment.Text(c.asText()));
        }
        return ptok.full(new Segment.Chat(p.isMissingNode() ? List.of() : messages(p, "prompt")),
            new Segment.Chat(messages(c, "completion")));
      }
      if (v.has("text")) {
        if (!v.get("text").isTextual()) {
          throw new IllegalArgumentException("text: expected a string");
        }
        return ptok.full(new Segment.Text(""), new Segment.Text(v.get("text").asText()));
      }
      throw new IllegalArgumentException("expected a field text, prompt+completion, messages or ids");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + e.getMessage(), e);
    }
  }

  private static List<ChatMessage> messages(JsonNode a, String field) {
    if (!a.isArray()) {
      throw new IllegalArgumentException(field + ": expected an array of {\"role\", \"content\"} messages");
    }
    List<ChatMessage> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      JsonNode msg = a.get(i);
      if (!msg.path("role").isTextual() || !msg.path("content").isTextual()) {
        throw new IllegalArgumentException(field + "[" + i + "]: expected {\"role\": string, \"content\": string}");
      }
      out.add(new ChatMessage(msg.get("role").asText(), msg.get("content").asText()));
    }
    return out;
  }
}
