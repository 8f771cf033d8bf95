#!/usr/bin/env python3
"""Goldens for align4j's device logits processors (LogitsProcessorsTest), made by transformers itself.

The processor list comes from a real (tiny, random) LlamaForCausalLM's `_get_logits_processor`, so the
order and the set of processors are what `generate` uses; each case applies it to the same random
float32 logits and records the processed scores (-inf as null) and the log-softmax of the raw logits.

Usage: /tmp/hfref/bin/python make_processor_goldens.py > processors_golden.json
"""
import json
import sys

import torch
import transformers
from transformers import GenerationConfig, LlamaConfig, LlamaForCausalLM

V = 64
B = 4
torch.manual_seed(7)
logits = (torch.randn(B, V) * 3).to(torch.float32)
logits[3, 10:14] = logits[3, 0]          # ties with the best token of row 3 (top-k keeps ties)
# prompt + completion so far per row (the repetition penalty's input_ids); no padding
input_ids = torch.randint(0, V, (B, 12))

model = LlamaForCausalLM(LlamaConfig(vocab_size=V, hidden_size=16, intermediate_size=32, num_hidden_layers=1,
                                     num_attention_heads=2, num_key_value_heads=1))

CASES = [
    dict(do_sample=False, repetition_penalty=1.0),
    dict(do_sample=False, repetition_penalty=1.3),
    dict(do_sample=True, temperature=0.7, top_k=0, top_p=1.0),
    dict(do_sample=True, temperature=1.0, top_k=5, top_p=1.0),
    dict(do_sample=True, temperature=1.0, top_k=0, top_p=0.9),
    dict(do_sample=True, temperature=1.0, top_k=0, top_p=1e-9),
    dict(do_sample=True, temperature=1.0, top_k=0, top_p=1.0, min_p=0.1),
    dict(do_sample=True, temperature=1.5, top_k=20, top_p=0.8, min_p=0.05, repetition_penalty=1.2),
    dict(do_sample=True, temperature=0.6, top_k=50, top_p=0.95, repetition_penalty=0.8),
]


def enc(t):
    return [[None if v == float("-inf") else float(v) for v in row] for row in t.tolist()]


out = {"transformers": transformers.__version__, "torch": torch.__version__, "vocab": V,
       "logits": logits.tolist(), "input_ids": input_ids.tolist(),
       "log_softmax": logits.log_softmax(-1).tolist(), "cases": []}
for case in CASES:
    gc = GenerationConfig(**{"top_k": 0, "top_p": 1.0, **case})
    procs = model._get_logits_processor(generation_config=gc, input_ids_seq_length=input_ids.shape[1],
                                        encoder_input_ids=input_ids, logits_processor=None, device="cpu")
    scores = procs(input_ids, logits.clone())
    out["cases"].append({"config": {"do_sample": gc.do_sample, "temperature": gc.temperature or 1.0,
                                    "top_k": gc.top_k or 0, "top_p": gc.top_p if gc.top_p is not None else 1.0,
                                    "min_p": gc.min_p or 0.0, "repetition_penalty": gc.repetition_penalty or 1.0},
                         "processors": [type(p).__name__ for p in procs],
                         "scores": enc(scores), "log_softmax": enc(scores.log_softmax(-1))})
json.dump(out, sys.stdout)
print(file=sys.stderr)
