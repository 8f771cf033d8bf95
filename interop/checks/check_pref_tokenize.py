"""Preference data tokenised by `align4j data pairs` equals TRL 1.13's own dataset preparation.

For the committed Qwen3 tokenizer and every input (text pairs with and without prompt, conversational
pairs with and without prompt, multi-turn pairs, KTO unpaired text and chat), and for Llama 3.1 and
Gemma 3 (when npm fetched it) on a few of them: `align4j data pairs --for rm,dpo,kto` vs RewardTrainer /
DPOTrainer / KTOTrainer._prepare_dataset run unbound on the same tokenizer files (no model). With
--cutoff-len (Qwen3): RewardTrainer's max_length filter vs `--overlong drop`, and DPOTrainer's filter +
DataCollatorForPreference truncation vs `--overlong truncate --truncation keep_start`. max_diff = rows
whose ids differ (or rows missing on either side).
"""
import importlib.util
import json
import sys
from types import SimpleNamespace

from datasets import Dataset, disable_progress_bars
from transformers import AutoTokenizer
from trl.trainer.dpo_trainer import DataCollatorForPreference, DPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.trainer.reward_trainer import RewardTrainer

import chat_cases as cc
from a4j import WORK, cli, report

spec = importlib.util.spec_from_file_location("pref_goldens", cc.ROOT / "src/test/resources/preference/make_goldens.py")
pg = importlib.util.module_from_spec(spec)
spec.loader.exec_module(pg)

u, a = pg.u, pg.a
INPUTS = dict(pg.INPUTS)
INPUTS["pairs_chat_multiturn"] = [
    {"id": "mt0", "prompt": [u("Capital of France?"), a("Paris."), u("And of Italy?")], "chosen": [a("Rome.")],
     "rejected": [a("Milan.")]},
    {"id": "mt1", "prompt": [{"role": "system", "content": "Be brief."}, u("  你好，请介绍一下北京。 Ünïcödé ✓ 😀\n\n")],
     "chosen": [a("北京是中国的首都。\n\t它有很多名胜古迹 — «ça va».  ")], "rejected": [a("不知道。")]},
]
# a file of its own: TRL extracts the prompt only when the first row has none
INPUTS["pairs_chat_multiturn_implicit"] = [
    {"id": "mt2", "chosen": [u("What is 3*7?"), a("21"), u("And 4*5?"), a("20")],
     "rejected": [u("What is 3*7?"), a("21"), u("And 4*5?"), a("45")]},
]
CUTS = {"pairs_text": 20, "pairs_chat": 40}   # each keeps some rows and filters or cuts others
# Qwen3 on every input and at cutoff_len; the others on a text, an implicit-chat and an unpaired input (a JVM
# and a tokenizer load per input: the check stays within a few minutes on two busy cores)
TOKENIZERS = {"qwen3": None, "llama3_1": ("pairs_text", "pairs_chat_implicit", "unpaired_chat"),
              "gemma3": ("pairs_text_implicit", "pairs_chat")}


def trl_rows(trainer, name, tok, max_length):
    self = SimpleNamespace(_tokenizer=tok, calculate_KL=False, desirable_weight=1.0, undesirable_weight=1.0)
    args = SimpleNamespace(dataset_num_proc=None, max_length=max_length, truncation_mode="keep_start")
    rows = [dict(r) for r in INPUTS[name]]
    return [dict(r) for r in trainer._prepare_dataset(self, Dataset.from_list(rows), tok, args, "train")]


def a4j_rows(tname, tdir, path, stages, *extra):
    """stage -> rows written by one `align4j data pairs --for stages` run."""
    base = f"{path.stem}.{tname}.{'-'.join(stages)}{'.cut' if extra else ''}"
    out = WORK / "pref" / (base + ".jsonl" if len(stages) == 1 else base)
    cli("data", "pairs", path, "--model-or-tokenizer", tdir, "--for", ",".join(stages), "--out", out, *extra)
    files = {stages[0]: out} if len(stages) == 1 else {s: out / f"{s}.jsonl" for s in stages}
    return {s: [json.loads(line) for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
            for s, f in files.items()}


def compare(label, expected, got, keys):
    bad = 0
    for i in range(max(len(expected), len(got))):
        e = expected[i] if i < len(expected) else None
        g = got[i] if i < len(got) else None
        if e is None or g is None or any(e[k] != g[k] for k in keys):
            bad += 1
            if bad <= 2:
                cc.log(f"MISMATCH {label} row {i}:\n  trl {e and {k: e[k] for k in keys}}\n  a4j {g and {k: g[k] for k in keys}}")
    n = sum(len(e[k]) for e in expected for k in keys if isinstance(e[k], list))
    report(label, bad, 0, f"{len(expected) - bad}/{len(expected)} rows identical ({n} ids)")


def main():
    disable_progress_bars()
    toks = cc.tokenizers()
    folder = WORK / "pref"
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name, rows in INPUTS.items():
        path = folder / f"{name}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
        files[name] = path
    for tname in TOKENIZERS:
        if tname not in toks:
            cc.log(f"tokenizer {tname} not available, skipped")
            continue
        tdir = toks[tname]
        tok = AutoTokenizer.from_pretrained(str(tdir))
        for name, path in files.items():
            if TOKENIZERS[tname] is not None and name not in TOKENIZERS[tname]:
                continue
            paired = name.startswith("pairs")
            got = a4j_rows(tname, tdir, path, ["rm", "dpo", "kto"] if paired else ["kto"])
            if paired:
                exp = [{"id": r["id"], "chosen_ids": r["chosen_ids"], "rejected_ids": r["rejected_ids"]}
                       for r in trl_rows(RewardTrainer, name, tok, None)]
                compare(f"pairs {tname} {name} rm", exp, got["rm"], ("id", "chosen_ids", "rejected_ids"))
                exp = [{k: r[k] for k in ("id", "prompt_ids", "chosen_ids", "rejected_ids")}
                       for r in trl_rows(DPOTrainer, name, tok, None)]
                compare(f"pairs {tname} {name} dpo", exp, got["dpo"], ("id", "prompt_ids", "chosen_ids", "rejected_ids"))
            exp = [{k: r[k] for k in ("id", "label", "prompt_ids", "completion_ids")}
                   for r in trl_rows(KTOTrainer, name, tok, None)]
            compare(f"pairs {tname} {name} kto", exp, got["kto"], ("id", "label", "prompt_ids", "completion_ids"))
        if tname != "qwen3":
            continue
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        for name, cut in CUTS.items():
            kept = [{"id": r["id"]} for r in trl_rows(RewardTrainer, name, tok, cut)]
            got = a4j_rows(tname, tdir, files[name], ["rm"], "--cutoff-len", cut, "--overlong", "drop")["rm"]
            compare(f"pairs {tname} {name} rm max_length={cut} filter", kept, got, ("id",))
            coll = DataCollatorForPreference(pad_token_id=pad, max_length=cut)
            exp = []
            for r in trl_rows(DPOTrainer, name, tok, cut):
                b = coll([{k: r[k] for k in ("prompt_ids", "chosen_ids", "rejected_ids")}])
                n = b["attention_mask"].sum(dim=1).tolist()
                exp.append({"id": r["id"], "chosen": b["input_ids"][0][:n[0]].tolist(),
                            "rejected": b["input_ids"][1][:n[1]].tolist(),
                            "mask": b["completion_mask"][0][:n[0]].tolist() + b["completion_mask"][1][:n[1]].tolist()})
            got = [{"id": g["id"], "chosen": g["prompt_ids"] + g["chosen_ids"], "rejected": g["prompt_ids"] + g["rejected_ids"],
                    "mask": [0] * len(g["prompt_ids"]) + [1] * len(g["chosen_ids"]) + [0] * len(g["prompt_ids"])
                    + [1] * len(g["rejected_ids"])}
                   for g in a4j_rows(tname, tdir, files[name], ["dpo"], "--cutoff-len", cut, "--overlong", "truncate",
                                     "--truncation", "keep_start")["dpo"]]
            compare(f"pairs {tname} {name} dpo max_length={cut} filter+collator", exp, got, ("id", "chosen", "rejected", "mask"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
