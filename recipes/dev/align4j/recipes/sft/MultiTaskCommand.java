package dev.align4j.recipes.sft;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.io.AtomicFiles;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.peft.train.StopSignal;
import dev.align4j.recipes.cli.DeviceOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j multitask --config M.yaml}: trains the tasks of a {@link MultiTaskRecipe} one after
 * another as named LoRA adapters of one loaded base, each saved to {@code output_dir/adapters/NAME/}.
 * A rerun loads the adapters already saved instead of training them again, and resumes the task in
 * progress from its checkpoint.
 */
@Command(name = "multitask", description = "Train several LoRA task adapters on one loaded base (a multi-task recipe); each lands in output_dir/adapters/NAME/.")
public final class MultiTaskCommand implements Callable<Integer> {
  @Option(names = "--config", required = true, description = "multi-task YAML recipe") Path config;
  @Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    MultiTaskRecipe mr = MultiTaskRecipe.load(config);
    SftRecipe first = mr.tasks().get(0).recipe();
    Path base = Path.of(mr.modelNameOrPath());
    try (StopSignal.Region graceful = StopSignal.graceful();
        NDManager m = Torch.newManager(device.device());
        PretrainedModel pm = ModelLoader.load(base, first.precision(), first.attention(), m);
        Tokenizer tok = Tokenizer.load(base)) {
      pm.model().config().requireVocabCovers(tok.vocabSize(), base);
      PeftModel peft = new PeftModel(pm.model());
      for (MultiTaskRecipe.Task t : mr.tasks()) {
        Path dir = mr.adapterDir(t.adapter());
        if (Files.isRegularFile(dir.resolve(PeftAdapterFiles.CONFIG))) {
          PeftAdapterFiles.load(peft, dir, t.adapter());
          System.out.println("task " + t.adapter() + ": already trained, loaded from " + dir);
          continue;
        }
        if (t.recipe().precision() != first.precision() || t.recipe().attention() != first.attention()) {
          throw new IllegalArgumentException("task " + t.adapter() + ": precision and attention must be those of"
              + " the first task (one loaded base)");
        }
        SftRun.Summary s = SftRun.runShared(t.recipe(), pm, tok, peft, t.adapter());
        if (s.stopped()) {
          return StopSignal.exitCode();
        }
        AtomicFiles.replaceDirectory(dir, tmp -> PeftAdapterFiles.save(peft, t.adapter(), tmp, mr.modelNameOrPath()));
        var steps = s.result().steps();
        System.out.printf("task %s: %d steps%s; adapter in %s%n", t.adapter(), steps.size(),
            steps.isEmpty() ? "" : String.format(", loss %.4f -> %.4f", steps.get(0).loss(),
                steps.get(steps.size() - 1).loss()), dir);
      }
    }
    return 0;
  }
}
