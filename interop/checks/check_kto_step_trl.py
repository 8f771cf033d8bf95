"""One and two `align4j kto` steps equal TRL's KTOTrainer.

The same tiny transformers-made Qwen2 model, word-level tokenizer and LoRA initial weights as the DPO
check (check_dpo_step_trl.py), four unpaired text examples (three desirable, one not) tokenised by TRL
itself (KTOTrainer's prepared train_dataset: prompt_ids, completion_ids with EOS, label), one batch of 4:
TRL's KL completions are the batch's completions rotated by one, so both compute the same KL estimate.
Compared: loss, gradient norm before clipping, the metrics both log (kl, rewards/chosen|rejected|margins,
logps/chosen|rejected, logits/chosen|rejected, entropy) and every updated LoRA tensor.
"""
import contextlib
import json
import math
import os
import sys

import torch
from safetensors.torch import load_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_dpo_step_trl as d  # noqa: E402
import hfmodels  # noqa: E402
from a4j import WORK, cli, report  # noqa: E402

EXAMPLES = [([5, 9, 12], [20, 21, 22, 23], True), ([7, 7, 30, 31, 40], [41, 8], False),
            ([50], [51, 52, 53, 54, 55, 56], True), ([11, 13, 17, 19], [23, 29, 31], True)]
METRICS = ["kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected",
           "logits/chosen", "logits/rejected", "entropy"]


def trl_run(base, adapter, out, steps):
    from datasets import Dataset
    from peft import PeftModel
    from trl import KTOConfig, KTOTrainer
    tok = d.trl_tokenizer(base)
    model = PeftModel.from_pretrained(hfmodels.load(str(base), torch.float32), str(adapter), is_trainable=True)
    args = KTOConfig(output_dir=str(out), per_device_train_batch_size=4, gradient_accumulation_steps=1,
                     max_steps=steps, learning_rate=d.LR, lr_scheduler_type="constant", warmup_steps=0,
                     weight_decay=d.WD, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch",
                     max_grad_norm=d.CLIP, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=False,
                     fp16=False, gradient_checkpointing=False, dataloader_num_workers=0, seed=7, disable_tqdm=True,
                     beta=d.BETA, max_length=1024)
    rows = [{"prompt": d.words(p), "completion": " " + d.words(c), "label": l} for p, c, l in EXAMPLES]
    with contextlib.redirect_stdout(sys.stderr):
        trainer = KTOTrainer(model=model, args=args, train_dataset=Dataset.from_list(rows), processing_class=tok)
        ids = [{"prompt_ids": r["prompt_ids"], "completion_ids": r["completion_ids"], "label": bool(r["label"])}
               for r in trainer.train_dataset]
        trainer.train()
    return trainer.model, [h for h in trainer.state.log_history if "loss" in h and "grad_norm" in h], ids


def a4j_run(base, data, out, steps):
    recipe = WORK / "kto.yaml"
    recipe.write_text("\n".join([
        f"model_name_or_path: {base}", f"dataset: {data}", "finetuning_type: lora", "lora_rank: 4", "lora_alpha: 8",
        "lora_target: all", "per_device_train_batch_size: 4", "gradient_accumulation_steps: 1",
        f"learning_rate: {d.LR}", "lr_scheduler_type: constant", "warmup_steps: 0", f"max_steps: {steps}",
        f"max_grad_norm: {d.CLIP}", f"weight_decay: {d.WD}", "seed: 7", f"output_dir: {out}", "save_steps: 0",
        "eval_steps: 0", "precision: float32", f"pref_beta: {d.BETA}", ""]))
    cli("kto", "--config", recipe)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "loss" in r and "eval_loss" not in r]


def main():
    base = WORK / "base"
    hfmodels.make(str(base), "qwen2", rope={"rope_type": "default", "rope_theta": 10000.0}, seed=5, scale=0.1, layers=2)
    d.make_tokenizer(base)
    tok = d.trl_tokenizer(base)
    ids0 = []
    for p, c, l in EXAMPLES:
        pi = tok(d.words(p))["input_ids"]
        ids0.append({"prompt_ids": pi, "completion_ids": tok(d.words(p) + " " + d.words(c) + "</s>")["input_ids"][len(pi):],
                     "label": l})
    data0 = WORK / "kto_ids0.jsonl"
    d.write_ids(data0, ids0)
    init = WORK / "init"
    # the initial adapter: a learning-rate-0 DPO run saves align4j's initial LoRA weights (same seed and shapes)
    pairs0 = WORK / "pairs0.jsonl"
    d.write_ids(pairs0, [{"prompt_ids": x["prompt_ids"], "chosen_ids": x["completion_ids"],
                          "rejected_ids": x["completion_ids"]} for x in ids0])
    d.a4j_run(base, pairs0, init, 0.0, 4, 1)
    steps = 2
    try:
        model, logs, ids = trl_run(base, init / "adapter", WORK / "trl_kto", steps)
        data = WORK / "kto_ids.jsonl"
        d.write_ids(data, ids)
        out = WORK / "a4j_kto"
        rows = a4j_run(base, data, out, steps)
        if len(rows) != steps or len(logs) != steps:
            report("kto_step", math.nan, 0, f"expected {steps} steps, got align4j {len(rows)}, TRL {len(logs)}")
            return
        for i in range(steps):
            ours, log = rows[i], logs[i]
            tag = f"kto_step/step{i + 1}"
            report(f"{tag}/loss", abs(ours["loss"] - log["loss"]) / max(1.0, abs(log["loss"])), 5e-7,
                   f"align4j {ours['loss']:.7f} vs TRL {log['loss']:.7f}; batch 4, lr {d.LR}, beta {d.BETA}")
            report(f"{tag}/grad_norm", abs(ours["grad_norm"] - log["grad_norm"]) / max(log["grad_norm"], 1e-12), 1e-4,
                   f"relative; align4j {ours['grad_norm']:.6f} vs TRL {log['grad_norm']:.6f}")
            missing = [k for k in METRICS if k not in ours or k not in log]
            worst, name = 0.0, ""
            for k in METRICS:
                if k in ours and k in log:
                    diff = abs(ours[k] - log[k]) / max(1.0, abs(log[k]))
                    if diff >= worst:
                        worst, name = diff, f"{k}: align4j {ours[k]:.6g} vs TRL {log[k]:.6g}"
            report(f"{tag}/metrics", worst if not missing else math.nan, 2e-5,
                   f"{len(METRICS) - len(missing)} metrics, largest difference {name}"
                   + (f"; missing {missing}" if missing else ""))
        d.compare_adapter("2steps", out, model, init / "adapter", prefix="kto_step")
    except Exception as e:
        report("kto_step", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
        print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
