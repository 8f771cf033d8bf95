#!/usr/bin/env python3
"""Golden chat-template renderings made by Jinja2 itself, configured as transformers configures it.

transformers (chat_template_utils._compile_jinja_template) uses
ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols]) with
a `tojson` filter (json.dumps, ensure_ascii=False), and globals `raise_exception` and `strftime_now`;
it renders with messages, tools=None, documents=None, add_generation_prompt and the special tokens.
The date is fixed so that the goldens are reproducible.

Usage (Debian's python3-jinja2): /usr/bin/python3 make_goldens.py  -> goldens/<tokenizer>.json
"""
import json
import os

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZERS = {
    "qwen3": os.path.join(HERE, "../../../../recipes/assets/tokenizers/qwen3"),
    "llama3_1": os.path.join(HERE, "../tokenizers/llama3_1"),
    "deepseek_v3": os.path.join(HERE, "../tokenizers/deepseek_v3"),
}
FIXED_DATE = "22 Nov 2026"

CONVERSATIONS = [
    {"name": "single_user", "add_generation_prompt": True,
     "messages": [{"role": "user", "content": "Hello!"}]},
    {"name": "system_user", "add_generation_prompt": True,
     "messages": [{"role": "system", "content": "You are a security analyst."},
                  {"role": "user", "content": "What is port scanning?"}]},
    {"name": "multi_turn_prompt", "add_generation_prompt": True,
     "messages": [{"role": "user", "content": "Hi"},
                  {"role": "assistant", "content": "Hello, how can I help?"},
                  {"role": "user", "content": "  Summarise this alert.  "}]},
    {"name": "multi_turn_final_assistant", "add_generation_prompt": False,
     "messages": [{"role": "system", "content": "Be brief."},
                  {"role": "user", "content": "One?"},
                  {"role": "assistant", "content": "1"},
                  {"role": "user", "content": "Two?"},
                  {"role": "assistant", "content": "2"}]},
    {"name": "chinese", "add_generation_prompt": False,
     "messages": [{"role": "user", "content": "分析以下监控告警：主机 web-03 检测到 SSH 登录失败 327 次。"},
                  {"role": "assistant", "content": "事件类型：暴力破解；风险等级：高；建议：封禁来源IP"}]},
    {"name": "reasoning", "add_generation_prompt": False,
     "messages": [{"role": "user", "content": "2+2?"},
                  {"role": "assistant", "content": "<think>\nadd them\n</think>\n\n4"},
                  {"role": "user", "content": "3+3?"},
                  {"role": "assistant", "content": "<think>\nagain\n</think>\n\n6"}]},
]


def token_text(v):
    if isinstance(v, dict):
        return v.get("content")
    return v


def raise_exception(message):
    raise ValueError(message)


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = lambda x, indent=None, separators=None, sort_keys=False: json.dumps(
        x, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: FIXED_DATE
    os.makedirs(os.path.join(HERE, "goldens"), exist_ok=True)
    for name, folder in TOKENIZERS.items():
        with open(os.path.join(folder, "tokenizer_config.json"), encoding="utf-8") as f:
            cfg = json.load(f)
        template = env.from_string(cfg["chat_template"])
        special = {k: token_text(cfg.get(k)) for k in ("bos_token", "eos_token", "pad_token", "unk_token")
                   if token_text(cfg.get(k)) is not None}
        out = []
        for conv in CONVERSATIONS:
            text = template.render(messages=conv["messages"], tools=None, documents=None,
                                   add_generation_prompt=conv["add_generation_prompt"], **special)
            out.append(dict(conv, rendered=text))
        with open(os.path.join(HERE, "goldens", name + ".json"), "w", encoding="utf-8") as f:
            json.dump(out, f, ensure_ascii=False, indent=1)
        print(name, len(out))


if __name__ == "__main__":
    main()
