package dev.align4j.recipes.rm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.align4j.peft.adapter.LoraConfig;
import dev.align4j.peft.adapter.LoraWeights;
import dev.align4j.peft.adapter.PeftAdapterFiles;
import dev.align4j.peft.adapter.PeftModel;
import dev.align4j.peft.data.preference.PreferenceOptions;
import dev.align4j.peft.data.preference.PreferenceParser;
import dev.align4j.peft.data.preference.PreferenceTokenizer;
import dev.align4j.peft.io.SafetensorsFile;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.Parameter;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import dev.align4j.recipes.TinyPairs;
import dev.align4j.reward.RewardData;
import dev.align4j.reward.RewardModel;
import dev.align4j.reward.RewardPair;
import dev.align4j.reward.RewardStats;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code adapter_name_or_path} in the rm stage: the reward model's LoRA adapter starts from an existing
 * LoRA adapter of the same base (the SFT adapter) with a new score head. On a tiny Qwen2-shaped model
 * with a character tokenizer and a random-weight "SFT" adapter (rank 4, every linear layer, nonzero B):
 * the initial weights are the adapter's bit for bit and the head is the one a new reward model of the
 * same seed draws; the trained reward model round-trips through its files (standalone and as one more
 * adapter next to the policy's, as PPO loads it); mismatched keys and missing files are errors naming
 * the file and the keys.
 */
class RmFromAdapterTest {
  @TempDir static Path tmp;
  static Path model;
  static Path pairs;
  static Path sft;

  @BeforeAll
  static void setUp() throws Exception {
    TinyPairs tiny = TinyPairs.write(tmp);
    model = tiny.model();
    pairs = tiny.pairs();
    sft = tmp.resolve("sft_adapter");
    try (NDManager m = Torch.newManager()) {
      // an "SFT adapter": rank 4 on every linear layer, B drawn nonzero (a fresh adapter's B is zero,
      // which would make the bit-for-bit check trivial)
      try (PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        PeftModel peft = new PeftModel(pm.model());
        peft.addLora("default", LoraConfig.of(4, 8, "all-linear"), 11);
        for (var l : peft.loraLayers().values()) {
          Parameter b = l.adapters().get("default").b();
          b.replace(m.randomNormal(0, 0.05f, b.shape(), b.data().getDataType()));
        }
        PeftAdapterFiles.save(peft, "default", sft, model.toString());
      }
    }
  }

  static RmRecipe recipe(String name, String... keys) throws Exception {
    List<String> all = new ArrayList<>(List.of("model_name_or_path=" + model, "dataset=" + pairs,
        "eval_dataset=" + pairs, "finetuning_type=lora", "lora_rank=4", "lora_alpha=8", "lora_target=all",
        "per_device_train_batch_size=2", "gradient_accumulation_steps=1", "learning_rate=1.0e-2",
        "output_dir=" + tmp.resolve(name), "seed=3"));
    all.addAll(List.of(keys));
    return RmRecipe.load(null, all);
  }

  @Test
  void theInitialLoraWeightsAreTheAdaptersBitForBitAndTheHeadIsNew() throws Exception {
    try (NDManager m = Torch.newManager();
        PretrainedModel started = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        PretrainedModel fresh = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        SafetensorsFile f = SafetensorsFile.open(sft.resolve(PeftAdapterFiles.WEIGHTS))) {
      RmRun.Setup s = RmRun.setup(recipe("init", "adapter_name_or_path=" + sft), started.model(), null);
      Map<String, LoraWeights> weights = new LinkedHashMap<>();
      s.peft().loraLayers().forEach((path, l) -> weights.put(path, l.adapters().get("default")));
      // every linear layer of the 2-layer decoder: q, k, v, o, gate, up, down
      assertThat(weights).hasSize(14);
      assertThat(f.tensors()).hasSize(28);
      for (Map.Entry<String, LoraWeights> e : weights.entrySet()) {
        String p = PeftModel.PREFIX + e.getKey();
        // float[] equality is Float.floatToIntBits equality: bit for bit
        assertThat(e.getValue().a().data().toFloatArray()).as(p).isEqualTo(f.toFloatArray(p + ".lora_A.weight"));
        assertThat(e.getValue().b().data().toFloatArray()).as(p).isEqualTo(f.toFloatArray(p + ".lora_B.weight"));
        assertThat(e.getValue().scaling()).isEqualTo(2.0);
      }
      // the head is a new reward model's of the same seed, and it trains with every LoRA weight
      RmRun.Setup n = RmRun.setup(recipe("init_fresh"), fresh.model(), null);
      assertThat(s.head().weight().data().toFloatArray()).isEqualTo(n.head().weight().data().toFloatArray());
      assertThat(s.trainables()).hasSize(2 * 14 + 1).contains(s.head().weight());
      // while a new adapter's B is zero and its A is not the started one
      LoraWeights first = n.peft().loraLayers().values().iterator().next().adapters().get("default");
      assertThat(first.b().data().toFloatArray()).containsOnly(0f);
    }
  }

  @Test
  void theTrainedRewardModelRoundTripsAndLoadsNextToThePolicy() throws Exception {
    RmRun.Summary sum = RmRun.run(recipe("trained", "adapter_name_or_path=" + sft, "max_steps=4"));
    Path out = tmp.resolve("trained/adapter");
    ObjectMapper json = new ObjectMapper();
    JsonNode c = json.readTree(out.resolve(PeftAdapterFiles.CONFIG).toFile());
    JsonNode start = json.readTree(sft.resolve(PeftAdapterFiles.CONFIG).toFile());
    // the SFT adapter's shape, as a reward-model adapter
    for (String k : List.of("r", "lora_alpha", "target_modules", "use_dora", "use_rslora", "lora_dropout")) {
      assertThat(c.get(k)).as(k).isEqualTo(start.get(k));
    }
    assertThat(start.get("task_type").asText()).isEqualTo("CAUSAL_LM");
    assertThat(c.get("task_type").asText()).isEqualTo("SEQ_CLS");
    assertThat(c.get("modules_to_save").toString()).isEqualTo("[\"classifier\",\"score\"]");
    String provenance = Files.readString(tmp.resolve("trained/resolved_config.json"));
    assertThat(provenance).contains("\"adapter_sha256\"");
    try (NDManager m = Torch.newManager(); Tokenizer tok = Tokenizer.load(model)) {
      List<RewardPair> eval = RewardData.pairs(RewardData.prepare(pairs, PreferenceParser.auto(),
          PreferenceTokenizer.of(tok), PreferenceOptions.drop(1024)));
      List<long[]> seqs = new ArrayList<>();
      eval.forEach(p -> seqs.add(p.chosen()));
      double[] standalone;
      try (RewardModel rm = RewardModel.load(model, out, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        // the statistics computed in memory at the end of training, recomputed from the saved files
        RewardStats again = rm.stats(eval, 2);
        assertThat(again.mean()).isCloseTo(sum.stats().mean(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(again.std()).isCloseTo(sum.stats().std(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(rm.storedStats().orElseThrow().mean()).isEqualTo(sum.stats().mean());
        standalone = rm.score(seqs, 2);
      }
      // PPO's way: the SFT adapter as the policy, the reward model one more adapter on the same base
      try (PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        PeftModel peft = new PeftModel(pm.model());
        PeftAdapterFiles.load(peft, sft, "policy");
        RewardModel shared = RewardModel.loadAdapter(peft, out, "reward", standaloneIdPad(tok));
        assertThat(shared.score(seqs, 2)).containsExactly(standalone);
        // training moved the started weights
        String q = "model.layers.0.self_attn.q_proj";
        NDArray policyB = peft.loraLayers().get(q).adapters().get("policy").b().data();
        NDArray rewardB = peft.loraLayers().get(q).adapters().get("reward").b().data();
        assertThat(rewardB.toFloatArray()).isNotEqualTo(policyB.toFloatArray());
      }
    }
  }

  @Test
  void aRewardModelAdapterKeepsItsOwnHead() throws Exception {
    RmRun.run(recipe("first", "adapter_name_or_path=" + sft, "max_steps=2"));
    Path rmAdapter = tmp.resolve("first/adapter");
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m);
        SafetensorsFile f = SafetensorsFile.open(rmAdapter.resolve(PeftAdapterFiles.WEIGHTS))) {
      // continuing a reward model (a SEQ_CLS adapter): its LoRA weights and its score head, not a new head
      RmRun.Setup s = RmRun.setup(recipe("second", "adapter_name_or_path=" + rmAdapter), pm.model(), null);
      assertThat(s.head().weight().data().toFloatArray())
          .isEqualTo(f.toFloatArray(PeftModel.PREFIX + "score.weight"));
      String q = "model.layers.1.mlp.down_proj";
      assertThat(s.peft().loraLayers().get(q).adapters().get("default").b().data().toFloatArray())
          .isEqualTo(f.toFloatArray(PeftModel.PREFIX + q + ".lora_B.weight"));
      assertThat(s.trainables()).hasSize(2 * 14 + 1).contains(s.head().weight());
    }
  }

  private static long standaloneIdPad(Tokenizer tok) {
    return tok.padId().orElse(tok.eosIds()[0]);
  }

  @Test
  void mismatchedKeysAndMissingFilesAreErrorsNamingTheFileAndKeys() throws Exception {
    Path config = sft.resolve(PeftAdapterFiles.CONFIG);
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThatThrownBy(() -> RmRun.setup(recipe("bad", "adapter_name_or_path=" + sft, "lora_rank=8", "lora_alpha=16"),
          pm.model(), null))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(config.toString())
          .hasMessageContaining("adapter r 4, recipe lora_rank 8")
          .hasMessageContaining("adapter lora_alpha 8, recipe lora_alpha 16");
    }
    try (NDManager m = Torch.newManager();
        PretrainedModel pm = ModelLoader.load(model, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
      assertThatThrownBy(() -> RmRun.setup(recipe("bad", "adapter_name_or_path=" + sft, "lora_target=q_proj,v_proj"),
          pm.model(), null))
          .hasMessageContaining(config.toString())
          .hasMessageContaining("recipe lora_target [q_proj, v_proj]")
          .hasMessageContaining("only the adapter adapts [model.layers.0.mlp.down_proj");
    }
    // no weights file: named, before any training
    Path noWeights = tmp.resolve("no_weights");
    Files.createDirectories(noWeights);
    Files.copy(config, noWeights.resolve(PeftAdapterFiles.CONFIG));
    assertThatThrownBy(() -> RmRun.run(recipe("bad_w", "adapter_name_or_path=" + noWeights, "max_steps=1")))
        .hasMessageContaining(noWeights.resolve(PeftAdapterFiles.WEIGHTS).toString())
        .hasMessageContaining("missing");
    assertThatThrownBy(() -> RmRun.run(recipe("bad_c", "adapter_name_or_path=" + tmp.resolve("nowhere"), "max_steps=1")))
        .hasMessageContaining(tmp.resolve("nowhere").resolve(PeftAdapterFiles.CONFIG).toString())
        .hasMessageContaining("missing");
    assertThat(Files.exists(tmp.resolve("bad_w/adapter"))).isFalse();
    // only a LoRA reward model can start from an adapter
    assertThatThrownBy(() -> recipe("bad_f", "adapter_name_or_path=" + sft, "finetuning_type=full"))
        .hasMessageContaining("adapter_name_or_path needs finetuning_type lora");
  }
}
