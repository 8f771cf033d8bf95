package dev.align4j.recipes.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.sft.demo.IncidentDataset;
import dev.align4j.sft.demo.ParsedReport;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j data incident --out F.jsonl}: the demo's synthetic incident task as alpaca records
 * with their labels as fields ({@code event_type}, {@code risk_level}), fresh records only (no
 * duplicates, no personal data): probe data for {@code align4j probe --label event_type}, and valid
 * SFT data as well.
 */
@Command(name = "incident", mixinStandardHelpOptions = true,
    description = "Write the demo's synthetic incident task (alpaca records plus event_type and risk_level fields) as JSONL.")
public final class IncidentCommand extends DataSubcommand {
  @Option(names = {"-o", "--out"}, required = true, paramLabel = "OUT", description = "Output JSONL.")
  Path output;

  @Option(names = "--examples", defaultValue = "400", description = "Records to write. Default: ${DEFAULT-VALUE}.")
  int examples;

  @Option(names = "--seed", defaultValue = "7", description = "Generator seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  protected int execute() throws IOException {
    if (examples < 1) {
      throw new IllegalArgumentException("--examples must be >= 1");
    }
    List<ObjectNode> rows = new ArrayList<>();
    // draw until enough fresh records: duplicates and PII variants are for the data tooling demos
    for (int n = examples; rows.size() < examples; n *= 2) {
      rows.clear();
      for (IncidentDataset.Sample s : IncidentDataset.samples(n, seed)) {
        if (s.kind() == IncidentDataset.Kind.FRESH && rows.size() < examples) {
          ObjectNode r = s.record().deepCopy();
          ParsedReport p = IncidentDataset.parse(r.get("output").asText()).orElseThrow();
          r.put("event_type", p.eventType());
          r.put("risk_level", p.riskLevel());
          rows.add(r);
        }
      }
    }
    JsonlWriter.writeAll(output, rows);
    out().println("wrote " + rows.size() + " records to " + output);
    return 0;
  }
}
