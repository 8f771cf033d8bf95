#!/usr/bin/env python3
"""Writes <dir>/golden_logits.json for GoldenLogitsTest with transformers' own forward.

For each checkpoint directory given (align4j-written, random gains and biases so every tensor matters):
transformers 5.17 loads it in float64 and runs the fixed id sequences below; RMSNorm is kept in float64
and attention is SDPA (transformers' RMSNorm and eager softmax compute in float32 even for float64
models), so the only float32 left is RoPE's cos/sin tables, exactly as in align4j's float64 path.
Output: {"ids": [[...]], "logits": [[[...]]], "made_by": ...}.

reference_forward.py is an independent numpy implementation of the same forward (float64 throughout,
including RoPE); the interop check check_model_goldens.py shows it agrees with transformers within
1e-6 (the float32 RoPE tables), which is why the goldens now come from transformers itself.

Usage (interop venv): python src/test/resources/golden/transformers_forward.py src/test/resources/golden/{llama,mistral,qwen2,qwen3}
"""
import json
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "interop" / "lib"))
import hfmodels  # noqa: E402

IDS = [[1, 7, 3, 60, 22, 9, 41, 5], [2, 2, 33, 17, 8]]


def main():
    import transformers
    for d in sys.argv[1:]:
        m = hfmodels.rmsnorm_in_input_dtype(hfmodels.load(d, torch.float64, attn="sdpa"))
        with torch.no_grad():
            logits = [m(input_ids=torch.tensor([ids])).logits[0].tolist() for ids in IDS]
        with open(f"{d}/golden_logits.json", "w") as f:
            json.dump({"ids": IDS, "logits": logits,
                       "made_by": f"transformers {transformers.__version__} float64 (sdpa, float64 RMSNorm)"}, f)
        print(d, "ok", file=sys.stderr)


if __name__ == "__main__":
    main()
