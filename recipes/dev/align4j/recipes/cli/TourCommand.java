package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.AttentionImpl;
import dev.align4j.peft.model.ModelConfig;
import dev.align4j.peft.model.ModelFamily;
import dev.align4j.peft.model.ModelInput;
import dev.align4j.peft.model.ModelLoader;
import dev.align4j.peft.model.ModelSaver;
import dev.align4j.peft.model.Precision;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.model.TinyCheckpoint;
import dev.align4j.peft.tokenizer.AssistantMasker;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.TokenizedChat;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code align4j tour}: the foundation end to end on the embedded default, with no downloads: a tiny
 * Qwen3-shaped model with the real Qwen3 tokenizer is created, rendered through its chat template,
 * run forward in float32 and bfloat16, generated from with a KV cache, saved and reloaded bit for bit.
 */
@Command(name = "tour", description = "The foundation end to end on a tiny Qwen3-shaped model with the real Qwen3 tokenizer (no downloads).")
public final class TourCommand implements Callable<Integer> {
  @Option(names = "--out", defaultValue = "runs/tour", description = "working directory (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--seed", defaultValue = "0") long seed;
  @picocli.CommandLine.Mixin DeviceOption device;

  @Override
  public Integer call() throws Exception {
    Path tokDir = Path.of("recipes/assets/tokenizers/qwen3");
    if (!Files.exists(tokDir.resolve("tokenizer.json"))) {
      throw new IllegalStateException(tokDir + "/tokenizer.json missing: run the demo from the repository root");
    }
    Path modelDir = out.resolve("tiny-qwen3");
    Path resaved = out.resolve("tiny-qwen3-resaved");
    try (Tokenizer tok = Tokenizer.load(tokDir); NDManager m = Torch.newManager(device.device())) {
      System.out.println("1. tiny Qwen3-shaped checkpoint with the real Qwen3 tokenizer -> " + modelDir);
      ModelConfig c = new ModelConfig(ModelFamily.QWEN3, tok.vocabSize(), 64, 160, 2, 4, 2, 16, 1e-6, 1e6, null,
          4096, true, false, "bfloat16");
      ObjectNode gen = JsonNodeFactory.instance.objectNode();
      gen.put("eos_token_id", tok.eosIds()[0]);
      TinyCheckpoint.write(modelDir, c, seed, tokDir, Optional.of(gen), m);
      System.out.printf("   %s, %,d parameters, stored as bfloat16%n", c.architectureName(), c.parameterCount());

      List<ChatMessage> chat = List.of(
          new ChatMessage("system", "你是安全监控分析助手。"),
          new ChatMessage("user", "主机 web-03 检测到来自 45.13.7.9 的 SSH 登录失败 327 次。"),
          new ChatMessage("assistant", "事件类型：暴力破解；风险等级：高；建议：封禁来源IP并启用多因素认证"));
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          tokDir.resolve("tokenizer_config.json") + " has no chat_template"));
      TokenizedChat tc = new AssistantMasker(tok, template).tokenize(chat);
      System.out.printf("2. chat template: %d tokens, %d of them written by the assistant (trained in SFT)%n",
          tc.ids().length, tc.assistantTokenCount());

      float[] f32;
      try (PretrainedModel pm = ModelLoader.load(modelDir, Precision.FLOAT32, AttentionImpl.COMPOSED, m)) {
        f32 = pm.model().logits(ModelInput.of(m, new long[][] {tc.ids()})).toFloatArray();
        ModelSaver.save(pm.model(), pm.configJson(), pm.generationConfig(), resaved, ModelSaver.DEFAULT_MAX_SHARD_BYTES);
      }
      try (PretrainedModel pm = ModelLoader.load(modelDir, Precision.BFLOAT16, AttentionImpl.FUSED, m)) {
        float[] bf = pm.model().logits(ModelInput.of(m, new long[][] {tc.ids()})).toFloatArray();
        double maxDiff = 0;
        for (int i = 0; i < f32.length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(f32[i] - bf[i]));
        }
        System.out.printf("3. forward over the chat: float32/composed vs bfloat16/fused attention, max |diff| %.4f%n", maxDiff);

        long[] prompt = tok.encode(template.render(chat.subList(0, 2), true), false);
        Generator g = new Generator(pm.model());
        Completion greedy = g.generate(List.of(prompt), GenerationConfig.greedy(12, tok.eosIds()), null).get(0);
        Completion sampled = g.generate(List.of(prompt),
            GenerationConfig.sampling(12, 0.8, 50, 0.95, seed, tok.eosIds()), null).get(0);
        System.out.println("4. generation with a KV cache (random weights, so the text is noise):");
        System.out.println("   greedy : " + oneLine(tok.decode(greedy.tokens(), true)) + "  [" + greedy.reason() + "]");
        System.out.println("   sampled: " + oneLine(tok.decode(sampled.tokens(), true)) + "  [" + sampled.reason() + "]");
      }
      boolean same = Arrays.equals(Files.readAllBytes(modelDir.resolve("model.safetensors")),
          Files.readAllBytes(resaved.resolve("model.safetensors")));
      System.out.println("5. load -> save round trip bit-exact: " + same);
      System.out.println("Next: ./align4j info --model " + modelDir + "   |   ./align4j generate --model " + modelDir + " --chat");
      return same ? 0 : 1;
    }
  }

  private static String oneLine(String s) {
    return s.replace("\n", "\\n");
  }
}
