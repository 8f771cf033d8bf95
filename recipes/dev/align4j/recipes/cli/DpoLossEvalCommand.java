package dev.align4j.recipes.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.dpo.loss.check.LossCaseRunner;
import dev.align4j.peft.io.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code align4j dpo-loss-eval} (hidden): runs the loss cases of a {@code make_loss_goldens.py} document
 * through align4j and writes align4j's loss, metrics and policy-logit gradients, for the interop check
 * {@code interop/checks/check_dpo_losses.py} that compares them with a live TRL.
 */
@Command(name = "dpo-loss-eval", hidden = true,
    description = "Runs DPO/KTO/ORPO/CPO loss cases (make_loss_goldens.py format) and writes align4j's results.")
public final class DpoLossEvalCommand implements Callable<Integer> {
  @Mixin DeviceOption deviceOption;

  @Option(names = "--input", required = true, description = "cases JSON written by make_loss_goldens.py")
  Path input;

  @Option(names = "--output", required = true, description = "where to write the results JSON")
  Path output;

  @Override
  public Integer call() throws Exception {
    if (!Files.isRegularFile(input)) {
      throw new NoSuchFileException(input.toString(), null, "--input: no such file");
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode doc;
    try {
      doc = json.readTree(input.toFile());
    } catch (IOException e) {
      throw new IllegalArgumentException(input + ": not valid JSON: " + e.getMessage(), e);
    }
    String out = json.writeValueAsString(LossCaseRunner.toJson(LossCaseRunner.runAll(doc, deviceOption.device())));
    AtomicFiles.writeString(output, out + "\n");
    return 0;
  }
}
