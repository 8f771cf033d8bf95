package dev.align4j.recipes;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.format.Conversation;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.ExampleParser;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.demo.IncidentEval;
import dev.align4j.sft.demo.CharTokenizer;
import dev.align4j.sft.demo.IncidentDataset;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The incident task at test size: {@code records} alpaca records ({@code d.jsonl}) and a random tiny Qwen2
 * model ({@code m/}: hidden 32, 4 heads, 2 KV heads) whose character tokenizer covers the instruction
 * and every record's input and output. What the RL, evaluation and experiment CLI tests train on.
 *
 * @param model the checkpoint folder
 * @param data the JSONL records
 */
public record TinyIncident(Path model, Path data) {
  /** Writes both under {@code dir}; the records are {@link IncidentDataset#generate(int, long)}'s. */
  public static TinyIncident write(Path dir, int records, long dataSeed, int layers) throws IOException {
    Path model = dir.resolve("m");
    Path data = dir.resolve("d.jsonl");
    List<ObjectNode> recs = IncidentDataset.generate(records, dataSeed);
    JsonlWriter.writeAll(data, recs);
    List<String> corpus = new ArrayList<>(List.of(IncidentDataset.INSTRUCTION));
    recs.forEach(r -> {
      corpus.add(r.get("input").asText());
      corpus.add(r.get("output").asText());
    });
    int vocab = CharTokenizer.write(model, corpus);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(model, new ModelConfig(ModelFamily.QWEN2, vocab, 32, 64, layers, 4, 2, 8, 1e-6, 1e4, null, 512,
          true, false, "float32"), 1, null, Optional.empty(), m);
    }
    return new TinyIncident(model, data);
  }

  /** The alpaca records of {@code jsonl} as the judge's items: each alert's prompt and its parsed gold report. */
  public static List<IncidentEval.Item> items(Path jsonl) throws IOException {
    List<IncidentEval.Item> items = new ArrayList<>();
    ExampleParser parser = ExampleParser.of(DataFormat.ALPACA);
    try (JsonRecords r = JsonRecords.open(jsonl)) {
      while (r.hasNext()) {
        Conversation c = (Conversation) parser.parse(r.next());
        items.add(new IncidentEval.Item(c.turns().get(0).content(),
            IncidentDataset.parse(c.turns().get(1).content()).orElseThrow()));
      }
    }
    return items;
  }
}
