"""Chat templates render byte-identically to transformers' apply_chat_template.

Templates: the chat_template of each npm tokenizer package and every trl/chat_templates/*.jinja; each
over the conversations in chat_cases.CONVERSATIONS (system, multi-turn, tools, tool calls, reasoning,
add_generation_prompt, and role orders some templates reject). Where transformers raises, align4j must
raise too. All renderings go through one `align4j chat-template` JVM. One result line per template:
max_diff = number of conversations that differ.
"""
import json
import sys

from transformers import AutoTokenizer

import chat_cases as cc
from a4j import WORK, report

GENERIC_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}   # families without a tokenizer here


def first_diff(a, b):
    i = next((k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b)))
    return f"@{i}: hf {a[max(0, i - 20):i + 40]!r} vs a4j {b[max(0, i - 20):i + 40]!r}"


def main():
    toks = cc.tokenizers()
    hf = {name: AutoTokenizer.from_pretrained(str(d)) for name, d in toks.items()}
    jobs = []   # (template label, conversation name, expected, request)
    for name, d in toks.items():
        if not hf[name].chat_template:
            cc.log(f"npm:{name} ships no chat template")
            continue
        for conv, (msgs, gen, tools, kw) in cc.CONVERSATIONS.items():
            expected = cc.hf_render(hf[name], None, msgs, gen, tools, kw)
            jobs.append((f"npm:{name}", conv, expected, cc.request(msgs, gen, tools, kw, tokenizer=str(d))))
    for tname, path in cc.trl_templates().items():
        source = path.read_text(encoding="utf-8")
        fam = cc.family_tokenizer(tname, toks)
        special = {} if fam != "qwen3" or tname.startswith("qwen") else GENERIC_SPECIAL
        for conv, (msgs, gen, tools, kw) in cc.CONVERSATIONS.items():
            expected = cc.hf_render(hf[fam], source, msgs, gen, tools, kw, special)
            jobs.append((f"trl:{tname}", conv, expected,
                         cc.request(msgs, gen, tools, kw, tokenizer=str(toks[fam]), template=str(path),
                                    special_tokens=special)))
    cc.log(f"{len(jobs)} renderings by transformers; running align4j")
    with open(WORK / "chat_template.jobs.json", "w", encoding="utf-8") as f:   # for debugging
        json.dump(jobs, f, ensure_ascii=False)
    got = cc.run_align4j_chat([j[3] for j in jobs], WORK, "chat_template")
    by_template = {}
    for (label, conv, (kind, exp), _), row in zip(jobs, got):
        ok, why = True, ""
        if kind == "error":
            ok = "error" in row
            why = "" if ok else f"hf raised {exp[:120]!r}, a4j rendered"
        elif "error" in row:
            ok, why = False, f"a4j raised {row['error'][:200]!r}"
        elif row["text"] != exp:
            ok, why = False, first_diff(exp, row["text"])
        if not ok:
            cc.log(f"MISMATCH {label} {conv}: {why}")
        by_template.setdefault(label, []).append((conv, ok, kind))
    all_ok = True
    for label, results in by_template.items():
        bad = [c for c, ok, _ in results if not ok]
        raised = sum(1 for _, _, k in results if k == "error")
        detail = (f"{len(results) - len(bad)}/{len(results)} identical ({raised} raise in transformers)"
                  + (f"; differ: {', '.join(bad)}" if bad else ""))
        all_ok &= report(f"chat_template {label}", len(bad), 0, detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
