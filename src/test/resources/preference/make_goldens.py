"""Goldens for the preference data layer, made by TRL 1.13's own code (run with /tmp/hfref/bin/python or the
interop venv from the repository root):

    python src/test/resources/preference/make_goldens.py

Writes, next to this script:
- the input files pairs_text.jsonl, pairs_text_implicit.jsonl, pairs_chat.jsonl, pairs_chat_implicit.jsonl,
  unpaired_text.jsonl, unpaired_chat.jsonl (each record has an "id" kept as an extra column);
- extract_prompt.json: chosen/rejected cases and what trl.data_utils.extract_prompt returns;
- goldens.json: per tokenizer (the committed Qwen3 and Llama 3.1) and input file, the ids that
  RewardTrainer._prepare_dataset, DPOTrainer._prepare_dataset and KTOTrainer._prepare_dataset produce (no
  max_length), and with max_length=CUT which rows survive their filters and what DPO's
  DataCollatorForPreference / KTO's collator keep (keep_start).

The trainers' _prepare_dataset methods run unbound on a stand-in `self` (DPO and KTO read self._tokenizer,
KTO self.calculate_KL), so no model is loaded.
"""
import json
import sys
from pathlib import Path
from types import SimpleNamespace

from datasets import Dataset, disable_progress_bars
from transformers import AutoTokenizer
from trl.data_utils import extract_prompt
from trl.trainer.dpo_trainer import DataCollatorForPreference, DPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.trainer.reward_trainer import RewardTrainer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
TOKENIZERS = {"qwen3": ROOT / "recipes/assets/tokenizers/qwen3", "llama3_1": HERE.parent / "tokenizers/llama3_1"}
CUT = 24

SYS = {"role": "system", "content": "你是安全分析助手。"}


def u(s):
    return {"role": "user", "content": s}


def a(s):
    return {"role": "assistant", "content": s}


INPUTS = {
    "pairs_text": [
        {"id": "t0", "prompt": "The sky is", "chosen": " blue.", "rejected": " green."},
        {"id": "t1", "prompt": "告警：主机 10.0.0.8 多次登录失败。\n报告：", "chosen": "事件类型：暴力破解；风险等级：高",
         "rejected": "事件类型：恶意软件；风险等级：低", "margin": 1.5},
        {"id": "t2", "prompt": "Emoji 😀 test:", "chosen": " 👍🏽 fine<|im_end|>", "rejected": " 🇫🇷 not fine"},
        {"id": "t3", "prompt": "Write a long answer about why the sky appears blue during the day and red at sunset.",
         "chosen": " Rayleigh scattering favours short wavelengths, so blue light is scattered across the sky "
                   "while the long path at sunset leaves mostly red.", "rejected": " Because it is."},
    ],
    "pairs_text_implicit": [
        {"id": "i0", "chosen": "Q: 2+2? A: 4", "rejected": "Q: 2+2? A: 5"},
        {"id": "i1", "chosen": "Question: capital of France?\nAnswer: Paris", "rejected": "Question: capital of France?\nAnswer: Rome"},
        {"id": "i2", "chosen": "abc", "rejected": "abcd"},
        {"id": "i3", "chosen": "风险等级：高", "rejected": "风险等级：低"},
    ],
    "pairs_chat": [
        {"id": "c0", "prompt": [u("What color is the sky?")], "chosen": [a("It is blue.")], "rejected": [a("It is green.")]},
        {"id": "c1", "prompt": [SYS, u("告警：主机 10.0.0.8 多次登录失败。")], "chosen": [a("事件类型：暴力破解；风险等级：高")],
         "rejected": [a("事件类型：恶意软件；风险等级：低")], "margin": 0.5},
        {"id": "c2", "prompt": [u("Hi"), a("Hello! How can I help?"), u("Tell me a joke about databases, a long one please.")],
         "chosen": [a("A SQL query walks into a bar, walks up to two tables and asks: may I join you? The tables "
                      "agree, and the query orders a round for every row.")], "rejected": [a("No.")]},
    ],
    "pairs_chat_implicit": [
        {"id": "m0", "chosen": [u("What color is the sky?"), a("It is blue.")],
         "rejected": [u("What color is the sky?"), a("It is green.")]},
        {"id": "m1", "chosen": [SYS, u("告警：登录失败"), a("事件类型：暴力破解")],
         "rejected": [SYS, u("告警：登录失败"), a("事件类型：端口扫描")]},
    ],
    "unpaired_text": [
        {"id": "k0", "prompt": "The sky is", "completion": " blue.", "label": True},
        {"id": "k1", "prompt": "The sky is", "completion": " green.", "label": False},
        {"id": "k2", "prompt": "告警：主机多次登录失败。\n报告：", "completion": "事件类型：暴力破解；风险等级：高。这是一段很长的补充说明，用来测试截断。",
         "label": True},
    ],
    "unpaired_chat": [
        {"id": "q0", "prompt": [u("What color is the sky?")], "completion": [a("It is blue.")], "label": True},
        {"id": "q1", "prompt": [SYS, u("告警：登录失败")], "completion": [a("事件类型：端口扫描")], "label": False},
    ],
}

EXTRACT_CASES = [
    ["Q: 2+2? A: 4", "Q: 2+2? A: 5"],          # differ after a space: the space goes to the completions
    ["The sky is blue", "The sky is green"],
    ["abc", "abcd"],                           # prefix: TRL's loop ends at n-1
    ["same", "same"],                          # equal: idem
    ["x", "y"],                                # differ at 0, no space before
    ["风险等级：高", "风险等级：低"],
    ["😀😀a", "😀😀b"],                         # code points, not UTF-16 units
    ["a\nb c", "a\nb d"],
    [[u("q"), a("yes")], [u("q"), a("no")]],
    [[SYS, u("q"), a("yes")], [SYS, u("q"), a("no")]],
    [[u("q"), a("yes")], [u("q"), a("yes"), u("more"), a("ok")]],   # prefix of messages
    [[u("q1"), a("yes")], [u("q2"), a("yes")]],                      # differ at the first message
]


def rows(name):
    return [dict(r) for r in INPUTS[name]]


def prepare(trainer, name, tok, max_length):
    self = SimpleNamespace(_tokenizer=tok, calculate_KL=False, desirable_weight=1.0, undesirable_weight=1.0)
    args = SimpleNamespace(dataset_num_proc=None, max_length=max_length, truncation_mode="keep_start")
    ds = trainer._prepare_dataset(self, Dataset.from_list(rows(name)), tok, args, "train")
    return [dict(r) for r in ds]


def main():
    disable_progress_bars()
    for name, records in INPUTS.items():
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in records:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")
    extract = [{"chosen": c, "rejected": r, "expected": extract_prompt({"chosen": c, "rejected": r})}
               for c, r in EXTRACT_CASES]
    (HERE / "extract_prompt.json").write_text(json.dumps(extract, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    goldens = {}
    for tname, tdir in TOKENIZERS.items():
        tok = AutoTokenizer.from_pretrained(str(tdir))
        pad = tok.pad_token_id if tok.pad_token_id is not None else 0
        per = {}
        for name in INPUTS:
            out = {}
            if name.startswith("pairs"):
                out["rm"] = [{"id": r["id"], "chosen_ids": r["chosen_ids"], "rejected_ids": r["rejected_ids"]}
                             for r in prepare(RewardTrainer, name, tok, None)]
                out["dpo"] = [{"id": r["id"], "prompt_ids": r["prompt_ids"], "chosen_ids": r["chosen_ids"],
                               "rejected_ids": r["rejected_ids"]} for r in prepare(DPOTrainer, name, tok, None)]
                out["rm_cut"] = [r["id"] for r in prepare(RewardTrainer, name, tok, CUT)]
                dpo_cut = prepare(DPOTrainer, name, tok, CUT)
                coll = DataCollatorForPreference(pad_token_id=pad, max_length=CUT)
                out["dpo_cut"] = []
                for r in dpo_cut:   # one row per batch: the collator's truncation
                    b = coll([{k: r[k] for k in ("prompt_ids", "chosen_ids", "rejected_ids")}])
                    n = b["attention_mask"].sum(dim=1).tolist()   # chosen and rejected share the padding
                    out["dpo_cut"].append({"id": r["id"], "chosen_input_ids": b["input_ids"][0][:n[0]].tolist(),
                                           "rejected_input_ids": b["input_ids"][1][:n[1]].tolist(),
                                           "chosen_completion_mask": b["completion_mask"][0][:n[0]].tolist(),
                                           "rejected_completion_mask": b["completion_mask"][1][:n[1]].tolist()})
            out["kto"] = [{"id": r["id"], "label": r["label"], "prompt_ids": r["prompt_ids"],
                           "completion_ids": r["completion_ids"]} for r in prepare(KTOTrainer, name, tok, None)]
            out["kto_cut"] = [r["id"] + ("+" if r["label"] else "-") for r in prepare(KTOTrainer, name, tok, CUT)]
            per[name] = out
        goldens[tname] = per
        print(tname, "eos", repr(tok.eos_token), file=sys.stderr)
    (HERE / "goldens.json").write_text(json.dumps({"cut": CUT, "tokenizers": goldens}) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
