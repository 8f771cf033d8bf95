package dev.align4j.recipes.experiment;

import java.nio.file.Path;
import java.util.List;

/**
 * The experiments {@code align4j experiment all} regenerates, in order; each writes its tables and
 * plots under {@code results/<name>/} with the exact command in {@code command.txt}. A new experiment
 * is a constant here, a runner and a subcommand of {@link ExperimentCommand}.
 */
public enum Experiment {
  /** The reward-vs-KL frontier of PPO and DPO ({@link FrontierCommand}). */
  FRONTIER("frontier", "Reward vs KL frontier: PPO at several KL coefficients and DPO at several betas",
      FrontierCommand::runDefault),
  /** Linear probes of the event type and risk level by layer of the demo's models ({@link ProbeExperimentCommand}). */
  PROBE("probe", "Linear probes: what the base, SFT and aligned models encode about the event type and risk level, by layer",
      ProbeExperimentCommand::runDefault),
  /** Hyper-parameter search over the demo's LoRA SFT ({@link SearchExperimentCommand}). */
  SEARCH("search", "Hyper-parameter search: Bayesian search over the demo's LoRA SFT (learning rate, rank, alpha, dropout),"
      + " objective the held-out eval loss", SearchExperimentCommand::runDefault);

  /** Runs one experiment with its defaults; returns the exit code. */
  @FunctionalInterface
  public interface Runner {
    int run(ExperimentContext ctx) throws Exception;
  }

  /**
   * Where an experiment reads and writes.
   *
   * @param demo the {@code align4j demo} directory it starts from
   * @param results the results root ({@code results/}); the experiment writes {@code results/<name>/}
   * @param quick a reduced configuration (a quick look, not the committed numbers)
   * @param device the {@code --device} name, or null for the default
   */
  public record ExperimentContext(Path demo, Path results, boolean quick, String device) {}

  private final String key;
  private final String title;
  private final Runner runner;

  Experiment(String key, String title, Runner runner) {
    this.key = key;
    this.title = title;
    this.runner = runner;
  }

  /** The subcommand and folder name. */
  public String key() {
    return key;
  }

  /** One line for results/README.md. */
  public String title() {
    return title;
  }

  /** Runs it. */
  public int run(ExperimentContext ctx) throws Exception {
    return runner.run(ctx);
  }

  /** Its folder under the results root. */
  public Path dir(Path results) {
    return results.resolve(key);
  }

  /** Every experiment in order. */
  public static List<Experiment> all() {
    return List.of(values());
  }
}
