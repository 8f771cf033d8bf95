"""The TRL side of `align4j bench dpo`: one DPOTrainer step (sigmoid loss, beta 0.1) of a PEFT LoRA policy
(r16 on all linears) whose reference is the base with the adapter disabled, computed live in the step
(--ref live) or precomputed once before training (--ref cached, TRL's precompute_ref_log_probs). Each
sequence is a prompt of seq/2 tokens and a completion of seq - seq/2; chosen and rejected rows share the
prompt and go through one forward. Prints one JSON line on stdout.
"""
import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import trl_step_common as common  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    common.common_args(ap)
    ap.add_argument("--ref", default="live", choices=["live", "cached"])
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForCausalLM
    from trl import DPOConfig, DPOTrainer
    cfg = common.llama_config(a.shape)
    torch.manual_seed(0)
    model = get_peft_model(LlamaForCausalLM(cfg), LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                             lora_dropout=0.0, task_type="CAUSAL_LM"))
    model.train()
    d = DPOConfig(output_dir="/tmp/a4j-bench-dpo-unused", report_to=[], use_cpu=True, bf16=False)
    loss_types = d.loss_type if isinstance(d.loss_type, list) else [d.loss_type]
    t = common.stub_trainer(
        DPOTrainer, model, ref_model=None, args=d, aux_loss_enabled=False, ld_alpha=None,
        precompute_ref_logps=a.ref == "cached", loss_types=loss_types, loss_type=loss_types,
        loss_weights=d.loss_weights or [1.0] * len(loss_types), beta=0.1, label_smoothing=0.0,
        f_divergence_type=d.f_divergence_type, f_alpha_divergence_coef=d.f_alpha_divergence_coef,
        use_weighting=False, rpo_alpha=None, use_liger_kernel=False, is_fsdp_enabled=False)
    g = torch.Generator().manual_seed(0)
    prompt = a.seq // 2
    p = common.random_ids(g, cfg.vocab_size, a.batch, prompt)
    ch = common.random_ids(g, cfg.vocab_size, a.batch, a.seq - prompt)
    rj = common.random_ids(g, cfg.vocab_size, a.batch, a.seq - prompt)
    ids = torch.cat([torch.cat([p, ch], 1), torch.cat([p, rj], 1)], 0)   # [2B, T]: chosen rows, then rejected
    completion = torch.zeros_like(ids)
    completion[:, prompt:] = 1
    inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids), "completion_mask": completion}
    if a.ref == "cached":
        rc, rr = t.compute_ref_log_probs(model, inputs)   # what the precompute pass stores per pair
        inputs["ref_chosen_logps"], inputs["ref_rejected_logps"] = rc, rr
    wall, cpu, loss, trainable = common.timed_steps(model, lambda: t.compute_loss(model, dict(inputs)), a.warmup,
                                                    a.steps)
    common.report("dpo_" + a.ref, a.batch, a.seq, wall, cpu, loss, trainable)


if __name__ == "__main__":
    main()
