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
  @Mixin AdapterOptions adapterOptions;

  @Option(names = "--input", required = true,
      description = "JSONL file, one {\"text\": ...} (tokenized) or {\"ids\": [...]} (token ids as given) per line")
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
        LazyTokenizer tok = new LazyTokenizer(pm);
        BufferedReader r = Files.newBufferedReader(input, StandardCharsets.UTF_8)) {
      adapterOptions.apply(pm.model());
      String line;
      long lineNo = 0;
      while ((line = r.readLine()) != null) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node = parse(line, lineNo);
        long[] ids;
        if (node.has("ids")) {
          ids = ids(node.get("ids"), lineNo, pm.model().config().vocabSize());
        } else {
          ids = tok.get().encode(text(node, lineNo), addSpecialTokens);
        }
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

  /** The checkpoint's tokenizer, loaded on the first text line: lines of ids need none. */
  private final class LazyTokenizer implements AutoCloseable {
    private final PretrainedModel pm;
    private Tokenizer tok;

    LazyTokenizer(PretrainedModel pm) {
      this.pm = pm;
    }

    Tokenizer get() throws java.io.IOException {
      if (tok == null) {
        tok = options.tokenizerFor(pm);
      }
      return tok;
    }

    @Override
    public void close() {
      if (tok != null) {
        tok.close();
      }
    }
  }

  private JsonNode parse(String line, long lineNo) {
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (Exception e) {
      throw new IllegalArgumentException(input + ":" + lineNo + ": not valid JSON: " + e.getMessage());
    }
    if (node == null || !node.isObject()) {
      throw new IllegalArgumentException(input + ":" + lineNo + ": expected a JSON object");
    }
    return node;
  }

  private long[] ids(JsonNode n, long lineNo, int vocab) {
    if (!n.isArray()) {
      throw new IllegalArgumentException(input + ":" + lineNo + ": field \"ids\" must be an array of token ids");
    }
    long[] out = new long[n.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode e = n.get(i);
      if (!e.canConvertToLong() || !e.isIntegralNumber() || e.asLong() < 0 || e.asLong() >= vocab) {
        throw new IllegalArgumentException(input + ":" + lineNo + ": field \"ids\"[" + i + "] must be a token id in [0, "
            + vocab + "), got " + e);
      }
      out[i] = e.asLong();
    }
    return out;
  }

  private String text(JsonNode node, long lineNo) {
    JsonNode t = node.get("text");
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
