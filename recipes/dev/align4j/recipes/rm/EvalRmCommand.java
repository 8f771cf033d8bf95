package dev.align4j.recipes.rm;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.preference.OverlongPolicy;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.data.preference.Prepared;
import dev.align4j.peft.data.preference.RewardEncoding;
import dev.align4j.peft.data.preference.TruncationMode;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.cli.DeviceOption;
import dev.align4j.reward.PairAccuracy;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j eval-rm}: pairwise accuracy of a reward model on a preference-pair file (any format
 * {@code align4j rm} reads), printed as one JSON line ({@code pairs}, {@code accuracy}, {@code margin},
 * {@code loss}, and per group with {@code --group-by}).
 */
@Command(name = "eval-rm", description = "Pairwise accuracy of a reward model on preference pairs (one JSON line).")
public final class EvalRmCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Mixin RmModelOptions options;
  @Mixin DeviceOption device;

  @Option(names = "--data", required = true, description = "preference pairs (JSONL or JSON array)")
  Path data;

  @Option(names = "--cutoff-len", defaultValue = "1024", description = "longer pairs are dropped and counted (default: ${DEFAULT-VALUE})")
  int cutoffLen;

  @Option(names = "--group-by", description = "a string field of the records to report accuracy per value (e.g. kind)")
  String groupBy;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(data)) {
      throw new NoSuchFileException(data.toString(), null, "--data: no such file");
    }
    try (NDManager m = Torch.newManager(device.device());
        RewardModel rm = options.load(m);
        Tokenizer tok = Tokenizer.load(options.model)) {
      Prepared<RewardEncoding> p = RewardData.prepare(data, PreferenceParser.auto(), PreferenceTokenizer.of(tok),
          new PreferenceOptions(cutoffLen, OverlongPolicy.DROP, TruncationMode.KEEP_START, false));
      System.err.println("align4j eval-rm: " + data + ": " + String.join("; ", p.report().lines()));
      PairAccuracy a = PairAccuracy.of(rm, p.examples(), groupBy, options.batchSize);
      System.out.println(JSON.writeValueAsString(toJson(a)));
    }
    return 0;
  }

  static ObjectNode toJson(PairAccuracy a) {
    ObjectNode o = JSON.createObjectNode();
    o.put("pairs", a.pairs()).put("accuracy", a.accuracy()).put("margin", a.margin()).put("loss", a.loss());
    if (!a.groups().isEmpty()) {
      ObjectNode g = o.putObject("groups");
      a.groups().forEach((k, v) -> g.putObject(k).put("pairs", v.pairs()).put("accuracy", v.accuracy()));
    }
    return o;
  }
}
