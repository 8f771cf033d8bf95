package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.CausalLM;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.io.BufferedReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j logprobs}: for each JSONL line {@code {"text": ...}}, prints {@code {"ids": [...],
 * "token_logprobs": [null, ...]}}: the natural-log probability of each token given its prefix.
 */
@Command(name = "logprobs", description = "Per-token log-probabilities of texts in a JSONL file.")
public final class LogprobsCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin ModelOptions options;

  @Option(names = "--input", required = true, description = "JSONL file, one {\"text\": ...} per line")
  Path input;

  @Option(names = "--add-special-tokens", defaultValue = "true", negatable = true,
      description = "encode as tokenizer(text) does, BOS included where the tokenizer adds one (default: ${DEFAULT-VALUE})")
  boolean addSpecialTokens;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (NDManager m = Torch.newManager(options.device());
        PretrainedModel pm = options.load(m);
        Tokenizer tok = options.tokenizerFor(pm);
        BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        String text = text(line, lineNo);
        long[] ids = tok.encode(text, addSpecialTokens);
        ObjectNode row = JSON.createObjectNode();
        ArrayNode idsJson = row.putArray("ids");
        for (long id : ids) {
          idsJson.add(id);
        }
        ArrayNode lp = row.putArray("token_logprobs");
        if (ids.length > 0) {
          lp.addNull();
        }
        if (ids.length > 1) {
          for (double v : logprobs(pm.model(), m, ids)) {
            lp.add(v);
          }
        }
        out.println(JSON.writeValueAsString(row));
      }
    }
    return 0;
  }

  private String text(String line, long lineNo) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (Exception e) {
      throw new IllegalArgumentException(input + ":" + lineNo + ": not valid JSON: " + e.getMessage());
    }
    JsonNode t = node == null ? null : node.get("text");
    if (t == null || !t.isTextual()) {
      throw new IllegalArgumentException(input + ":" + lineNo + ": field \"text\" must be a string");
    }
    return t.asText();
  }

  /** log p(ids[t] | ids[..t]) for t = 1..n-1. */
  static double[] logprobs(CausalLM model, NDManager parent, long[] ids) {
    try (NDManager step = parent.newSubManager()) {
      ModelInput in = ModelInput.of(step, new long[][] {ids});
      NDArray logits = model.logits(in).get(":, :-1, :");                // [1, T-1, V]
      NDArray labels = in.inputIds().get(":, 1:");                       // [1, T-1]
      float[] lp = CausalLM.tokenLogProbs(logits, labels).toFloatArray();
      double[] out = new double[lp.length];
      for (int i = 0; i < lp.length; i++) {
        out[i] = lp[i];
      }
      return out;
    }
  }
}
