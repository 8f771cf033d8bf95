package dev.align4j.recipes.eval;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.CheckpointFormatException;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.rl.rollout.PromptDataset;
import dev.align4j.rl.rollout.RewardModelScorer;
import dev.align4j.rl.rollout.RlPrompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A base model loaded once with the reference (SFT) adapter, an optional reward-model adapter and any
 * number of policy adapters (from PEFT adapter folders or from training checkpoints), each measured
 * by one {@link PolicyEvaluator} on held-out alpaca data: what the demo's table and the frontier
 * experiment evaluate.
 */
public final class EvalSession implements AutoCloseable {
  /** The reference adapter's name. */
  public static final String REFERENCE = "sft-reference";
  /** The reward model adapter's name. */
  public static final String REWARD = "reward-model";

  private final NDManager manager;
  private final PretrainedModel pm;
  private final Tokenizer tok;
  private final PeftModel peft;
  private final PolicyEvaluator evaluator;

  private EvalSession(NDManager manager, PretrainedModel pm, Tokenizer tok, PeftModel peft, PolicyEvaluator evaluator) {
    this.manager = manager;
    this.pm = pm;
    this.tok = tok;
    this.peft = peft;
    this.evaluator = evaluator;
  }

  /**
   * Loads {@code model} (float32, composed attention, as the demo evaluates) and its tokenizer.
   *
   * @param reference the SFT adapter folder (the reference of the KL), or null: the base with adapters off
   * @param heldOut alpaca records (the demo's {@code data/val.jsonl}); the output is the judge's gold
   * @param maxPrompts use the first N prompts (0: all)
   * @param rewardModel an {@code align4j rm} adapter folder on the same base, or null
   */
  public static EvalSession open(Path model, Path reference, Path heldOut, int maxPrompts, Path rewardModel,
      EvalConfig cfg, Device device) throws IOException {
    NDManager m = Torch.newManager(device);
    PretrainedModel pm = null;
    Tokenizer tok = null;
    try {
      pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
      tok = Tokenizer.load(model);
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          model.resolve("tokenizer_config.json") + " has no chat_template"));
      List<RlPrompt> prompts = PromptDataset.read(heldOut, tok, template);
      if (maxPrompts > 0 && prompts.size() > maxPrompts) {
        prompts = prompts.subList(0, maxPrompts);
      }
      PeftModel peft = new PeftModel(pm.model());
      if (reference != null) {
        PeftAdapterFiles.load(peft, reference, REFERENCE);
      }
      long pad = tok.padId().orElse(0);
      RewardModelScorer rm = rewardModel == null ? null
          : RewardModelScorer.load(peft, rewardModel, REWARD, pad, false, cfg.sampleBatch());
      PolicyEvaluator ev = PolicyEvaluator.of(peft, tok, prompts, reference == null ? null : REFERENCE, rm, cfg);
      return new EvalSession(m, pm, tok, peft, ev);
    } catch (IOException | RuntimeException e) {
      if (tok != null) {
        tok.close();
      }
      if (pm != null) {
        pm.close();
      }
      m.close();
      throw e;
    }
  }

  /** The evaluator. */
  public PolicyEvaluator evaluator() {
    return evaluator;
  }

  /** The base with its adapters. */
  public PeftModel peft() {
    return peft;
  }

  /** Loads a PEFT adapter folder as policy {@code name} (once; a name already loaded is an error). */
  public void loadPolicy(String name, Path adapterDir) throws IOException {
    if (peft.adapterNames().contains(name)) {
      throw new IllegalArgumentException("eval: an adapter named '" + name + "' is already loaded");
    }
    PeftAdapterFiles.load(peft, adapterDir, name);
  }

  /**
   * Sets policy {@code name} (loaded from the run's starting adapter, so that it has the run's shapes)
   * to the trainable weights of a training checkpoint ({@code checkpoint-N/trainable.safetensors}),
   * where the run called its adapter {@code runName} ({@code policy} in RL, {@code default} in DPO).
   */
  public void setFromCheckpoint(String name, Path checkpointDir, String runName) throws IOException {
    Path file = checkpointDir.resolve("trainable.safetensors");
    if (!Files.exists(file)) {
      throw new IllegalArgumentException(file + " not found (a training checkpoint holds it)");
    }
    try (SafetensorsFile f = SafetensorsFile.open(file)) {
      for (Parameter p : peft.parametersOf(name)) {
        String key = checkpointName(p.name(), name, runName);
        if (!f.tensors().containsKey(key)) {
          throw new CheckpointFormatException(file, "missing tensor '" + key + "' of adapter '" + runName + "'");
        }
        float[] v = f.toFloatArray(key);
        NDArray target = p.data();
        if (v.length != target.size()) {
          throw new CheckpointFormatException(file, "tensor '" + key + "' has " + v.length + " values, adapter '" + name
              + "' needs " + target.size());
        }
        // copy by arithmetic (never NDArray.set, see djl-facts)
        try (NDManager scratch = target.getManager().newSubManager()) {
          target.muli(0f).addi(scratch.create(v, target.getShape()).toType(target.getDataType(), false));
        }
      }
    }
  }

  /** {@code ...lora_A.<name>.weight} as the run named it: {@code ...lora_A.<runName>.weight}. */
  static String checkpointName(String param, String name, String runName) {
    String suffix = "." + name + ".weight";
    if (!param.endsWith(suffix)) {
      throw new IllegalStateException("unexpected parameter name " + param);
    }
    return param.substring(0, param.length() - suffix.length()) + "." + runName + ".weight";
  }

  /** Measures policy {@code name} (null: the base model). */
  public PolicyEval evaluate(String name) {
    return evaluator.evaluate(name);
  }

  @Override
  public void close() {
    tok.close();
    pm.close();
    manager.close();
  }
}
