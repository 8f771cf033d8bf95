package dev.align4j.recipes.data;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code align4j data}: dataset maintenance before SFT. Subcommands {@code validate}, {@code clean},
 * {@code dedup}, {@code split}. Inputs are never modified; outputs are written atomically.
 */
@Command(name = "data", mixinStandardHelpOptions = true,
    description = "Validate, clean (PII), deduplicate and split instruction datasets (JSONL or JSON array).",
    subcommands = {ValidateCommand.class, CleanCommand.class, DedupCommand.class, SplitCommand.class,
      PairsCommand.class,
      IncidentCommand.class})
public final class DataCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Manual entry point: {@code java dev.align4j.recipes.data.DataCommand validate data.jsonl}. */
  public static void main(String[] args) {
    System.exit(new CommandLine(new DataCommand()).execute(args));
  }
}
