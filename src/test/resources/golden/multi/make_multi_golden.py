#!/usr/bin/env python3
"""Reference logits of two LoRA adapters active together, made with the real transformers (5.17) and
peft (0.21): PEFT adds the contributions of the active adapters in order, a DoRA adapter rescaling
the result so far.

On the qwen3 decoder golden (../qwen3) it adds adapter "a" (LoRA on q_proj, v_proj, down_proj) and
adapter "b" (DoRA on q_proj, k_proj, up_proj), gives every lora_B (and b's magnitudes) random values,
saves each into a/ and b/ with save_pretrained, and writes golden_logits.json: the logits of IDS with
"a" alone, "b" alone and ["a", "b"] active (set_adapter with a list).

Usage: /tmp/hfref/bin/python make_multi_golden.py   (from this directory)
"""
import json
import os
import shutil

import torch
from peft import LoraConfig, get_peft_model
from transformers import AutoModelForCausalLM

HERE = os.path.dirname(os.path.abspath(__file__))
IDS = [[1, 7, 3, 60, 22, 9, 41, 5], [2, 33, 17, 8, 5, 11, 13, 4]]


def main():
    os.chdir(HERE)   # relative base path in the adapter configs
    torch.manual_seed(99)
    model = AutoModelForCausalLM.from_pretrained(os.path.join("..", "qwen3"), dtype=torch.float32)
    peft_model = get_peft_model(model, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"]),
                                adapter_name="a")
    peft_model.add_adapter("b", LoraConfig(r=2, lora_alpha=8, use_dora=True, target_modules=["q_proj", "k_proj", "up_proj"]))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.3)
            elif "lora_magnitude_vector" in name:
                p.add_(torch.randn_like(p) * 0.1)
    for name in ("a", "b"):
        tmp = f"tmp-{name}"
        peft_model.save_pretrained(tmp, selected_adapters=[name])
        src = os.path.join(tmp, name)   # non-default adapters are saved in a subfolder
        shutil.rmtree(name, ignore_errors=True)
        shutil.copytree(src, name)
        shutil.rmtree(tmp)
        if os.path.exists(os.path.join(name, "README.md")):
            os.remove(os.path.join(name, "README.md"))
    peft_model.eval()
    ids = torch.tensor(IDS)
    out = {"ids": IDS}
    with torch.no_grad():
        for key, active in (("a", "a"), ("b", "b"), ("a+b", ["a", "b"])):
            peft_model.base_model.set_adapter(active)
            out[key] = peft_model(input_ids=ids).logits.tolist()
    with open("golden_logits.json", "w") as f:
        json.dump(out, f)
    print({k: v[0][0][:3] for k, v in out.items() if k != "ids"})


if __name__ == "__main__":
    main()
