package dev.align4j.peft.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.config.RecipeSchema;
import dev.align4j.peft.config.ResolvedConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;

/**
 * Writing {@code resolved_config.json} for any stage's run: provenance (version, git commit, the
 * datasets' SHA-256, seed) and, when the output directory holds a checkpoint to resume, the check
 * that the recipe is the one that wrote it ({@link ResolvedConfig#requireSameRun} with the engine's
 * {@link TrainingKeys} rules).
 */
public final class RunProvenance {
  private RunProvenance() {}

  /**
   * Writes the resolved recipe with its provenance into {@code out}, refusing to resume a checkpoint
   * written with other values unless {@code allowConfigChange}.
   *
   * @param datasets provenance key (e.g. {@code dataset_sha256}) to file; a missing file is an error
   *     naming it
   */
  public static <R extends Record> void writeResolved(RecipeSchema<R> schema, R recipe, Path out,
      Map<String, Path> datasets, long seed, boolean allowConfigChange) throws IOException {
    ObjectNode prov = new ObjectMapper().createObjectNode();
    prov.put("align4j_version", "0.1.0");
    gitCommit().ifPresent(c -> prov.put("git_commit", c));
    for (Map.Entry<String, Path> d : datasets.entrySet()) {
      if (!Files.exists(d.getValue())) {
        throw new NoSuchFileException(d.getValue().toString(), null, d.getKey().replace("_sha256", "") + " not found");
      }
      prov.put(d.getKey(), sha256(d.getValue()));
    }
    prov.put("seed", seed);
    Optional<Path> resume = TrainingCheckpoint.latest(out.resolve("checkpoints"));
    Optional<ObjectNode> previous = ResolvedConfig.read(out);
    ObjectNode provenance = prov;
    if (resume.isPresent() && previous.isPresent()) {
      long step = Long.parseLong(resume.get().getFileName().toString().substring("checkpoint-".length()));
      provenance = ResolvedConfig.requireSameRun(schema, previous.get(), recipe, prov, step,
          TrainingKeys.MAY_CHANGE_ON_RESUME, TrainingKeys.FIXED_BY_CHECKPOINT, allowConfigChange,
          out.resolve(ResolvedConfig.FILE));
    }
    ResolvedConfig.write(out, schema.toJson(recipe), provenance);
  }

  /** SHA-256 of a file's bytes, hex. */
  public static String sha256(Path p) throws IOException {
    try (InputStream in = new DigestInputStream(Files.newInputStream(p), MessageDigest.getInstance("SHA-256"))) {
      MessageDigest d = ((DigestInputStream) in).getMessageDigest();
      in.transferTo(java.io.OutputStream.nullOutputStream());
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The commit of the working directory's git checkout, if any. */
  public static Optional<String> gitCommit() {
    try {
      Path head = Path.of(".git/HEAD");
      if (!Files.exists(head)) {
        return Optional.empty();
      }
      String h = Files.readString(head).trim();
      if (h.startsWith("ref: ")) {
        Path ref = Path.of(".git").resolve(h.substring(5));
        return Files.exists(ref) ? Optional.of(Files.readString(ref).trim()) : Optional.empty();
      }
      return Optional.of(h);
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
