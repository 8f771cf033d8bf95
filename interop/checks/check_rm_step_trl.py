"""One `align4j rm` step equals one step of TRL's RewardTrainer.

Same tiny transformers-made Qwen2 model, same text pairs (prompt + chosen/rejected; TRL appends EOS and
pads right, batch [chosen; rejected]), same initial weights: align4j's initial reward model (a
learning-rate-0 run) saved as AutoModelForSequenceClassification (full) or as a PEFT SEQ_CLS adapter
(LoRA, `score` in modules_to_save), which transformers and PEFT load for TRL. AdamW (betas 0.9/0.999,
eps 1e-8, weight decay 0.1), constant learning rate, gradient clipping at 0.5, dropout 0, no gradient
checkpointing. Compared per step: loss, accuracy, margin, gradient norm before clipping; after the run:
every updated tensor (the whole model for full fine-tuning, the LoRA matrices and the score head for
LoRA). Cases: full, batch 4; LoRA with margins and center_rewards_coefficient 0.01, batch 4; LoRA,
batch 2 x accumulation 2 (equal micro-batches: TRL averages per micro-batch, align4j over the effective
batch's pairs, the same here), two steps (Adam's second update depends on gradient magnitudes).

Updated weights: Adam's first update is lr * g / (|g| + 1e-8), ill-conditioned where |g| is near 1e-8.
There a gradient difference of 1e-10 (float32 rounding, or transformers' float32 RoPE tables and RMSNorm,
which stay float32 even in a float64 model) moves the update by up to 1e-4 (measured: 8e-5 in float32,
7e-6 with both sides in float64). So the weights are compared on the elements whose Adam steps
(the move less AdamW's decay) show |g| above about 1e-5 (each step > 0.999 lr: the great majority),
where the update's sensitivity to the gradient is at most 1, within 1e-6; the largest difference over
all elements is reported alongside.
"""
import contextlib
import math
import sys

import torch
from safetensors.torch import load_file

from a4j import WORK, report
from rm_cases import align4j_rm, hf_tokenizer, make_base, write_pairs

LR, WD, CLIP = 1e-2, 0.1, 0.5


def trl_steps(base, init, out, ftype, batch, accum, steps, margins, center, dtype=torch.float32):
    from datasets import Dataset
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer
    tok = hf_tokenizer(base)
    if ftype == "full":
        model = AutoModelForSequenceClassification.from_pretrained(str(init / "model"), dtype=dtype)
    else:
        model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1, dtype=dtype)
        model = PeftModel.from_pretrained(model, str(init / "adapter"), is_trainable=True).to(dtype)
    ds = Dataset.from_list(write_pairs(WORK / f"{out.name}_pairs.jsonl", margins))
    args = RewardConfig(output_dir=str(out), per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
                        max_steps=steps, learning_rate=LR, lr_scheduler_type="constant", warmup_steps=0,
                        weight_decay=WD, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch",
                        max_grad_norm=CLIP, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                        bf16=False, fp16=False, gradient_checkpointing=False, dataloader_num_workers=0, seed=7,
                        disable_tqdm=True, center_rewards_coefficient=center if center else None)
    with contextlib.redirect_stdout(sys.stderr):
        trainer = RewardTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
        trainer.train()
    return trainer.model, [h for h in trainer.state.log_history if "loss" in h and "grad_norm" in h]


def updated(model, ftype, out):
    """TRL's trained tensors under the names align4j saves."""
    if ftype == "full":
        return {k: v.detach() for k, v in model.state_dict().items()}
    model.save_pretrained(str(out / "trl_adapter"))
    return load_file(str(out / "trl_adapter" / "adapter_model.safetensors"))


def compare(tag, base, ftype, batch, accum, steps, margins=False, center=0.0, precision="float32"):
    data = WORK / f"rm_{tag}.jsonl"
    write_pairs(data, margins)
    init = WORK / f"rm_init_{tag}"
    align4j_rm(base, data, init, ftype, 0.0, 4, 1, 1, WD, CLIP, center)   # learning rate 0: the initial weights
    out = WORK / f"rm_a4j_{tag}"
    ours_rows = align4j_rm(base, data, out, ftype, LR, batch, accum, steps, WD, CLIP, center,
                           extra=[f"precision: {precision}"])
    model, logs = trl_steps(base, init, WORK / f"rm_trl_{tag}", ftype, batch, accum, steps, margins, center,
                            torch.float64 if precision == "float64" else torch.float32)
    detail = f"{precision}, {ftype}, batch {batch} x accumulation {accum}, lr {LR}, wd {WD}, clip {CLIP}, margins {margins}, center {center}"
    if len(ours_rows) != steps or len(logs) != steps:
        report(f"rm_step/{tag}", math.nan, 0, f"expected {steps} logged steps, got align4j {len(ours_rows)}, TRL {len(logs)}")
        return
    for i, (a, t) in enumerate(zip(ours_rows, logs), start=1):
        report(f"rm_step/{tag}/step{i}/loss", abs(a["loss"] - t["loss"]), 2e-6,
               f"align4j {a['loss']:.7f} vs TRL {t['loss']:.7f}; {detail}")
        report(f"rm_step/{tag}/step{i}/accuracy", abs(a["accuracy"] - t["accuracy"]), 0,
               f"align4j {a['accuracy']} vs TRL {t['accuracy']}")
        report(f"rm_step/{tag}/step{i}/margin", abs(a["margin"] - t["margin"]), 2e-6,
               f"align4j {a['margin']:.7f} vs TRL {t['margin']:.7f}")
        report(f"rm_step/{tag}/step{i}/grad_norm", abs(a["grad_norm"] - t["grad_norm"]) / max(t["grad_norm"], 1e-12), 1e-5,
               f"relative; align4j {a['grad_norm']:.7f} vs TRL {t['grad_norm']:.7f} (before clipping)")
    theirs = updated(model, ftype, WORK / f"rm_trl_{tag}")
    if ftype == "full":
        ours = load_file(str(out / "model" / "model.safetensors"))
        start = load_file(str(init / "model" / "model.safetensors"))
    else:
        ours = load_file(str(out / "adapter" / "adapter_model.safetensors"))
        start = load_file(str(init / "adapter" / "adapter_model.safetensors"))
    names = sorted(set(ours) ^ set(theirs))
    if names:
        report(f"rm_step/{tag}/weights", math.nan, 0, f"tensor names differ: {names[:4]}")
        return
    diff, worst = max(((ours[k].double() - theirs[k].double()).abs().max().item(), k) for k in ours)
    moved = max((theirs[k].double() - start[k].double()).abs().max().item() for k in ours)
    # Adam's update g / (|g| + 1e-8) is ill-conditioned where |g| is near eps (see the docstring)
    firm = 0.0
    firm_n = 0
    for k in ours:
        # Adam's own part of the move: AdamW first decays w by (1 - lr wd), then steps by lr m/(sqrt(v)+eps)
        decayed = start[k].double() * (1 - LR * WD) ** steps
        step = (theirs[k].double() - decayed).abs()
        # every step near its full lr: |g| / (|g| + eps) > 0.999, |g| above about 1e-5, where
        # d update / d g = lr eps / (|g| + eps)^2 <= 1 (at |g| = 1e-6 it is 100: float32 rounding of a
        # gradient element, ~1e-8, then moves the weight by 1e-6)
        sel = step > 0.999 * steps * LR
        if sel.any():
            firm = max(firm, (ours[k].double() - theirs[k].double()).abs()[sel].max().item())
            firm_n += int(sel.sum())
    report(f"rm_step/{tag}/weights", firm, 1e-6,
           f"{len(ours)} tensors after {steps} step(s), {firm_n} elements whose Adam steps were all > 0.999 lr; "
           f"all elements within {diff:.2g} (in {worst}, |g| near Adam's eps); training moved them by up to {moved:.3g}")


def main():
    base = make_base()
    for tag, ftype, batch, accum, steps, margins, center in (
            ("full_batch4", "full", 4, 1, 1, False, 0.0),
            ("lora_margin_center", "lora", 4, 1, 1, True, 0.01),
            ("lora_batch2_accum2_2steps", "lora", 2, 2, 2, False, 0.0)):
        try:
            compare(tag, base, ftype, batch, accum, steps, margins, center,
                    "float32")
        except Exception as e:
            report(f"rm_step/{tag}", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
