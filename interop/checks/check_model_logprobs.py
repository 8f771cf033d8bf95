"""Log-probs of `align4j logprobs` equal transformers' own forward, both ways.

In: llama, mistral, qwen2 and qwen3 checkpoints that transformers made and saved (random weights), in
the transformers 5 config layout as saved and rewritten to the transformers 4 layout, with every RoPE
type align4j supports; 96 tokens, past max_position_embeddings (dynamic) and
original_max_position_embeddings (llama3, yarn). float32: within 2e-5; bfloat16 (one case per family,
to keep the run short): within three times transformers' own bf16-vs-fp32 difference on the same
tokens (the noise floor of bf16 itself).
Out: `align4j tiny` checkpoints (written by ModelSaver) load in transformers and give align4j's
log-probs.
"""
import json
import sys

import torch

import hfmodels
from a4j import WORK, cli, report

SEQ = [(5 * i * i + 11 * i + 3) % 64 for i in range(96)]
SHORT = [1, 7, 3, 60, 22, 9, 41, 5]
LLAMA3 = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
          "high_freq_factor": 4.0, "original_max_position_embeddings": 16}
YARN = {"rope_type": "yarn", "rope_theta": 1000000.0, "factor": 4.0, "original_max_position_embeddings": 32}

# name: (family, rope_parameters, config layout, extra config)
CASES = {
    "llama_default": ("llama", {"rope_type": "default", "rope_theta": 500000.0}, "v5", {}),
    "llama_llama3": ("llama", LLAMA3, "v5", {}),
    "llama_llama3_v4": ("llama", LLAMA3, "v4", {}),
    "llama_linear_bias": ("llama", {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, "v5",
                          {"attention_bias": True, "mlp_bias": True}),
    "llama_dynamic": ("llama", {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, "v5", {"max_pos": 48}),
    "llama_yarn": ("llama", YARN, "v4-type", {}),
    "mistral_default": ("mistral", {"rope_type": "default", "rope_theta": 1000000.0}, "v5", {"sliding_window": None}),
    "mistral_window": ("mistral", {"rope_type": "default", "rope_theta": 10000.0}, "v4", {"sliding_window": 128}),
    "qwen2_tied": ("qwen2", {"rope_type": "default", "rope_theta": 1000000.0}, "v5", {"tie": True}),
    "qwen2_yarn": ("qwen2", YARN, "v4", {}),
    "qwen3_theta1e6": ("qwen3", {"rope_type": "default", "rope_theta": 1000000.0}, "v5", {"head_dim": 16}),
    "qwen3_theta1e6_v4": ("qwen3", {"rope_type": "default", "rope_theta": 1000000.0}, "v4", {"head_dim": 16}),
    "qwen3_dynamic": ("qwen3", {"rope_type": "dynamic", "rope_theta": 1000000.0, "factor": 3.0}, "v4",
                      {"max_pos": 40, "head_dim": 16}),
}


def a4j_logprobs(d, precision):
    inp = WORK / "ids.jsonl"
    inp.write_text("".join(json.dumps({"text": hfmodels.ids_text(ids)}) + "\n" for ids in (SEQ, SHORT)))
    out = cli("logprobs", "--model", d, "--input", inp, "--precision", precision, "--no-add-special-tokens")
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    for row, ids in zip(rows, (SEQ, SHORT)):
        assert row["ids"] == ids, f"tokenizer gave {row['ids'][:8]}..., expected {ids[:8]}..."
    return [row["token_logprobs"][1:] for row in rows]


def max_diff(a, b):
    return max(abs(x - y) for ra, rb in zip(a, b) for x, y in zip(ra, rb))


def compare(name, d, detail, bf16):
    ref32 = [hfmodels.logprobs(d, ids, torch.float32) for ids in (SEQ, SHORT)]
    got32 = a4j_logprobs(d, "float32")
    report(f"model/{name}/float32", max_diff(got32, ref32), 2e-5, detail)
    if not bf16:
        return
    m16 = hfmodels.load(d, torch.bfloat16)
    ref16 = [hfmodels.logprobs(d, ids, model=m16) for ids in (SEQ, SHORT)]
    got16 = a4j_logprobs(d, "bfloat16")
    floor = max_diff(ref16, ref32)
    report(f"model/{name}/bfloat16", max_diff(got16, ref16), max(3 * floor, 1e-3),
           f"{detail}; transformers' own bf16-vs-fp32 difference {floor:.3g}")


def main():
    bf16_done = set()
    for name, (family, rope, layout, extra) in CASES.items():
        try:
            d = str(WORK / name)
            extra = dict(extra)
            kw = {"max_pos": extra.pop("max_pos", 64), "head_dim": extra.pop("head_dim", None),
                  "tie": extra.pop("tie", False)}
            hfmodels.make(d, family, rope=rope, seed=len(name), scale=0.15, **kw, **extra)
            if layout.startswith("v4"):
                hfmodels.to_v4_layout(d, type_key="type" if layout == "v4-type" else "rope_type")
            hfmodels.word_tokenizer(d, 64)
            bf16 = family not in bf16_done and rope["rope_type"] != "default"
            bf16_done.add(family) if bf16 else None
            compare(f"{name}/{layout}", d, f"{family} {rope['rope_type']} theta {rope['rope_theta']:g}, {layout} config, "
                    f"transformers-made, {len(SEQ)} tokens", bf16 or (family == "mistral" and layout == "v4"))
        except Exception as e:  # one broken case must not hide the others
            report(f"model/{name}", float("nan"), 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)
    # out: align4j's own checkpoints (ModelSaver) in transformers
    tok = WORK / "tok256"
    tok.mkdir(exist_ok=True)
    hfmodels.word_tokenizer(str(tok), 256)
    for family in ("llama", "mistral", "qwen2", "qwen3"):
        try:
            d = WORK / f"tiny_{family}"
            cli("tiny", "--family", family, "--out", d, "--tokenizer", tok, "--hidden", 32, "--intermediate", 48,
                "--heads", 4, "--kv-heads", 2, "--seed", 3)
            cfg = json.loads((d / "config.json").read_text())
            rope = cfg.get("rope_scaling") or {}
            ref = [hfmodels.logprobs(str(d), ids, torch.float32) for ids in (SEQ, SHORT)]
            got = a4j_logprobs(str(d), "float32")
            report(f"model/tiny_{family}/out/float32", max_diff(got, ref), 2e-5,
                   f"align4j tiny -> transformers.from_pretrained; rope {rope.get('rope_type', 'default')}")
        except Exception as e:
            report(f"model/tiny_{family}/out", float("nan"), 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
