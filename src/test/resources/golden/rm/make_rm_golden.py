#!/usr/bin/env python3
"""Reference scores of full reward models (AutoModelForSequenceClassification checkpoints), made with the
real transformers (5.17).

For each base checkpoint in ../<family> (the decoder goldens), it loads AutoModelForSequenceClassification
on the same weights (num_labels 1, pad token 0: the lm_head is dropped, a `score` head added), gives the
head random values, stores OpenRLHF's reward statistics (config.mean, config.std), saves the model with
save_pretrained into <family>/ and writes <family>/golden_scores.json: the pooled logits (the last
non-pad token of each row, as transformers picks it) for right-padded, left-padded and unpadded rows.
Row 0 ends with the pad id after real tokens, as a row whose EOS is the pad token does (pad == EOS): the
score comes from the last content token.

Usage: /tmp/hfref/bin/python make_rm_golden.py   (from this directory)
"""
import json
import os

import torch
from transformers import AutoModelForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
IDS = [[1, 7, 3, 60, 22, 9, 0, 0], [0, 0, 0, 2, 33, 17, 8, 5], [4, 11, 19, 23, 29, 31, 37, 41]]


def main():
    os.chdir(HERE)
    for family in ("qwen3", "llama"):
        torch.manual_seed(99)
        model = AutoModelForSequenceClassification.from_pretrained(
            os.path.join("..", family), num_labels=1, pad_token_id=0, dtype=torch.float32)
        with torch.no_grad():
            model.score.weight.copy_(torch.randn_like(model.score.weight) * 0.3)
        model.config.mean = 0.25
        model.config.std = 1.5
        model.save_pretrained(family)
        model.eval()
        ids = torch.tensor(IDS)
        with torch.no_grad():
            scores = model(input_ids=ids, attention_mask=(ids != 0).long()).logits
        with open(os.path.join(family, "golden_scores.json"), "w") as f:
            json.dump({"ids": IDS, "pad_token_id": 0, "scores": scores[:, 0].tolist()}, f, indent=1)
        print(family, scores[:, 0].tolist())


if __name__ == "__main__":
    main()
