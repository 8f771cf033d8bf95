"""Goldens made by the real transformers (not a Jinja2 mirror), for TransformersGoldenTest.

Run from the repository root with the interop venv (interop/install.sh prints its python):
    PYTHONPATH=interop/lib TRANSFORMERS_OFFLINE=1 $PY src/test/resources/chat/make_transformers_goldens.py

Writes src/test/resources/chat/goldens/transformers.json:
- "ids": AutoTokenizer(text, add_special_tokens=...) for the committed npm tokenizers (Qwen3, Llama 3.1,
  DeepSeek-V3 loaded with its checkpoint's model_type, see interop/lib/chat_cases.py) over the interop
  corpus; DeepSeek-V3 only without special tokens (with them align4j prepends BOS on purpose);
- "renders": apply_chat_template(tokenize=False) of a sample of trl's chat templates (sources embedded;
  trl is Apache-2.0) over every interop conversation, or the error transformers raised. The sample covers
  each Jinja feature align4j had to add: Python `+` raising on str + dict (deepseekv3), strings being
  iterable (llama3_1), CRLF sources (glm4moe_training), line-start-only lstrip_blocks (idefics3_training),
  recursive macros (gemma4), `for ... if` filters, `|items`, loop.previtem/nextitem (nemotron_3_nano,
  qwen3_8), and the common families (qwen3, qwen2_5, phi3, gemma, cohere, gptoss, llama3).
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
sys.path.insert(0, str(ROOT / "interop" / "lib"))
sys.path.insert(0, str(ROOT / "interop" / "checks"))
import os  # noqa: E402
os.environ.setdefault("ALIGN4J_INTEROP_WORK", "/tmp/a4j-goldens")

import transformers  # noqa: E402
from transformers import AutoTokenizer  # noqa: E402

import chat_cases as cc  # noqa: E402
from check_tokenizer import CORPUS  # noqa: E402

SAMPLE = ["deepseekv3", "llama3_1", "glm4moe_training", "idefics3_training", "gemma4", "nemotron_3_nano",
          "qwen3_8", "qwen3", "qwen2_5", "phi3", "gemma", "cohere", "gptoss", "llama3"]
GENERIC_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}
COMMITTED_PATHS = {"qwen3": "recipes/assets/tokenizers/qwen3", "llama3_1": "src/test/resources/tokenizers/llama3_1",
                   "deepseek_v3": "src/test/resources/tokenizers/deepseek_v3"}


def main():
    cc.FETCHED = ()   # only the committed tokenizers
    toks = cc.tokenizers()
    hf = {n: AutoTokenizer.from_pretrained(str(d)) for n, d in toks.items()}
    ids = []
    for name in ("qwen3", "llama3_1", "deepseek_v3"):
        for special in ((False,) if name == "deepseek_v3" else (True, False)):
            ids.append({"tokenizer": COMMITTED_PATHS[name], "add_special_tokens": special,
                        "ids": [hf[name](t, add_special_tokens=special)["input_ids"] for t in CORPUS]})
    templates = cc.trl_templates()
    renders = []
    for tname in SAMPLE:
        source = templates[tname].read_text(encoding="utf-8")
        fam = cc.family_tokenizer(tname, toks)
        special = dict(GENERIC_SPECIAL) if fam == "qwen3" and not tname.startswith("qwen") else {}
        tokens = {k: v for k, v in hf[fam].special_tokens_map.items() if isinstance(v, str)}
        tokens.update(special)
        cases = []
        for conv, (msgs, gen, tools, kw) in cc.CONVERSATIONS.items():
            kind, value = cc.hf_render(hf[fam], source, msgs, gen, tools, kw, special)
            cases.append({"name": conv, "messages": msgs, "add_generation_prompt": gen, "tools": tools,
                          "kwargs": kw, kind: value})
        renders.append({"template": tname, "source": source, "special_tokens": tokens, "cases": cases})
    doc = {"transformers_version": transformers.__version__, "fixed_date": cc.FIXED_DATE.isoformat(),
           "corpus": CORPUS, "ids": ids, "renders": renders}
    out = Path(__file__).resolve().parent / "goldens" / "transformers.json"
    out.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(out, len(renders), "templates", sum(len(r["cases"]) for r in renders), "renders")


if __name__ == "__main__":
    main()
