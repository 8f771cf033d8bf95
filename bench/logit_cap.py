"""Why LoRA alone cannot sharpen the demo policy's risk level (issue 12; bench/DEMO-TUNING.md, session 5).

The demo model ties its embeddings: logits = E (g * h / rms(h)), with E the embedding table and g the final
RMSNorm's gain. LoRA on the linear layers changes h only, and the norm fixes ||h / rms(h)|| = sqrt(H), so the
largest probability any LoRA policy can give a token at temperature 1 is max over unit-RMS h of softmax(E (g * h)),
whatever it learns. This script computes that cap for the four risk-level tokens (and two others) by gradient
ascent over h, with the base's gain and, given a trained adapter that carries a copy of model.norm (PEFT
modules_to_save, `additional_target: model.norm`), with that copy; and, for a policy adapter, the probability it
gives the gold level at the report's level position (gold prefix) on the held-out alerts.

    $(interop/install.sh | tail -1) bench/logit_cap.py [--demo runs/demo] [--adapter DIR]...

Prints one JSON line per row on stdout.
"""
import argparse
import json
import os
import statistics
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpo_trl_side_by_side as g  # noqa: E402

TOKENS = ["低", "中", "高", "严", "恶", "；"]


def caps(E, gain, ids, steps=3000):
    """max_h softmax(E (gain * h))[t] over h with rms(h) = 1, per token id, by Adam on an unconstrained x."""
    out = {}
    d = E.shape[1]
    torch.manual_seed(0)
    for name, t in ids.items():
        x = torch.randn(d, requires_grad=True)
        opt = torch.optim.Adam([x], lr=0.05)
        for _ in range(steps):
            h = x / x.norm() * d ** 0.5
            loss = -torch.log_softmax(E @ (gain * h), -1)[t]
            opt.zero_grad()
            loss.backward()
            opt.step()
        out[name] = round(float(torch.exp(-loss)), 4)
    return out


def gold_level_probs(demo, adapter):
    tok = g.load_tokenizer(demo)
    model = g.load_policy(demo, adapter).eval()
    levels = ["低", "中", "高", "严"]
    lid = [tok.convert_tokens_to_ids(c) for c in levels]
    pg, right = [], 0
    for r in g.records(os.path.join(demo, "data/val.jsonl")):
        out = r["output"]
        i = out.index("风险等级：") + len("风险等级：")
        ids = tok(g.render(tok, r) + out[:i], add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            logits = model(ids).logits[0, -1]
        pg.append(float(torch.softmax(logits, -1)[tok.convert_tokens_to_ids(out[i])]))
        right += int(levels[int(logits[lid].argmax())] == out[i])
    return {"p_gold_mean": round(statistics.mean(pg), 4), "p_gold_max": round(max(pg), 4),
            "argmax_right": round(right / len(pg), 4), "alerts": len(pg)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--demo", default="runs/demo")
    ap.add_argument("--adapter", action="append", default=[])
    a = ap.parse_args()
    sd = load_file(os.path.join(a.demo, "pt/model/model.safetensors"))
    E, gain = sd["model.embed_tokens.weight"], sd["model.norm.weight"]
    vocab = json.load(open(os.path.join(a.demo, "pt/model/tokenizer.json")))["model"]["vocab"]
    ids = {c: vocab[c] for c in TOKENS}
    print(json.dumps({"gain": "base model.norm", "mean_gain": round(float(gain.mean()), 4), "caps_T1": caps(E, gain, ids)},
                     ensure_ascii=False))
    print(json.dumps({"gain": "2 x base model.norm", "caps_T1": caps(E, 2 * gain, ids)}, ensure_ascii=False))
    for adapter in [os.path.join(a.demo, "sft/adapter")] + a.adapter:
        row = {"adapter": adapter, **gold_level_probs(a.demo, adapter)}
        w = load_file(os.path.join(adapter, "adapter_model.safetensors"))
        copy = w.get("base_model.model.model.norm.weight")
        if copy is not None:
            row["mean_gain_ratio"] = round(float((copy / gain).mean()), 4)
            row["caps_T1"] = caps(E, copy, ids)
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()
