#!/usr/bin/env python3
"""transformers' side of `align4j bench generate`: greedy `generate` on the same checkpoint and prompts.

Usage: python generate_hf.py CHECKPOINT_DIR PROMPTS_JSON
PROMPTS_JSON: {"batches": {"8": [[ids...], ...], ...}, "new_tokens": N, "threads": T, "pad": P}
Prints one JSON object on stdout: {"versions": ..., "threads": T, "rows": {"8": {"seconds": s,
"tokens": n, "outputs": [[new ids...], ...]}, ...}}. Everything else goes to stderr.
"""
import json
import sys
import time

import torch
import transformers
from transformers import AutoModelForCausalLM


def main():
    ckpt, prompts_path = sys.argv[1], sys.argv[2]
    spec = json.load(open(prompts_path))
    torch.set_num_threads(int(spec["threads"]))
    n, pad = int(spec["new_tokens"]), int(spec["pad"])
    model = AutoModelForCausalLM.from_pretrained(ckpt, dtype=torch.float32, attn_implementation="sdpa")
    model.eval()

    def run(rows, new_tokens):
        width = max(len(r) for r in rows)
        ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows], dtype=torch.long)
        mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
        with torch.inference_mode():
            t0 = time.perf_counter()
            out = model.generate(input_ids=ids, attention_mask=mask, do_sample=False, max_new_tokens=new_tokens,
                                 pad_token_id=pad, eos_token_id=None,
                                 top_k=None, top_p=None, temperature=None)
            dt = time.perf_counter() - t0
        return dt, out[:, width:].tolist()

    first = next(iter(spec["batches"].values()))
    run(first[:1], 4)   # warm-up
    rows = {}
    for b, prompts in spec["batches"].items():
        dt, outputs = run(prompts, n)
        rows[b] = {"seconds": dt, "tokens": sum(len(o) for o in outputs), "outputs": outputs}
        print(f"transformers batch {b}: {dt:.2f} s", file=sys.stderr)
    print(json.dumps({"versions": f"transformers {transformers.__version__}, torch {torch.__version__}",
                      "threads": torch.get_num_threads(), "rows": rows}))


if __name__ == "__main__":
    main()
