"""Pure-bfloat16 full fine-tuning (`master_weights: none`) next to transformers training a bfloat16 model.

Same tiny transformers-made Qwen2 model (float32 checkpoint, loaded in bfloat16 by both: the same
round-to-nearest-even weights), same four prompt-completion conversations, loss on the completion,
batch 4, two steps, AdamW with betas 0.9/0.999, eps 1e-8, weight decay 0.1, lr 1e-2 (so that each step
moves a weight by many bfloat16 steps), clipping at 0.5. transformers: TRL's SFTTrainer on the model
loaded with dtype=torch.bfloat16 and no autocast (bf16=False: the bfloat16 weights train themselves),
optim "adamw_torch_fused" (the Trainer's default on torch >= 2.8; align4j's update is the same kernel,
bit for bit on AdamWBf16GoldenTest). align4j: `align4j sft` with finetuning_type full, precision
bfloat16, master_weights none, whose saved model is bfloat16.

Tolerances: the two bfloat16 forwards run different kernels (align4j's composed attention and chunked
loss against transformers' eager attention), so the loss is compared with the size of transformers' own
bfloat16-vs-float32 difference (the same run with the model in float32 from the same bf16-valued
weights; tolerance 3x that, as check_model_logprobs does), and the gradient norm with that or one
bfloat16 step (2^-8, relative), whichever is larger: the gradients are bfloat16 tensors. The weights:
their mean absolute distance from transformers' must be at most transformers' own bfloat16-vs-float32
distance after the same steps; after step 1 also the share of elements that differ at all is bounded
(2%): Adam's first update is lr * g / |g| per element, so the two agree wherever the bfloat16 gradients
have the same sign and are not tiny against eps. (After step 2 that share is not a measure: the update
then depends on gradient magnitudes, and any difference in the float32 update can flip the bfloat16
rounding of the weight; about 30% of the elements differ by one bfloat16 step.)
"""
import contextlib
import json
import math
import sys

import torch
from safetensors.torch import load_file

import hfmodels
from a4j import WORK, cli, report
from word_vocab import TEMPLATE, make_tokenizer as write_tokenizer, words

EXAMPLES = [
    ([5, 9, 12], [20, 21, 22, 23]),
    ([7, 7, 30, 31, 40], [41, 8]),
    ([50], [51, 52, 53, 54, 55, 56]),
    ([11, 13, 17, 19], [23, 29, 31]),
]
LR, WD, CLIP = 1e-2, 0.1, 0.5






def align4j_run(base, data, out, steps):
    recipe = WORK / "recipe_pure_bf16.yaml"
    recipe.write_text("\n".join([
        f"model_name_or_path: {base}", f"dataset: {data}", "formatting: openai", "finetuning_type: full",
        "per_device_train_batch_size: 4", "gradient_accumulation_steps: 1", f"learning_rate: {LR}",
        "lr_scheduler_type: constant", "warmup_steps: 0", f"max_steps: {steps}", f"max_grad_norm: {CLIP}",
        f"weight_decay: {WD}", "seed: 7", f"output_dir: {out}", "save_steps: 0", "eval_steps: 0",
        "precision: bfloat16", "master_weights: none", ""]))
    cli("sft", "--config", recipe)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "loss" in r and "eval_loss" not in r]


def trl_run(base, out, steps, dtype):
    from datasets import Dataset
    from transformers import PreTrainedTokenizerFast
    from trl import SFTConfig, SFTTrainer
    tok = PreTrainedTokenizerFast(tokenizer_file=str(base / "tokenizer.json"), eos_token="</s>", pad_token="<pad>")
    tok.chat_template = TEMPLATE
    model = hfmodels.load(str(base), dtype)
    if dtype == torch.float32:
        # the float32 reference starts from the same bfloat16-rounded weights
        with torch.no_grad():
            for p in model.parameters():
                p.copy_(p.to(torch.bfloat16).float())
    ds = Dataset.from_list([
        {"prompt": [{"role": "user", "content": words(p)}], "completion": [{"role": "assistant", "content": words(c)}]}
        for p, c in EXAMPLES])
    args = SFTConfig(output_dir=str(out), per_device_train_batch_size=4, gradient_accumulation_steps=1,
                     max_steps=steps, learning_rate=LR, lr_scheduler_type="constant", warmup_steps=0,
                     weight_decay=WD, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch_fused",
                     max_grad_norm=CLIP, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                     bf16=False, fp16=False, gradient_checkpointing=False, completion_only_loss=True,
                     dataloader_num_workers=0, seed=7, disable_tqdm=True)
    with contextlib.redirect_stdout(sys.stderr):
        trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
        trainer.train()
    dtypes = sorted({str(p.dtype) for p in trainer.model.parameters()})
    return trainer.model, [h for h in trainer.state.log_history if "loss" in h and "grad_norm" in h], dtypes


def main():
    base = WORK / "base_pure_bf16"
    hfmodels.make(str(base), "qwen2", rope={"rope_type": "default", "rope_theta": 10000.0}, seed=5, scale=0.1,
                  layers=2)
    write_tokenizer(base, TEMPLATE)
    data = WORK / "train_pure_bf16.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": words(p)},
                                                     {"role": "assistant", "content": words(c)}]}) + "\n"
                            for p, c in EXAMPLES))
    init = {k: v.to(torch.bfloat16).float() for k, v in load_file(str(base / "model.safetensors")).items()}
    for steps, share_tol in ((1, 0.02), (2, 1.0)):
        tag = f"pure_bf16/step{steps}"
        try:
            out = WORK / f"a4j_pure_bf16_{steps}"
            a4j = align4j_run(base, data, out, steps)
            model, logs, dtypes = trl_run(base, WORK / f"trl_pure_bf16_{steps}", steps, torch.bfloat16)
            model32, logs32, _ = trl_run(base, WORK / f"trl_f32_{steps}", steps, torch.float32)
            if dtypes != ["torch.bfloat16"]:
                report(tag, math.nan, 0, f"transformers' model is not pure bfloat16: {dtypes}")
                continue
            last, hf, f32 = a4j[-1], logs[-1], logs32[-1]
            own = abs(hf["loss"] - f32["loss"])
            report(f"{tag}/loss", abs(last["loss"] - hf["loss"]), 3 * own,
                   f"align4j {last['loss']:.5f} vs transformers bf16 {hf['loss']:.5f} (float32 {f32['loss']:.5f}); "
                   f"tolerance 3x transformers' own bf16-vs-fp32 gap {own:.2e}")
            own_n = abs(hf["grad_norm"] - f32["grad_norm"]) / f32["grad_norm"]
            report(f"{tag}/grad_norm", abs(last["grad_norm"] - hf["grad_norm"]) / hf["grad_norm"], max(3 * own_n, 2 ** -8),
                   f"relative; align4j {last['grad_norm']:.5f} vs transformers bf16 {hf['grad_norm']:.5f} "
                   f"(float32 {f32['grad_norm']:.5f})")
            ours = load_file(str(out / "model" / "model.safetensors"))
            theirs = {k: v.detach() for k, v in model.state_dict().items()}
            names = sorted(k for k in ours if k in theirs)
            wrong_dtype = [k for k in ours if ours[k].dtype != torch.bfloat16]
            n = sum(ours[k].numel() for k in names)
            differ = sum((ours[k].float() != theirs[k].float()).sum().item() for k in names)
            maxd = max((ours[k].float() - theirs[k].float()).abs().max().item() for k in names)
            moved = max((theirs[k].float() - init[k]).abs().max().item() for k in names if k in init)
            ref32 = {k: v.detach() for k, v in model32.state_dict().items()}
            dist = sum((ours[k].float() - theirs[k].float()).abs().sum().item() for k in names) / n
            own_w = sum((ref32[k].float() - theirs[k].float()).abs().sum().item() for k in names) / n
            report(f"{tag}/weights_distance", dist, own_w,
                   f"mean |align4j - transformers bf16| over {n} elements; tolerance: transformers' own mean "
                   f"|bf16 - float32| after the same steps")
            report(f"{tag}/weights_differ", differ / n, share_tol,
                   f"share of {n} bf16 weight elements that differ ({differ}); largest difference {maxd / LR:.2f} lr; "
                   f"training moved them by up to {moved / LR:.2f} lr; saved dtypes all bf16: {not wrong_dtype}",
                   passed=differ / n <= share_tol and not wrong_dtype and len(names) == len(ours))
        except Exception as e:
            report(tag, math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
