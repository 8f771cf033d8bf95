package dev.align4j.recipes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.io.DType;
import dev.align4j.peft.io.SafetensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code master_weights: none} through {@code align4j sft}: a full fine-tuning run from a float32
 * checkpoint writes a bfloat16 model (as transformers saves a model cast to bfloat16) and a run
 * interrupted after its checkpoint and resumed writes the same bytes as the uninterrupted one; LoRA
 * writes a bfloat16 adapter that moved; recipes the mode does not cover are refused by name.
 */
class PureBf16SftTest {
  @TempDir static Path tmp;
  static Path model;
  static Path data;

  @BeforeAll
  static void setUp() throws Exception {
    TinySft tiny = TinySft.write(tmp, 2);
    model = tiny.model();
    data = tiny.data();
  }

  static List<String> args(Path out, String... more) {
    List<String> a = new ArrayList<>(List.of("sft", "model_name_or_path=" + model, "dataset=" + data, "output_dir=" + out,
        "precision=bfloat16", "master_weights=none", "per_device_train_batch_size=2", "learning_rate=1.0e-2",
        "save_steps=2", "lr_scheduler_type=constant"));
    a.addAll(List.of(more));
    return a;
  }

  @Test
  void fullFineTuningSavesABf16ModelAndResumesBitForBit() throws Exception {
    Path whole = tmp.resolve("full-whole");
    assertThat(CliRun.of(args(whole, "finetuning_type=full", "max_steps=4")).rc()).isZero();
    Path split = tmp.resolve("full-split");
    assertThat(CliRun.of(args(split, "finetuning_type=full", "max_steps=2")).rc()).isZero();
    assertThat(CliRun.of(args(split, "finetuning_type=full", "max_steps=4")).rc()).isZero();   // resumes step 2 (constant
    // learning rate: a cosine schedule over max_steps would differ between the two first halves)
    byte[] a = Files.readAllBytes(whole.resolve("model/model.safetensors"));
    assertThat(Files.readAllBytes(split.resolve("model/model.safetensors"))).as("resumed = uninterrupted").isEqualTo(a);
    assertThat(Files.readAllBytes(model.resolve("model.safetensors"))).as("training changed the weights")
        .isNotEqualTo(a);
    try (SafetensorsFile f = SafetensorsFile.open(whole.resolve("model/model.safetensors"))) {
      assertThat(f.tensors()).isNotEmpty().allSatisfy((n, info) -> assertThat(info.dtype()).as(n).isEqualTo(DType.BF16));
    }
    assertThat(new ObjectMapper().readTree(whole.resolve("model/config.json").toFile()).path("torch_dtype").asText())
        .isEqualTo("bfloat16");
    try (SafetensorsFile o = SafetensorsFile.open(whole.resolve("checkpoints/checkpoint-4/optimizer.safetensors"))) {
      assertThat(o.info("model.norm.weight.exp_avg").dtype()).as("AdamW moments in bfloat16").isEqualTo(DType.BF16);
    }
  }

  @Test
  void loraSavesABf16AdapterThatMovedAndMergesIntoABf16Model() throws Exception {
    Path out = tmp.resolve("lora");
    assertThat(CliRun.of(args(out, "finetuning_type=lora", "lora_rank=4", "lora_alpha=8", "max_steps=2", "merge=true"))
        .rc()).isZero();
    try (SafetensorsFile merged = SafetensorsFile.open(out.resolve("merged/model.safetensors"));
        SafetensorsFile base = SafetensorsFile.open(model.resolve("model.safetensors"))) {
      assertThat(merged.tensors()).allSatisfy((n, info) -> assertThat(info.dtype()).as(n).isEqualTo(DType.BF16));
      String q = "model.layers.0.self_attn.q_proj.weight";
      assertThat(merged.toFloatArray(q)).as("B A folded into the base").isNotEqualTo(base.toFloatArray(q));
    }
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("adapter/adapter_model.safetensors"))) {
      assertThat(f.tensors()).isNotEmpty().allSatisfy((n, info) -> assertThat(info.dtype()).as(n).isEqualTo(DType.BF16));
      float[] b = f.toFloatArray("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight");
      double norm = 0;
      for (float x : b) {
        norm += x * x;
      }
      assertThat(norm).as("B moved away from its zero init").isGreaterThan(0);
    }
  }

  @Test
  void unsupportedCombinationsAreRefusedByName() {
    CliRun f32 = CliRun.of(args(tmp.resolve("bad1"), "precision=float32", "max_steps=1"));
    assertThat(f32.rc()).isEqualTo(1);
    assertThat(f32.err()).contains("master_weights none").contains("precision bfloat16");
    CliRun ia3 = CliRun.of(args(tmp.resolve("bad2"), "finetuning_type=ia3", "max_steps=1"));
    assertThat(ia3.rc()).isEqualTo(1);
    assertThat(ia3.err()).contains("master_weights none").contains("ia3");
    CliRun dora = CliRun.of(args(tmp.resolve("bad3"), "use_dora=true", "max_steps=1"));
    assertThat(dora.rc()).isEqualTo(1);
    assertThat(dora.err()).contains("use_dora");
  }

  @Test
  void freezeTuningTrainsItsLayersInBf16() throws Exception {
    Path out = tmp.resolve("freeze");
    assertThat(CliRun.of(args(out, "finetuning_type=freeze", "freeze_trainable_layers=1", "max_steps=2")).rc()).isZero();
    try (SafetensorsFile f = SafetensorsFile.open(out.resolve("model/model.safetensors"));
        SafetensorsFile o = SafetensorsFile.open(out.resolve("checkpoints/checkpoint-2/optimizer.safetensors"))) {
      assertThat(f.tensors()).allSatisfy((n, info) -> assertThat(info.dtype()).as(n).isEqualTo(DType.BF16));
      assertThat(o.tensors()).isNotEmpty().allSatisfy((n, info) -> assertThat(info.dtype())
          .isEqualTo(n.endsWith(".step") ? DType.F32 : DType.BF16));
      assertThat(o.tensors().keySet()).allMatch(n -> n.startsWith("model.layers.1."));
    }
  }
}
