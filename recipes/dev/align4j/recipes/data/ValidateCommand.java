package dev.align4j.recipes.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.data.DataProblem;
import dev.align4j.peft.data.format.ColumnMapping;
import dev.align4j.peft.data.format.DataFormat;
import dev.align4j.peft.data.format.DatasetValidator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code align4j data validate FILE...}: lists every problem as {@code file:line: field: what}; exit 1 if any. */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Check JSON/UTF-8 syntax, the schema of the format, blank fields and over-long examples.")
public final class ValidateCommand extends DataSubcommand {
  @Parameters(arity = "0..*", paramLabel = "FILE", description = "JSONL or JSON-array data files.")
  List<Path> files = new java.util.ArrayList<>();

  @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "A data file (repeatable; as FILE).")
  void addInput(Path file) {
    files.add(file);
  }

  @Option(names = "--format", defaultValue = "auto",
      description = "alpaca, sharegpt, openai, text or auto (detect from the first record). Default: ${DEFAULT-VALUE}.")
  String format;

  @Option(names = "--dataset-info", paramLabel = "JSON",
      description = "LLaMA-Factory style dataset_info.json giving columns/tags (use with --dataset).")
  Path datasetInfo;

  @Option(names = "--dataset", paramLabel = "NAME", description = "Entry of --dataset-info to use.")
  String dataset;

  @Option(names = "--max-chars", defaultValue = "16384",
      description = "Longest allowed example in characters, all text fields together; 0 = no limit. Default: ${DEFAULT-VALUE}.")
  int maxChars;

  @Override
  int execute() throws IOException {
    if (files.isEmpty()) {
      throw new IllegalArgumentException("no input file: give FILE or --input");
    }
    DatasetValidator validator = new DatasetValidator(mapping(), maxChars);
    long problems = 0;
    for (Path f : files) {
      DatasetValidator.Report r = validator.validate(f);
      for (DataProblem p : r.problems()) {
        out().println(p);
      }
      problems += r.problems().size();
      out().printf("%s: %d record(s), format %s, %d problem(s)%n", f, r.records(),
          r.format() == null ? "unknown" : r.format().name().toLowerCase(java.util.Locale.ROOT), r.problems().size());
    }
    return problems == 0 ? 0 : 1;
  }

  private ColumnMapping mapping() throws IOException {
    if (datasetInfo != null) {
      if (dataset == null) {
        throw new IllegalArgumentException("--dataset-info needs --dataset NAME");
      }
      JsonNode info = new ObjectMapper().readTree(datasetInfo.toFile());
      JsonNode entry = info.get(dataset);
      if (entry == null || !entry.isObject()) {
        throw new IllegalArgumentException(datasetInfo + ": no dataset entry '" + dataset + "'");
      }
      return ColumnMapping.fromDatasetInfo(entry);
    }
    return "auto".equalsIgnoreCase(format) ? null : ColumnMapping.defaults(DataFormat.parse(format));
  }
}
