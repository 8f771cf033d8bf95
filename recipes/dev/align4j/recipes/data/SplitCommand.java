package dev.align4j.recipes.data;

import dev.align4j.peft.data.DataSplit;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.BitSet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j data split IN --train T --val V}: seeded random split; each side keeps input order.
 * Streams the input twice (count, then route) so memory does not grow with the file.
 */
@Command(name = "split", mixinStandardHelpOptions = true,
    description = "Seeded train/validation split (deterministic for a given seed). Writes two JSONL files.")
public final class SplitCommand extends SingleInputSubcommand {
  @Option(names = "--train", required = true, paramLabel = "OUT", description = "Training output JSONL.")
  Path train;

  @Option(names = "--val", required = true, paramLabel = "OUT", description = "Validation output JSONL.")
  Path val;

  @Option(names = "--val-ratio", description = "Share of records for validation (default 0.1 when --val-size is absent).")
  Double valRatio;

  @Option(names = "--val-size", description = "Number of records for validation.")
  Integer valSize;

  @Option(names = "--seed", defaultValue = "42", description = "Random seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  int execute() throws IOException {
    Path input = input();
    JsonlWriter.requireDistinct(input, train);
    JsonlWriter.requireDistinct(input, val);
    JsonlWriter.requireDistinct(train, val);
    if (valRatio != null && valSize != null) {
      throw new IllegalArgumentException("give either --val-ratio or --val-size, not both");
    }
    int n = 0;
    try (JsonRecords in = JsonRecords.open(input)) {
      while (in.hasNext()) {
        in.next();
        n++;
      }
    }
    int k;
    if (valSize != null) {
      if (valSize < 0 || valSize > n) {
        throw new IllegalArgumentException("--val-size " + valSize + " is not within 0.." + n + " records");
      }
      k = valSize;
    } else {
      k = DataSplit.valSizeForRatio(n, valRatio == null ? 0.1 : valRatio);
    }
    BitSet toVal = DataSplit.validationPositions(n, k, seed);
    try (JsonRecords in = JsonRecords.open(input);
       JsonlWriter t = JsonlWriter.create(train);
       JsonlWriter v = JsonlWriter.create(val)) {
      int i = 0;
      while (in.hasNext()) {
        (toVal.get(i++) ? v : t).write(in.next().value());
      }
      t.commit();
      v.commit();
      out().printf("%s: %d record(s) -> train %s (%d), val %s (%d), seed %d%n",
          input, n, train, t.count(), val, v.count(), seed);
    }
    return 0;
  }
}
