package dev.align4j.recipes.data;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** A data subcommand that reads one input file, given as the positional {@code IN} or as {@code --input}. */
abstract class SingleInputSubcommand extends DataSubcommand {
  @Parameters(index = "0", arity = "0..1", paramLabel = "IN", description = "Input JSONL or JSON array.")
  private Path input;

  @Option(names = {"-i", "--input"}, paramLabel = "IN", description = "Input file (instead of the positional IN).")
  void setInputOption(Path value) {
    input = value;
  }

  /** The input file; a clear error when neither form gave one. */
  Path input() {
    if (input == null) {
      throw new IllegalArgumentException("no input file: give it as IN or --input");
    }
    return input;
  }
}
