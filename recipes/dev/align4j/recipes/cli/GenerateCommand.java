package dev.align4j.recipes.cli;

import ai.djl.ndarray.NDManager;
import dev.align4j.peft.adapter.PeftAdapters;
import dev.align4j.peft.generate.Completion;
import dev.align4j.peft.generate.GenerationConfig;
import dev.align4j.peft.generate.Generator;
import dev.align4j.peft.model.PretrainedModel;
import dev.align4j.peft.tokenizer.ChatMessage;
import dev.align4j.peft.tokenizer.ChatTemplate;
import dev.align4j.peft.tokenizer.Tokenizer;
import dev.align4j.peft.torch.Torch;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code align4j generate}: complete a prompt, or chat turn by turn through the chat template. */
@Command(name = "generate", description = "Generate text from a prompt, chat (--chat reads user turns from stdin), or answer a JSONL file of requests, each under the adapter it names (--input).")
public final class GenerateCommand implements Callable<Integer> {
  @Mixin ModelOptions options;
  @Mixin AdapterOptions adapterOptions;

  static final class Mode {
    @Option(names = "--prompt", description = "raw text to continue") String prompt;
    @Option(names = "--chat", description = "chat through the tokenizer's chat template; one user turn per stdin line") boolean chat;
    @Option(names = "--input", paramLabel = "F.jsonl", description = "one request per line: {\"prompt\": ...} or {\"messages\": [...]},"
        + " with \"adapter\": NAME (--adapter NAME=DIR), null (the base model) or absent (the default); one JSON answer per line")
    Path input;
  }

  @ArgGroup(exclusive = true, multiplicity = "1") Mode mode;

  @Option(names = "--system", description = "system message for --chat") String system;
  @Option(names = "--max-new-tokens", defaultValue = "64") int maxNewTokens;
  @Option(names = "--do-sample", description = "sample instead of greedy decoding") boolean doSample;
  @Option(names = "--temperature", defaultValue = "1.0") double temperature;
  @Option(names = "--top-k", defaultValue = "0") int topK;
  @Option(names = "--top-p", defaultValue = "1.0") double topP;
  @Option(names = "--min-p", defaultValue = "0") double minP;
  @Option(names = "--repetition-penalty", defaultValue = "1.0") double repetitionPenalty;
  @Option(names = "--seed", defaultValue = "0") long seed;

  @Override
  public Integer call() throws Exception {
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    try (NDManager m = Torch.newManager(options.device());
        PretrainedModel pm = options.load(m);
        Tokenizer tok = options.tokenizerFor(pm)) {
      PeftAdapters.Applied applied = adapterOptions.apply(pm.model());
      GenerationConfig cfg = new GenerationConfig(maxNewTokens, doSample, temperature, topK, topP, minP, repetitionPenalty, seed,
          tok.eosIds(), List.of(), tok.padId().orElse(tok.eosIds().length > 0 ? tok.eosIds()[0] : 0));
      Generator gen = new Generator(pm.model());
      if (mode.input != null) {
        GenerateRequests.run(mode.input, gen, cfg, tok, applied, adapterOptions.byName().keySet(),
            adapterOptions.defaultName(), out);
        return 0;
      }
      if (mode.prompt != null) {
        long[] ids = tok.encode(mode.prompt, true);
        Completion c = gen.generate(List.of(ids), cfg, null).get(0);
        out.println(mode.prompt + tok.decode(c.tokens(), true));
        return 0;
      }
      ChatTemplate template = tok.chatTemplate().orElseThrow(() -> new IllegalArgumentException(
          options.model + "/tokenizer_config.json has no chat_template; use --prompt"));
      List<ChatMessage> chat = new ArrayList<>();
      if (system != null) {
        chat.add(new ChatMessage("system", system));
      }
      BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      String line;
      out.print("user> ");
      while ((line = in.readLine()) != null) {
        if (line.isBlank()) {
          out.print("user> ");
          continue;
        }
        chat.add(new ChatMessage("user", line));
        long[] ids = tok.encode(template.render(chat, true), false);
        Completion c = gen.generate(List.of(ids), cfg, null).get(0);
        String reply = tok.decode(c.tokens(), true);
        chat.add(new ChatMessage("assistant", reply));
        out.println("assistant> " + reply);
        out.print("user> ");
      }
      out.println();
    }
    return 0;
  }
}
