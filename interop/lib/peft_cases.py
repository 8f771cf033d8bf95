"""PEFT adapters made by the real PEFT on tiny random transformers models, and PEFT's own log-probs.

Shared by interop/checks/check_peft_in*.py (fresh adapters, compared with `align4j logprobs
--adapter`) and src/test/resources/peft/make_goldens.py (the committed goldens the Java tests load).
Every trainable adapter tensor is perturbed away from PEFT's identity initialisation so that each
part of the math (B, DoRA magnitudes, modules_to_save copies, IA3 vectors, prompts) shows in the
log-probs.
"""
import json
from pathlib import Path

import torch

IDS = [[1, 7, 33, 2, 60, 18, 5, 41, 9, 27, 63, 12], [3, 3, 50, 8, 19, 44, 0, 31, 6, 22]]

BASES = {
    # llama, untied, GQA (2 heads, 1 kv head)
    "llama": dict(family="llama", tied=False),
    # qwen3 (q/k norms), tied embeddings
    "qwen3_tied": dict(family="qwen3", tied=True),
    # qwen2 (q/k/v biases), untied
    "qwen2": dict(family="qwen2", tied=False),
}


def make_base(name, out):
    """A random-weight float32 checkpoint saved by transformers (rope_theta 10000 in either layout)."""
    from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM, Qwen3Config,
                              Qwen3ForCausalLM)
    spec = BASES[name]
    torch.manual_seed(1234)
    kw = dict(vocab_size=64, hidden_size=16, intermediate_size=32, num_hidden_layers=2, num_attention_heads=2,
              num_key_value_heads=1, max_position_embeddings=64, tie_word_embeddings=spec["tied"], rope_theta=10000.0)
    if spec["family"] == "llama":
        model = LlamaForCausalLM(LlamaConfig(**kw))
    elif spec["family"] == "qwen2":
        model = Qwen2ForCausalLM(Qwen2Config(**kw))
    else:
        model = Qwen3ForCausalLM(Qwen3Config(head_dim=8, **kw))
    with torch.no_grad():
        for p in model.parameters():   # norms away from 1 as well, so every weight matters
            p.add_(torch.randn_like(p) * 0.05)
    model.save_pretrained(out)
    return out


# name -> (base, peft config class name, kwargs)
CASES = {
    "lora_names": ("llama", "LoraConfig", dict(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"])),
    "lora_all_linear": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules="all-linear")),
    "lora_full_paths": ("llama", "LoraConfig", dict(r=3, lora_alpha=5, target_modules=[
        "model.layers.0.self_attn.q_proj", "model.layers.1.mlp.down_proj"])),
    "lora_regex": ("llama", "LoraConfig", dict(r=2, lora_alpha=8, target_modules=r".*\.layers\.1\.self_attn\.(q|k)_proj")),
    "lora_layers_pattern": ("llama", "LoraConfig", dict(r=2, lora_alpha=2, target_modules=["q_proj", "o_proj", "up_proj"],
                                                       layers_to_transform=[1], layers_pattern="layers")),
    "lora_layers_int": ("llama", "LoraConfig", dict(r=2, lora_alpha=2, target_modules=["k_proj", "gate_proj"],
                                                   layers_to_transform=0)),
    "lora_exclude_list": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["q_proj", "k_proj", "down_proj"],
                                                     exclude_modules=["model.layers.0.self_attn.k_proj", "down_proj"])),
    "lora_exclude_regex": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules="all-linear",
                                                      exclude_modules=r".*\.mlp\..*")),
    "lora_rank_alpha_pattern": ("llama", "LoraConfig", dict(
        r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
        rank_pattern={"q_proj": 2, "model.layers.1.mlp.down_proj": 6}, alpha_pattern={"v_proj": 3, r"layers\.0\.mlp\.down_proj": 16})),
    "lora_rslora": ("llama", "LoraConfig", dict(r=4, lora_alpha=8, use_rslora=True, target_modules=["q_proj", "up_proj"])),
    "dora": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, use_dora=True, target_modules="all-linear")),
    "dora_rslora_pattern_qwen2": ("qwen2", "LoraConfig", dict(r=4, lora_alpha=8, use_dora=True, use_rslora=True,
                                                             target_modules=["q_proj", "k_proj", "v_proj", "o_proj"],
                                                             rank_pattern={"k_proj": 2})),
    "mts_lm_head": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["q_proj"], modules_to_save=["lm_head"])),
    "mts_embed": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["v_proj"], modules_to_save=["embed_tokens"])),
    "tied_mts_lm_head": ("qwen3_tied", "LoraConfig", dict(r=2, lora_alpha=4, target_modules="all-linear",
                                                          modules_to_save=["lm_head"])),
    "tied_mts_embed": ("qwen3_tied", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["q_proj"],
                                                        modules_to_save=["embed_tokens"])),
    "tied_mts_both": ("qwen3_tied", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["o_proj"],
                                                       modules_to_save=["embed_tokens", "lm_head"])),
    "tied_mts_norm": ("qwen3_tied", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["q_proj"],
                                                       modules_to_save=["model.norm"])),
    "mts_every_norm": ("llama", "LoraConfig", dict(r=2, lora_alpha=4, target_modules=["v_proj"], modules_to_save=["norm"])),
    "ia3_default": ("llama", "IA3Config", dict()),
    "ia3_qwen3_default": ("qwen3_tied", "IA3Config", dict()),
    "ia3_regex": ("llama", "IA3Config", dict(target_modules=r".*\.(k_proj|up_proj|down_proj)",
                                             feedforward_modules=r".*\.layers\.\d\.mlp\.(up|down)_proj")),
    "prompt_tuning": ("llama", "PromptTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=4)),
    "p_tuning": ("llama", "PromptEncoderConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=3, encoder_hidden_size=8)),
    "prefix_tuning": ("llama", "PrefixTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=3)),
    "prefix_tuning_qwen3": ("qwen3_tied", "PrefixTuningConfig", dict(task_type="CAUSAL_LM", num_virtual_tokens=2)),
}


def make_adapter(case, base_dir, out):
    """Creates the case's adapter with PEFT on the base, perturbs its weights, saves it."""
    import peft
    from transformers import AutoModelForCausalLM
    base, cls, kw = CASES[case]
    torch.manual_seed(sum(map(ord, case)))
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    pm = peft.get_peft_model(model, getattr(peft, cls)(**kw))
    with torch.no_grad():
        for n, p in pm.named_parameters():
            if not p.requires_grad:
                continue
            if "ia3_l" in n or "magnitude" in n:
                p.mul_(1 + 0.3 * torch.randn_like(p))
            else:
                p.add_(torch.randn_like(p) * 0.3)
    pm.save_pretrained(out)
    return out


def peft_logprobs(base_dir, adapter_dir, ids=IDS):
    """log p(ids[t] | ids[:t]) for t >= 1 under PeftModel.from_pretrained(base, adapter), float64 lists."""
    import peft
    from transformers import AutoModelForCausalLM
    model = AutoModelForCausalLM.from_pretrained(base_dir, dtype=torch.float32)
    pm = peft.PeftModel.from_pretrained(model, adapter_dir).eval()
    return model_logprobs(pm, ids)


def model_logprobs(model, ids=IDS):
    out = []
    with torch.no_grad():
        for seq in ids:
            x = torch.tensor([seq])
            logits = model(input_ids=x).logits[0]
            logits = logits[logits.shape[0] - len(seq):]     # prompt tuning returns the virtual positions too
            lp = torch.log_softmax(logits.double(), -1)[:-1].gather(-1, x[0, 1:, None])[:, 0]
            out.append(lp.tolist())
    return out


def write_ids(path, ids=IDS):
    Path(path).write_text("".join(json.dumps({"ids": s}) + "\n" for s in ids))


def read_align4j(stdout):
    return [json.loads(l)["token_logprobs"][1:] for l in stdout.splitlines() if l.startswith("{")]


def max_diff(a, b):
    if len(a) != len(b) or any(len(x) != len(y) for x, y in zip(a, b)):
        return float("inf")
    return max(abs(u - v) for x, y in zip(a, b) for u, v in zip(x, y))
