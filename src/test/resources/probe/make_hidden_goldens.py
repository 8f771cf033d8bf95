#!/usr/bin/env python3
"""Goldens for CausalLM.layerHiddenStates: transformers' own output_hidden_states (float64, RMSNorm kept in
float64, SDPA attention, as golden/hf/make_goldens.py) for checkpoints transformers made
(src/test/resources/golden/hf/<case>), on a 12-token sequence. hidden_states[0] are the embeddings,
hidden_states[k] the output of decoder layer k-1, hidden_states[L] the final normed states.
Writes hidden_goldens.json: {case: {"ids", "hidden_states": [L+1][T][H]}}. HiddenStatesTest compares.

Usage: /tmp/hfref/bin/python src/test/resources/probe/make_hidden_goldens.py
"""
import json
import sys
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[3]
sys.path.insert(0, str(ROOT / "interop" / "lib"))
import hfmodels  # noqa: E402

IDS = [(5 * i * i + 2 * i + 3) % 64 for i in range(12)]
CASES = ["qwen3_v5_theta1e6", "llama_v4_llama3", "qwen2_v4_theta1e6"]


def main():
    out = {}
    for name in CASES:
        m = hfmodels.load(str(ROOT / "src/test/resources/golden/hf" / name), torch.float64, attn="sdpa")
        hfmodels.rmsnorm_in_input_dtype(m)
        with torch.no_grad():
            hs = m(input_ids=torch.tensor([IDS]), output_hidden_states=True).hidden_states
        out[name] = {"ids": IDS, "hidden_states": [h[0].tolist() for h in hs],
                     "made_by": "transformers " + __import__("transformers").__version__ + ", float64"}
        print(name, len(hs), "hidden states", file=sys.stderr)
    (HERE / "hidden_goldens.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
