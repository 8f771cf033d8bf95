package dev.align4j.recipes.pipeline;

import ai.djl.Device;
import dev.align4j.peft.train.StopSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Runs a pipeline's stages in order in this JVM. A stage with a marker whose config is unchanged is
 * skipped; one whose config changed is refused (naming the stage and the keys); a stage without a
 * marker runs, and resumes from its own last checkpoint when a previous run stopped inside it. A
 * SIGINT/SIGTERM stops the stage in flight at its safe point (checkpointed), and the pipeline with it.
 */
public final class PipelineRun {
  /**
   * What a run produced.
   *
   * @param stages the markers of the finished stages, in order
   * @param stopped a signal stopped the pipeline inside or between stages (rerun to resume)
   * @param ran the stages that ran in this invocation (the others were finished earlier)
   */
  public record Result(List<StageMarker> stages, boolean stopped, List<String> ran) {
    /** The marker of stage {@code name}. */
    public Optional<StageMarker> stage(String name) {
      return stages.stream().filter(s -> s.name().equals(name)).findFirst();
    }
  }

  private PipelineRun() {}

  /** Resolves and runs {@code p}; writes report.md and report.json when every stage has finished. */
  public static Result run(PipelineRecipe p, Device device) throws IOException {
    List<ResolvedStage> stages = ResolvedStage.resolveAll(p);   // every key and reference checked before any work
    Files.createDirectories(p.outputDir());
    List<StageMarker> done = new ArrayList<>();
    List<String> ran = new ArrayList<>();
    // refuse changed finished stages up front: nothing runs when a later one would be refused
    List<Optional<StageMarker>> markers = new ArrayList<>();
    for (ResolvedStage s : stages) {
      Optional<StageMarker> m = StageMarker.read(p.markerFile(s.name()));
      if (m.isPresent()) {
        requireUnchanged(p, s, m.get());
      }
      markers.add(m);
    }
    // a finished stage after an unfinished one would keep outputs made from the earlier stage's old outputs
    for (int i = 0; i < stages.size(); i++) {
      for (int j = i + 1; j < stages.size() && markers.get(i).isEmpty(); j++) {
        if (markers.get(j).isPresent()) {
          throw new IllegalArgumentException("stage '" + stages.get(j).name() + "' finished, but the earlier stage '"
              + stages.get(i).name() + "' has not (no " + p.markerFile(stages.get(i).name()) + "): its outputs would"
              + " be stale; delete " + p.markerFile(stages.get(j).name()) + " (and the markers of the stages after it)"
              + " to run them again after it");
        }
      }
    }
    try (StopSignal.Region graceful = StopSignal.graceful()) {
      for (int i = 0; i < stages.size(); i++) {
        ResolvedStage s = stages.get(i);
        String head = String.format("== [%d/%d] %s (%s)", i + 1, stages.size(), s.name(), s.kind().id());
        if (markers.get(i).isPresent()) {
          System.out.printf("%s: finished earlier in %.0f s; skipped%n", head, markers.get(i).get().seconds());
          done.add(markers.get(i).get());
          continue;
        }
        if (StopSignal.requested()) {
          return stopped(done, ran, s);
        }
        System.out.printf("%s -> %s%n", head, s.outputs().get("output_dir"));
        long t0 = System.nanoTime();
        StageDriver.Outcome o;
        try {
          o = s.run(device);
        } catch (StopSignal.Stopped e) {
          System.err.println("align4j pipeline: " + e.getMessage());
          return stopped(done, ran, s);
        }
        if (o.stopped()) {
          return stopped(done, ran, s);
        }
        ran.add(s.name());
        StageMarker m = new StageMarker(s.name(), s.kind(), s.hash(), s.config(), s.outputs(), o.metrics(),
            (System.nanoTime() - t0) / 1e9);
        m.write(p.markerFile(s.name()));
        done.add(m);
        System.out.printf("   done in %.0f s%s%n", m.seconds(), PipelineReport.metricsText(m, 6).isEmpty() ? ""
            : "; " + PipelineReport.metricsText(m, 6));
      }
    }
    PipelineReport.write(p, done);
    return new Result(done, false, ran);
  }

  private static Result stopped(List<StageMarker> done, List<String> ran, ResolvedStage s) {
    System.err.printf("align4j pipeline: stopped by %s in stage '%s'; rerun the same command to resume it%n",
        StopSignal.signalName(), s.name());
    return new Result(done, true, ran);
  }

  /** A finished stage's resolved config must be the one it ran with, and its outputs must still be there. */
  private static void requireUnchanged(PipelineRecipe p, ResolvedStage s, StageMarker m) {
    Path marker = p.markerFile(s.name());
    if (m.kind() != s.kind() || !m.configHash().equals(s.hash())) {
      List<String> changes = m.kind() != s.kind() ? List.of("kind: " + m.kind().id() + " -> " + s.kind().id())
          : s.changesFrom(m.config());
      throw new IllegalArgumentException("stage '" + s.name() + "' finished with another recipe; changed: "
          + String.join("; ", changes) + ". Restore the value(s), or delete " + marker + " and "
          + p.stageDir(s.name()) + " to run the stage again (and the stages after it)");
    }
    for (Map.Entry<String, String> e : m.outputs().entrySet()) {
      if (!Files.exists(Path.of(e.getValue()))) {
        throw new IllegalArgumentException("stage '" + s.name() + "' finished, but its " + e.getKey() + " "
            + e.getValue() + " is gone; delete " + marker + " to run the stage again");
      }
    }
  }
}
