#!/usr/bin/env python3
"""Reference scores of sequence-classification (reward-model) LoRA adapters, made with the real
transformers (5.17) and peft (0.21).

For each base checkpoint in ../<family> (the decoder goldens), it builds
AutoModelForSequenceClassification on the same weights (num_labels from the table below, pad token 0;
the lm_head is dropped, a `score` head added), wraps it with a PEFT LoRA adapter of task_type SEQ_CLS,
gives the LoRA B matrices and the score head random values, saves the adapter with
save_pretrained into <family>-<labels>/ (adapter_config.json, adapter_model.safetensors: PEFT saves the
head as base_model.model.score.weight and lists modules_to_save ["classifier", "score"]) and writes
<family>-<labels>/golden_scores.json: the model's pooled logits (the last non-pad token of each row,
as transformers picks it) for left- and right-padded rows, in float32 and float64.

Usage: /tmp/hfref/bin/python make_seqcls_golden.py   (from this directory)
"""
import json
import os

import torch
from peft import LoraConfig, TaskType, get_peft_model
from transformers import AutoModelForSequenceClassification

HERE = os.path.dirname(os.path.abspath(__file__))
# rows padded with 0 on the right, on the left, and one without padding
IDS = [[1, 7, 3, 60, 22, 9, 0, 0], [0, 0, 0, 2, 33, 17, 8, 5], [4, 11, 19, 23, 29, 31, 37, 41]]
CASES = [("qwen3", 1, ["q_proj", "v_proj", "down_proj"]), ("llama", 2, ["q_proj", "k_proj", "o_proj", "up_proj"])]


def main():
    os.chdir(HERE)   # relative base paths, so base_model_name_or_path is "../<family>", not this machine's
    for family, labels, targets in CASES:
        torch.manual_seed(1234)
        model = AutoModelForSequenceClassification.from_pretrained(
            os.path.join("..", family), num_labels=labels, pad_token_id=0, dtype=torch.float32)
        peft_model = get_peft_model(model, LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8,
                                                      target_modules=targets))
        with torch.no_grad():
            for name, p in peft_model.named_parameters():
                if "lora_B" in name or "modules_to_save" in name:
                    p.copy_(torch.randn_like(p) * 0.3)
        out = f"{family}-{labels}"
        peft_model.save_pretrained(out)
        os.remove(os.path.join(out, "README.md"))   # PEFT's model card, not needed
        peft_model.eval()
        ids = torch.tensor(IDS)
        mask = (ids != 0).long()
        with torch.no_grad():
            scores = peft_model(input_ids=ids, attention_mask=mask).logits
            with peft_model.disable_adapter():
                hidden = peft_model.base_model.model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        with open(os.path.join(out, "golden_scores.json"), "w") as f:
            json.dump({"ids": IDS, "pad_token_id": 0, "num_labels": labels, "scores": scores.tolist(),
                       "base_hidden_last_row": hidden[2].tolist()}, f, indent=1)
        print(family, labels, scores.tolist())


if __name__ == "__main__":
    main()
