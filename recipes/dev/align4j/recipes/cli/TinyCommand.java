package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.RopeScaling;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j tiny}: a small random-weight checkpoint of any supported family. */
@Command(name = "tiny", description = "Create a tiny random-weight Hugging Face checkpoint (for tests and demos).")
public final class TinyCommand implements Callable<Integer> {
  @Option(names = "--family", defaultValue = "qwen3", description = "llama, mistral, qwen2 or qwen3 (default: ${DEFAULT-VALUE})")
  String family;

  @Option(names = "--out", required = true, description = "directory to write")
  Path out;

  @Option(names = "--tokenizer", description = "directory with tokenizer.json/tokenizer_config.json to ship with it; sets the vocabulary size")
  Path tokenizer;

  @Option(names = "--vocab", defaultValue = "256", description = "vocabulary size without --tokenizer (default: ${DEFAULT-VALUE})")
  int vocab;

  @Option(names = "--hidden", defaultValue = "64") int hidden;
  @Option(names = "--intermediate", defaultValue = "160") int intermediate;
  @Option(names = "--layers", defaultValue = "2") int layers;
  @Option(names = "--heads", defaultValue = "4") int heads;
  @Option(names = "--kv-heads", defaultValue = "2") int kvHeads;
  @Option(names = "--tie", description = "tie input and output embeddings") boolean tie;
  @Option(names = "--dtype", defaultValue = "float32", description = "stored dtype: float32 or bfloat16") String dtype;
  @Option(names = "--seed", defaultValue = "0") long seed;

  @Override
  public Integer call() throws Exception {
    ModelFamily f = ModelFamily.fromModelType(family);
    int v = vocab;
    ObjectNode gen = JsonNodeFactory.instance.objectNode();
    if (tokenizer != null) {
      try (Tokenizer tok = Tokenizer.load(tokenizer)) {
        v = tok.vocabSize();
        tok.bosId().ifPresent(id -> gen.put("bos_token_id", id));
        long[] eos = tok.eosIds();
        if (eos.length == 1) {
          gen.put("eos_token_id", eos[0]);
        } else if (eos.length > 1) {
          var arr = gen.putArray("eos_token_id");
          for (long e : eos) {
            arr.add(e);
          }
        }
        tok.padId().ifPresent(id -> gen.put("pad_token_id", id));
      }
    }
    ModelConfig c = new ModelConfig(f, v, hidden, intermediate, layers, heads, kvHeads, hidden / heads,
        1e-6, f == ModelFamily.LLAMA ? 500000.0 : 1000000.0,
        f == ModelFamily.LLAMA ? new RopeScaling.Llama3(8, 1, 4, 8192) : null, 4096, tie, false, dtype);
    try (NDManager m = Torch.newManager()) {
      TinyCheckpoint.write(out, c, seed, tokenizer, gen.isEmpty() ? Optional.empty() : Optional.of(gen), m);
    }
    System.out.printf("wrote %s: %s, %,d parameters, vocab %d%n", out, c.architectureName(), c.parameterCount(), v);
    return 0;
  }
}
