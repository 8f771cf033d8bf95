"""The TRL side of `align4j bench rm`: one RewardTrainer step (Bradley-Terry, chosen and rejected in one
forward) of LlamaForSequenceClassification with a PEFT SEQ_CLS LoRA (r16 on all linears, score head
trained), on random token ids of equal length (no padding). Prints one JSON line on stdout.
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
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    from peft import LoraConfig, get_peft_model
    from transformers import LlamaForSequenceClassification
    from trl import RewardTrainer
    cfg = common.llama_config(a.shape)
    cfg.num_labels = 1
    torch.manual_seed(0)
    model = LlamaForSequenceClassification(cfg)
    model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear", lora_dropout=0.0,
                                             task_type="SEQ_CLS"))
    model.train()
    t = common.stub_trainer(RewardTrainer, model, args=common.stub_args(center_rewards_coefficient=None))
    g = torch.Generator().manual_seed(0)
    ids = common.random_ids(g, cfg.vocab_size, 2 * a.batch, a.seq)   # [chosen; rejected], as TRL collates
    inputs = lambda: {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
    wall, cpu, loss, trainable = common.timed_steps(model, lambda: t.compute_loss(model, inputs()), a.warmup, a.steps)
    common.report("rm", a.batch, a.seq, wall, cpu, loss, trainable)


if __name__ == "__main__":
    main()
