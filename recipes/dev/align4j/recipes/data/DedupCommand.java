package dev.align4j.recipes.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.data.DedupCluster;
import dev.align4j.peft.data.DedupConfig;
import dev.align4j.peft.data.Deduplicator;
import dev.align4j.peft.data.JsonRecords;
import dev.align4j.peft.data.JsonlWriter;
import dev.align4j.peft.data.SourceRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code align4j data dedup IN -o OUT}: drops exact and near duplicates, keeping the first occurrence. */
@Command(name = "dedup", mixinStandardHelpOptions = true,
    description = "Remove exact (normalised) and near (MinHash/LSH Jaccard) duplicates; keeps first occurrences.")
public final class DedupCommand extends SingleInputSubcommand {
  @Option(names = {"-o", "--output"}, required = true, paramLabel = "OUT", description = "Output JSONL (not the input).")
  Path output;

  @Option(names = "--threshold", defaultValue = "0.8", description = "Jaccard threshold for near duplicates. Default: ${DEFAULT-VALUE}.")
  double threshold;

  @Option(names = "--num-perm", defaultValue = "128", description = "MinHash permutations. Default: ${DEFAULT-VALUE}.")
  int numPerm;

  @Option(names = "--ngram", defaultValue = "5", description = "Character n-gram size. Default: ${DEFAULT-VALUE}.")
  int ngram;

  @Option(names = "--seed", defaultValue = "1", description = "Hash seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--estimate", description = "Verify candidates by the MinHash estimate instead of exact Jaccard (less memory).")
  boolean estimate;

  @Option(names = "--fields", split = ",", paramLabel = "FIELD",
      description = "Top-level fields whose text is compared (default: all string values).")
  List<String> fields;

  @Option(names = "--report", paramLabel = "JSON", description = "Write all clusters (kept line -> dropped lines) here.")
  Path report;

  @Option(names = "--show", defaultValue = "20", description = "Clusters to print. Default: ${DEFAULT-VALUE}.")
  int show;

  @Override
  int execute() throws IOException {
    Path input = input();
    JsonlWriter.requireDistinct(input, output);
    if (report != null) {
      JsonlWriter.requireDistinct(input, report);
    }
    Deduplicator dedup = new Deduplicator(new DedupConfig(ngram, numPerm, threshold, seed, !estimate));
    long n = 0;
    try (JsonRecords in = JsonRecords.open(input); JsonlWriter w = JsonlWriter.create(output)) {
      while (in.hasNext()) {
        SourceRecord r = in.next();
        n++;
        if (dedup.offer(r.line(), RecordText.of(r.value(), fields))) {
          w.write(r.value());
        }
      }
      w.commit();
    }
    List<DedupCluster> clusters = dedup.clusters();
    out().printf("%s -> %s: %d record(s), kept %d, dropped %d in %d cluster(s) (LSH %d bands x %d rows)%n",
        input, output, n, dedup.keptCount(), dedup.droppedCount(), clusters.size(),
        dedup.lsh().bands(), dedup.lsh().rows());
    for (DedupCluster c : clusters.subList(0, Math.min(show, clusters.size()))) {
      out().printf("  line %d <- %s%n", c.keptId(), c.dropped().stream()
          .map(d -> d.id() + (d.kind() == DedupCluster.Kind.EXACT ? " (exact)" : String.format(" (%.2f)", d.similarity())))
          .collect(Collectors.joining(", ")));
    }
    if (report != null) {
      writeReport(clusters);
    }
    return 0;
  }

  private void writeReport(List<DedupCluster> clusters) throws IOException {
    ObjectMapper m = new ObjectMapper();
    ArrayNode arr = m.createArrayNode();
    for (DedupCluster c : clusters) {
      ObjectNode o = arr.addObject();
      o.put("kept_line", c.keptId());
      ArrayNode d = o.putArray("dropped");
      for (DedupCluster.Duplicate x : c.dropped()) {
        d.addObject().put("line", x.id()).put("kind", x.kind().name().toLowerCase(java.util.Locale.ROOT))
            .put("similarity", x.similarity());
      }
    }
    Path abs = report.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName(), ".tmp");
    try {
      m.writerWithDefaultPrettyPrinter().writeValue(tmp.toFile(), (JsonNode) arr);
      Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
