package dev.align4j.sft;

import dev.align4j.peft.tokenizer.ChatTemplate;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Named chat templates for base models whose tokenizer has none, written as Jinja like the
 * tokenizers' own, so rendering and assistant masks go through the same code. Each assistant turn
 * ends with the tokenizer's EOS (or the format's end-of-turn token), which is trained.
 */
public enum BuiltinTemplate {
  /** Stanford Alpaca / LLaMA-Factory "alpaca": {@code ### Instruction:} ... {@code ### Response:}. */
  ALPACA("{%- if messages[0]['role'] == 'system' %}{{- messages[0]['content'] + '\\n\\n' }}{%- endif %}"
      + "{%- for m in messages %}{%- if m['role'] == 'user' %}"
      + "{{- '### Instruction:\\n' + m['content'] + '\\n\\n### Response:\\n' }}"
      + "{%- elif m['role'] == 'assistant' %}{{- m['content'] + eos_token + '\\n\\n' }}{%- endif %}{%- endfor %}"),
  /** ChatML ({@code <|im_start|>role ... <|im_end|>}). */
  CHATML("{%- for m in messages %}{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' + '\\n' }}"
      + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"),
  /** ChatML with Qwen2.5's default system message. */
  QWEN("{%- if messages[0]['role'] != 'system' %}{{- '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}"
      + "{%- endif %}{%- for m in messages %}"
      + "{{- '<|im_start|>' + m['role'] + '\\n' + m['content'] + '<|im_end|>' + '\\n' }}"
      + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"),
  /** Llama 3 headers with {@code <|eot_id|>}. */
  LLAMA3("{{- bos_token }}{%- for m in messages %}"
      + "{{- '<|start_header_id|>' + m['role'] + '<|end_header_id|>\\n\\n' + m['content'] | trim + '<|eot_id|>' }}"
      + "{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{%- endif %}");

  private final String source;

  BuiltinTemplate(String source) {
    this.source = source;
  }

  /** The Jinja source. */
  public String source() {
    return source;
  }

  /** The template with the tokenizer's special tokens bound. */
  public ChatTemplate template(Map<String, String> specialTokens) {
    return ChatTemplate.of(source, specialTokens);
  }

  /** The names a recipe's {@code template} key accepts, as {@code alpaca|chatml|...}, for error messages. */
  public static String choices() {
    return Arrays.stream(values()).map(t -> t.name().toLowerCase(Locale.ROOT)).collect(Collectors.joining("|"));
  }

  /** The template named {@code name} (alpaca, chatml, qwen, llama3), or an error listing them. */
  public static BuiltinTemplate parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("unknown template '" + name + "' (alpaca, chatml, qwen, llama3, or empty for the tokenizer's own)");
    }
  }
}
