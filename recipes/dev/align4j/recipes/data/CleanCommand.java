package dev.align4j.recipes.data;

import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.PiiScrubber;
import dev.align4j.peft.data.ScrubReport;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j data clean IN -o OUT}: replaces personal information in every string field. */
@Command(name = "clean", mixinStandardHelpOptions = true,
    description = "Replace ID numbers, phones, e-mails, bank cards, IPv4 addresses and names with [ID], [PHONE], "
        + "[EMAIL], [BANK_CARD], [IP], [NAME]. Writes JSONL.")
public final class CleanCommand extends SingleInputSubcommand {
  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output JSONL (not the input).")
  Path output;

  @Option(names = "--names", paramLabel = "FILE", description = "File with one personal name per line to replace.")
  Path namesFile;

  @Option(names = "--name", paramLabel = "NAME", description = "A personal name to replace (repeatable).")
  List<String> names = new ArrayList<>();

  @Override
  int execute() throws IOException {
    Path input = input();
    JsonlWriter.requireDistinct(input, output);
    List<String> all = new ArrayList<>(names);
    if (namesFile != null) {
      all.addAll(Files.readAllLines(namesFile, StandardCharsets.UTF_8));
    }
    PiiScrubber scrubber = new PiiScrubber(all);
    long n;
    try (JsonRecords in = JsonRecords.open(input); JsonlWriter w = JsonlWriter.create(output)) {
      while (in.hasNext()) {
        w.write(scrubber.scrub(in.next().value()));
      }
      w.commit();
      n = w.count();
    }
    ScrubReport report = scrubber.report();
    out().printf("%s -> %s: %d record(s), %d replacement(s)%n", input, output, n, report.total());
    out().print(report.summary());
    return 0;
  }
}
