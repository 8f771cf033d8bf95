#!/usr/bin/env python3
"""Checkpoints made by transformers 5.17 and their log-probs under transformers' own forward.

For each case below: a random-weight model built and saved by transformers (interop/lib/hfmodels.py),
optionally rewritten to the transformers 4 config layout, then loaded back by transformers and run in
float64 (with RMSNorm kept in float64 and SDPA attention: transformers' RMSNorm and eager softmax
compute in float32 even for a float64 model, which would cap the comparison at ~1e-6) on IDS (48 tokens: longer than max_position_embeddings 32 for `dynamic`, than
original_max_position_embeddings 16 for llama3/yarn). Writes <case>/golden.json: {"ids", "logprobs"
(log p(ids[t] | ids[:t]), t >= 1), "last_logits"}. HfGoldenTest compares align4j with these.

Usage: interop venv python  src/test/resources/golden/hf/make_goldens.py
"""
import json
import os
import shutil
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[4] / "interop" / "lib"))
import hfmodels  # noqa: E402

IDS = [(7 * i * i + 3 * i + 1) % 64 for i in range(48)]
LLAMA3 = {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
          "high_freq_factor": 4.0, "original_max_position_embeddings": 16}
YARN = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 16}
SMALL = dict(hidden=32, heads=4, kv_heads=2, head_dim=16, layers=1)

# name: (family, rope_parameters, layout, make() extras)
CASES = {
    # defect 1: transformers 5 keeps theta in rope_parameters; theta 10000 moves log-probs by ~1e-2
    "qwen3_v5_theta1e6": ("qwen3", {"rope_type": "default", "rope_theta": 1000000.0}, "v5", dict(layers=2, head_dim=16)),
    "qwen3_v5_yarn": ("qwen3", YARN, "v5", SMALL),
    "qwen3_v4_yarn_mscale": ("qwen3", dict(YARN, attention_factor=None, mscale=1.0, mscale_all_dim=0.5,
                                           beta_fast=16.0, beta_slow=2.0), "v4", SMALL),
    "llama_v5_llama3_bias": ("llama", LLAMA3, "v5", dict(SMALL, attention_bias=True, mlp_bias=True)),
    "llama_v4_llama3": ("llama", LLAMA3, "v4", dict(layers=2)),
    "llama_v5_linear": ("llama", {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, "v5", SMALL),
    "llama_v4type_dynamic": ("llama", {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, "v4-type",
                             dict(SMALL, max_pos=32)),
    "qwen2_v4_theta1e6": ("qwen2", {"rope_type": "default", "rope_theta": 1000000.0}, "v4", dict(layers=2, tie=True)),
    "mistral_v5_window64": ("mistral", {"rope_type": "default", "rope_theta": 100000.0}, "v5",
                            dict(layers=2, sliding_window=64)),
    # sliding windows shorter than the 48 tokens: every layer (Mistral), layers >= max_window_layers
    # (Qwen2), the layers layer_types names (Qwen3)
    "mistral_v5_window16": ("mistral", {"rope_type": "default", "rope_theta": 10000.0}, "v5",
                            dict(layers=2, sliding_window=16)),
    "qwen2_v5_sliding16": ("qwen2", {"rope_type": "default", "rope_theta": 1000000.0}, "v5",
                           dict(layers=2, use_sliding_window=True, sliding_window=16, max_window_layers=1)),
    "qwen3_v4_layer_types": ("qwen3", {"rope_type": "default", "rope_theta": 1000000.0}, "v4",
                             dict(SMALL, layers=2, use_sliding_window=True, sliding_window=12,
                                  layer_types=["sliding_attention", "full_attention"])),
}

# configs whose sliding layers come from max_window_layers, not layer_types
DERIVE_LAYER_TYPES = {"qwen2_v5_sliding16"}


def main():
    for name, (family, rope, layout, extra) in CASES.items():
        d = HERE / name
        shutil.rmtree(d, ignore_errors=True)
        rope = {k: v for k, v in rope.items() if v is not None}
        hfmodels.make(str(d), family, rope=rope, seed=len(name), **extra)
        if name in DERIVE_LAYER_TYPES:  # transformers saves the derived list; make it derive again
            cfg = json.loads((d / "config.json").read_text())
            del cfg["layer_types"]
            (d / "config.json").write_text(json.dumps(cfg, indent=2))
        if layout.startswith("v4"):
            hfmodels.to_v4_layout(str(d), type_key="type" if layout == "v4-type" else "rope_type")
        for f in ("generation_config.json",):
            if (d / f).exists():
                os.remove(d / f)
        m = hfmodels.load(str(d), torch.float64, attn="sdpa")
        hfmodels.rmsnorm_in_input_dtype(m)
        with torch.no_grad():
            logits = m(input_ids=torch.tensor([IDS])).logits[0]
        lp = torch.log_softmax(logits[:-1], -1).gather(-1, torch.tensor(IDS[1:])[:, None])[:, 0]
        with open(d / "golden.json", "w") as f:
            json.dump({"ids": IDS, "logprobs": lp.tolist(), "last_logits": logits[-1].tolist(),
                       "made_by": "transformers " + __import__("transformers").__version__ + ", float64"}, f)
        print(name, "ok", file=sys.stderr)


if __name__ == "__main__":
    main()
