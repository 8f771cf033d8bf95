package dev.align4j.recipes.bench;

import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.MasterWeights;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.Precision;
import java.io.BufferedReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import dev.align4j.recipes.cli.DeviceOption;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code align4j bench model}: forward+backward step time, tokens/s, achieved GFLOP/s next to the
 * measured matmul rate, and peak RSS; each row runs in its own JVM so peaks do not mix.
 */
@Command(name = "bench", description = "Benchmarks; print a table. Targets: model (forward+backward, f32/bf16, composed/fused), peft (full vs LoRA vs QLoRA step), compare (a training step next to transformers + PEFT), sft (packing), data (preprocessing), generate (greedy tokens/s next to transformers), rm (reward-model step next to TRL), dpo (DPO step, live and cached reference, next to TRL), rl (rollout tokens/s, GRPO and PPO steps, next to TRL's GRPOTrainer)")
public final class BenchCommand implements Callable<Integer> {
  @Parameters(index = "0", description = "what to measure: model, peft, compare, sft, data, generate, rm, dpo or rl") String target;
  @Option(names = "--method", split = ",", defaultValue = "FULL,LORA,QLORA", hidden = true) List<PeftBenchmark.Method> methods;
  @Option(names = "--shape", defaultValue = "smollm2-135m", description = "smollm2-135m or tiny") String shape;
  @Option(names = "--batch", defaultValue = "1") int batch;
  @Option(names = "--seq", defaultValue = "512") int seq;
  @Option(names = "--steps", defaultValue = "5") int steps;
  @Option(names = "--warmup", defaultValue = "2") int warmup;
  @Option(names = "--precision", split = ",", defaultValue = "float32,bfloat16") List<String> precisions;
  @Option(names = "--attention", split = ",", defaultValue = "COMPOSED,FUSED") List<AttentionImpl> attentions;
  @Option(names = "--examples", defaultValue = "100000", description = "examples for the data benchmark") int examples;
  @Option(names = "--batches", split = ",", description = "generate: batch sizes (default 1,8,32); compare: batch sizes (default 1,4)") List<Integer> batches;
  @Option(names = "--methods", split = ",", defaultValue = "LORA,FULL,QLORA", description = "compare: methods (LORA, FULL, QLORA)") List<PeftBenchmark.Method> compareMethods;
  @Option(names = "--rounds", defaultValue = "2", description = "compare: alternating rounds per configuration") int rounds;
  @Option(names = "--train-script", defaultValue = "bench/train_step_hf.py", description = "compare: transformers' side") String trainScript;
  @Option(names = "--new-tokens", defaultValue = "32", description = "generate: tokens generated per row") int newTokens;
  @Option(names = "--prompt-min", defaultValue = "16", description = "generate: shortest prompt") int promptMin;
  @Option(names = "--prompt-max", defaultValue = "48", description = "generate: longest prompt") int promptMax;
  @Option(names = "--threads", defaultValue = "0", description = "generate, compare, peft, rm, dpo: intra-op threads (both sides; 0: libtorch's default)") int threads;
  @Option(names = "--python", description = "generate: python with torch and transformers (default: /tmp/hfref or the interop venv)") String python;
  @Option(names = "--hf-script", defaultValue = "bench/generate_hf.py", description = "generate: transformers' side") String hfScript;
  @Option(names = "--mode", split = ",", description = "rm/dpo: what to measure (RM; DPO_LIVE, DPO_CACHED)") List<PreferenceBenchmark.Mode> modes;
  @Option(names = "--reps", defaultValue = "1", description = "rm/dpo: fresh-process repetitions per side and mode (medians)") int reps;
  @Option(names = "--trl-script", description = "rm/dpo: TRL's side (default bench/rm_step_trl.py or bench/dpo_step_trl.py)") String trlScript;
  @Option(names = "--seqs", split = ",", description = "compare: sequence lengths (the scaling measurement; default: --seq)") List<Integer> seqs;
  @Option(names = "--master-weights", split = ",", defaultValue = "FLOAT32", description = "compare, peft: under bfloat16, FLOAT32 masters (mixed precision) and/or NONE (pure bfloat16: bf16 weights, gradients and AdamW moments; transformers' side: model.to(bfloat16), LoRA without autocast_adapter_dtype)") List<MasterWeights> masterWeights;
  @Option(names = "--checkpointing", description = "compare, peft, rl: activation checkpointing per decoder layer (compare, peft: both sides; rl: align4j's update)") boolean checkpointing;
  @Option(names = "--plot", description = "compare: write a PNG of step time and peak memory against tokens per step") Path plot;
  @Option(names = "--runs", description = "compare: append each run to this JSON-lines file; --plot then shows all its runs") Path runsLog;
  @Option(names = "--model-dir", defaultValue = "runs/bench/smollm2-135m-qwen3", description = "rl: the model (made by align4j tiny at the SmolLM2-135M shape with the Qwen3 tokenizer when absent)") Path rlModel;
  @Option(names = "--prompts-per-step", defaultValue = "2", description = "rl: prompts per rollout") int rlPrompts;
  @Option(names = "--generations", defaultValue = "4", description = "rl: GRPO's num_generations (PPO: one per prompt, prompts x generations prompts)") int rlGenerations;
  @Option(names = "--micro-batch", defaultValue = "8", description = "rl: rows per forward (update and rollout)") int rlMicro;
  @Option(names = "--beta", defaultValue = "0.04", description = "rl: GRPO's k3 coefficient, PPO's kl_coef") double rlBeta;
  @Option(names = "--no-ppo", description = "rl: skip align4j's PPO step") boolean rlNoPpo;
  @Option(names = "--separate-old-logprobs", description = "rl: always compute the old log-probs by the rollout's own policy forward (default: the update's stand in when the rollout feeds one step and the reward has no KL term, as TRL)") boolean rlSeparateOld;
  @Option(names = "--joint-backward", description = "rl: PPO backpropagates policy and value together after both forwards (default: the policy term before the value forward)") boolean rlJointBackward;
  @Option(names = "--algo", hidden = true, defaultValue = "GRPO") RlBenchmark.Algo rlAlgo;
  @Option(names = "--in-process", hidden = true, description = "measure one row here and print it as TSV") boolean inProcess;
  @Mixin DeviceOption deviceOption;

  @Override
  public Integer call() throws Exception {
    if (!List.of("model", "peft", "compare", "sft", "data", "generate", "rm", "dpo", "rl").contains(target)) {
      throw new IllegalArgumentException(
          "unknown benchmark '" + target + "' (model, peft, compare, sft, data, generate, rm, dpo, rl)");
    }
    if (target.equals("rl")) {
      return rl();
    }
    if (target.equals("compare")) {
      return compare();
    }
    if (target.equals("rm") || target.equals("dpo")) {
      return preference();
    }
    if (target.equals("generate")) {
      return generate();
    }
    if (target.equals("data")) {
      double eps = SftBenchmark.preprocessExamplesPerSecond(Path.of("recipes/assets/tokenizers/qwen3"), examples);
      System.out.printf("preprocessing %,d alpaca examples (parse, Qwen3 chat template, tokenise, assistant masks): %.0f examples/s%n",
          examples, eps);
      return 0;
    }
    ModelConfig c = shape.equals("tiny") ? ModelBenchmark.tinyShape() : ModelBenchmark.smolLm2Shape();
    if (target.equals("peft")) {
      return peft(c);
    }
    if (target.equals("sft")) {
      System.out.printf("LoRA r16 SFT on %s, examples of 32-256 tokens, ~%d real tokens per step%n", shape, batch * 144);
      System.out.printf("%-10s %16s %20s%n", "rows", "real tokens/s", "tokens per row");
      for (boolean packed : new boolean[] {false, true}) {
        double[] r = SftBenchmark.trainTokensPerSecond(c, packed, batch, seq, steps + 1, deviceOption.device());
        System.out.printf("%-10s %16.0f %20.0f%n", packed ? "packed" : "unpacked", r[0], r[1]);
      }
      return 0;
    }
    if (inProcess) {
      ModelBenchmark.Row r = ModelBenchmark.run(c, Precision.parse(precisions.get(0)), attentions.get(0), batch, seq, warmup,
          steps, deviceOption.device());
      System.out.printf("ROW\t%s\t%s\t%.1f\t%.0f\t%.1f\t%.1f\t%.0f%n", r.precision(), r.attention(), r.stepMs(),
          r.tokensPerSec(), r.gflops(), r.matmulGflops(), r.peakRssMiB());
      return 0;
    }
    System.out.printf("model %s (%,d parameters), batch %d x %d tokens, full fine-tuning step (forward+backward), %d threads%n",
        shape, c.parameterCount(), batch, seq, Runtime.getRuntime().availableProcessors());
    System.out.printf("%-9s %-9s %10s %10s %10s %14s %8s %10s%n", "precision", "attention", "step ms", "tokens/s",
        "GFLOP/s", "matmul GFLOP/s", "of peak", "peak RSS");
    List<String> failures = new ArrayList<>();
    for (String p : precisions) {
      for (AttentionImpl a : attentions) {
        String row = child(p, a);
        if (row == null) {
          failures.add(p + "/" + a);
          continue;
        }
        String[] f = row.split("\t");
        double g = Double.parseDouble(f[5]);
        double peak = Double.parseDouble(f[6]);
        System.out.printf("%-9s %-9s %10s %10s %10s %14s %7.0f%% %7s MiB%n", f[1], f[2], f[3], f[4], f[5], f[6],
            100 * g / peak, f[7]);
      }
    }
    if (!failures.isEmpty()) {
      System.err.println("failed rows: " + failures);
      return 1;
    }
    return 0;
  }

  private int peft(ModelConfig c) throws Exception {
    if (inProcess) {
      dev.align4j.peft.torch.Torch.engine();   // loads libtorch before its thread count is touched
      if (threads > 0) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
      }
      PeftBenchmark.Row r = PeftBenchmark.run(c, methods.get(0), Precision.parse(precisions.get(0)), masterWeights.get(0),
          batch, seq, warmup, steps, deviceOption.device(), checkpointing);
      // ROW method precision batch seq step fwd bwd opt cpu trainable setupRss peak stepPeak loss
      System.out.printf(java.util.Locale.ROOT, "ROW\t%s\t%s\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t%d\t%.0f\t%.0f\t%.0f\t%.6f%n",
          r.method(), r.precision(), r.batch(), r.seq(), r.stepMs(), r.forwardMs(), r.backwardMs(), r.optimizerMs(),
          r.cpuMs(), r.trainable(), r.setupRssMiB(), r.peakRssMiB(), r.stepPeakRssMiB(), r.loss());
      return 0;
    }
    System.out.printf("model %s (%,d parameters), batch %d x %d tokens, one training step (forward, backward, AdamW), float32 compute, %d threads%n",
        shape, c.parameterCount(), batch, seq, Runtime.getRuntime().availableProcessors());
    System.out.printf("%-8s %10s %10s %10s %14s %10s%n", "method", "step ms", "tokens/s", "optim ms", "trainable", "peak RSS");
    for (PeftBenchmark.Method mth : methods) {
      List<String> args = new ArrayList<>(List.of("bench", "peft", "--in-process", "--shape", shape, "--batch", "" + batch,
          "--seq", "" + seq, "--steps", "" + steps, "--warmup", "" + warmup, "--method", mth.name(), "--precision",
          precisions.get(0), "--master-weights", masterWeights.get(0).name()));
      if (checkpointing) {
        args.add("--checkpointing");
      }
      String row = childRow(args);
      if (row == null) {
        System.out.printf("%-8s failed%n", mth);
        continue;
      }
      String[] f = row.split("\t");
      double ms = Double.parseDouble(f[5]);
      double opt = Double.parseDouble(f[8]);
      System.out.printf("%-8s %10.1f %10.0f %6.1f (%2.0f%%) %,14d %6s MiB%n", f[1], ms, batch * seq / (ms / 1000), opt,
          100 * opt / ms, Long.parseLong(f[10]), f[12]);
    }
    return 0;
  }

  private int compare() throws Exception {
    Path py = python != null ? Path.of(python) : defaultPython();
    Path script = Path.of(trainScript);
    if (!Files.isRegularFile(script)) {
      throw new IllegalArgumentException("--train-script " + script + " not found (run from the repository root)");
    }
    List<Precision> precs = new ArrayList<>();
    for (String p : precisions) {
      precs.add(Precision.parse(p));
    }
    List<Integer> bs = batches != null ? batches : List.of(1, 4);
    CompareBenchmark.Plan plan = new CompareBenchmark.Plan(compareMethods, bs, precs, seqs != null ? seqs : List.of(seq),
        steps, warmup, rounds, threads, shape, py, script, checkpointing, plot, runsLog, masterWeights);
    List<CompareBenchmark.Run> runs = CompareBenchmark.run(plan, childJvm(), System.out);
    return runs.stream().anyMatch(r -> Double.isNaN(r.stepMs())) ? 1 : 0;
  }

  private int generate() throws Exception {
    if (promptMin < 1 || promptMax < promptMin || newTokens < 1) {
      throw new IllegalArgumentException("need 1 <= --prompt-min <= --prompt-max and --new-tokens >= 1");
    }
    Path py = python != null ? Path.of(python) : defaultPython();
    Path script = Path.of(hfScript);
    if (!Files.isRegularFile(script)) {
      throw new IllegalArgumentException("--hf-script " + script + " not found (run from the repository root)");
    }
    dev.align4j.peft.torch.Torch.engine();   // loads libtorch before its thread count is touched
    if (threads > 0) {
      ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
    }
    ModelConfig c = shape.equals("tiny") ? ModelBenchmark.tinyShape() : GenerateBenchmark.smolLm2Vocab152k();
    int[] bs = (batches != null ? batches : List.of(1, 8, 32)).stream().mapToInt(Integer::intValue).toArray();
    System.out.printf("greedy generation, %s shape, vocab %,d (%,d parameters), float32, fused attention, "
        + "prompts of %d-%d tokens, %d new tokens per row, %d threads%n", shape, c.vocabSize(), c.parameterCount(),
        promptMin, promptMax, newTokens, ai.djl.pytorch.jni.JniUtils.getNumThreads());
    List<GenerateBenchmark.Row> rows = GenerateBenchmark.run(c, bs, newTokens, promptMin, promptMax, py, script, System.out);
    System.out.printf("%6s %14s %16s %22s %8s %18s%n", "batch", "prompt tokens", "align4j tok/s", "transformers tok/s",
        "ratio", "identical greedy");
    boolean allSame = true;
    for (GenerateBenchmark.Row r : rows) {
      System.out.printf("%6d %14d %16.1f %22.1f %7.2fx %13d / %d%n", r.batch(), r.promptTokens(), r.align4jTokensPerSec(),
          r.hfTokensPerSec(), r.align4jTokensPerSec() / r.hfTokensPerSec(), r.identicalRows(), r.batch());
      allSame &= r.identicalRows() == r.batch();
    }
    return allSame ? 0 : 1;
  }

  private int preference() throws Exception {
    ModelConfig c = shape.equals("tiny") ? ModelBenchmark.tinyShape() : ModelBenchmark.smolLm2Shape();
    boolean rm = target.equals("rm");
    List<PreferenceBenchmark.Mode> ms = modes != null ? modes
        : rm ? List.of(PreferenceBenchmark.Mode.RM) : List.of(PreferenceBenchmark.Mode.DPO_LIVE, PreferenceBenchmark.Mode.DPO_CACHED);
    for (PreferenceBenchmark.Mode m : ms) {
      if ((m == PreferenceBenchmark.Mode.RM) != rm) {
        throw new IllegalArgumentException("--mode " + m + " does not belong to bench " + target);
      }
    }
    if (inProcess) {
      dev.align4j.peft.torch.Torch.engine();   // loads libtorch before its thread count is touched
      if (threads > 0) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
      }
      PreferenceBenchmark.Row r = PreferenceBenchmark.run(c, ms.get(0), batch, seq, warmup, steps);
      System.out.printf(Locale.ROOT, "{\"side\": \"align4j\", \"mode\": \"%s\", \"pairs\": %d, \"seq\": %d, "
          + "\"step_ms\": %.3f, \"cpu_ms\": %.3f, \"peak_rss_mib\": %.1f, \"trainable\": %d, \"loss\": %.6f, "
          + "\"threads\": %d}%n", PreferenceCompare.name(r.mode()), r.pairs(), r.seq(), r.stepMs(), r.cpuMs(),
          r.peakRssMiB(), r.trainable(), r.loss(), ai.djl.pytorch.jni.JniUtils.getNumThreads());
      return 0;
    }
    Path py = python != null ? Path.of(python) : defaultPython();
    Path script = Path.of(trlScript != null ? trlScript : rm ? "bench/rm_step_trl.py" : "bench/dpo_step_trl.py");
    List<String> common = List.of("--shape", shape, "--batch", "" + batch, "--seq", "" + seq, "--steps", "" + steps,
        "--warmup", "" + warmup, "--threads", "" + threads);
    List<String> javaArgs = new ArrayList<>(List.of("bench", target));
    javaArgs.addAll(common);
    System.out.printf("%s step on %s (%,d parameters), LoRA r16/alpha32 on every linear layer%s, float32, "
        + "%d pairs x %d tokens per sequence%s, median of %d steps after %d warm-up, align4j vs TRL in alternating fresh "
        + "processes, %s threads, %d cores%n", rm ? "reward-model (Bradley-Terry)" : "DPO (sigmoid, beta 0.1)", shape,
        c.parameterCount(), rm ? " + score head" : "", batch, seq, rm ? "" : " (prompt " + seq / 2 + ")", steps, warmup,
        threads > 0 ? "" + threads : "default", Runtime.getRuntime().availableProcessors());
    return PreferenceCompare.run(new PreferenceCompare.Plan(ms, reps, javaArgs, py, script, common), System.out);
  }

  private int rl() throws Exception {
    Path prompts = rlModel.resolve("bench_prompts.jsonl");
    if (inProcess) {
      dev.align4j.peft.torch.Torch.engine();   // loads libtorch before its thread count is touched
      if (threads > 0) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
      }
      RlBenchmark.Row r = RlBenchmark.run(new RlBenchmark.Settings(rlModel, prompts, rlAlgo, rlPrompts, rlGenerations,
          newTokens, rlMicro, rlBeta, warmup, steps, rlSeparateOld, rlJointBackward, checkpointing));
      System.out.println(RlCompare.json(r, ai.djl.pytorch.jni.JniUtils.getNumThreads()));
      return 0;
    }
    RlModels.ensure(rlModel, prompts);
    Path py = python != null ? Path.of(python) : defaultPython();
    Path script = Path.of(trlScript != null ? trlScript : "bench/grpo_step_trl.py");
    if (!Files.isRegularFile(script)) {
      throw new IllegalArgumentException("--trl-script " + script + " not found (run from the repository root)");
    }
    List<String> javaArgs = new ArrayList<>(List.of("bench", "rl", "--model-dir", rlModel.toString(), "--prompts-per-step",
        "" + rlPrompts, "--generations", "" + rlGenerations, "--new-tokens", "" + newTokens, "--micro-batch", "" + rlMicro,
        "--beta", "" + rlBeta, "--steps", "" + steps, "--warmup", "" + warmup, "--threads", "" + threads));
    if (rlSeparateOld) {
      javaArgs.add("--separate-old-logprobs");
    }
    if (rlJointBackward) {
      javaArgs.add("--joint-backward");
    }
    if (checkpointing) {
      javaArgs.add("--checkpointing");
    }
    List<String> scriptArgs = List.of("--model", rlModel.toString(), "--prompts", prompts.toString(), "--prompts-per-step",
        "" + rlPrompts, "--generations", "" + rlGenerations, "--new-tokens", "" + newTokens, "--beta", "" + rlBeta,
        "--steps", "" + steps, "--warmup", "" + warmup, "--threads", "" + threads);
    System.out.printf("RL step on %s: GRPO %d prompts x %d generations, PPO %d prompts (reward-model adapter, value "
        + "adapter + head), %d new tokens, micro-batch %d, LoRA r16/alpha32 all linear, float32, beta %s, mean of %d "
        + "steps after %d warm-up, align4j and TRL in alternating fresh processes, %s threads, %d cores%n", rlModel,
        rlPrompts, rlGenerations, rlPrompts * rlGenerations, newTokens, rlMicro, rlBeta, steps, warmup,
        threads > 0 ? "" + threads : "default", Runtime.getRuntime().availableProcessors());
    return RlCompare.run(new RlCompare.Plan(reps, !rlNoPpo, javaArgs, py, script, scriptArgs), System.out);
  }

  private static Path defaultPython() {
    Path ref = Path.of("/tmp/hfref/bin/python");
    Path venv = Path.of(System.getProperty("user.home"), ".cache/align4j/interop-venv/bin/python");
    if (Files.isExecutable(venv)) {
      return venv;
    }
    if (Files.isExecutable(ref)) {
      return ref;
    }
    throw new IllegalArgumentException("no python with transformers found: pass --python (see interop/install.sh)");
  }

  /** The command that starts a child align4j JVM like this one, up to the main class. */
  private static List<String> childJvm() {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx8g", "-Dai.djl.offline=true", "-DOPT_OUT_TRACKING=true",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Dorg.slf4j.simpleLogger.log.ai.djl.util.cuda.CudaUtils=error"));
    // switches given to this JVM (-Dalign4j.*) reach the measured one
    for (String k : System.getProperties().stringPropertyNames()) {
      if (k.startsWith("align4j.")) {
        cmd.add("-D" + k + "=" + System.getProperty(k));
      }
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.align4j.recipes.Align4j"));
    return cmd;
  }

  private String childRow(List<String> args) throws Exception {
    List<String> cmd = childJvm();
    cmd.addAll(args);
    if (deviceOption.name() != null) {
      cmd.addAll(List.of("--device", deviceOption.name()));   // each row's JVM measures on the device asked for
    }
    Process proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String row = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("ROW\t")) {
          row = line;
        }
      }
    }
    return proc.waitFor() == 0 ? row : null;
  }

  private String child(String precision, AttentionImpl attention) throws Exception {
    return childRow(List.of("bench", "model", "--in-process", "--shape", shape, "--batch", "" + batch, "--seq", "" + seq,
        "--steps", "" + steps, "--warmup", "" + warmup, "--precision", precision, "--attention", attention.name()));
  }

}
