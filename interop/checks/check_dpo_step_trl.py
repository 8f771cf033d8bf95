"""One `align4j dpo` step equals one step of TRL's DPOTrainer.

Same tiny transformers-made Qwen2 model, same LoRA initial weights (align4j's initial adapter, saved in
PEFT format by a learning-rate-0 run and loaded into PEFT), the same preference pairs tokenised by TRL
itself (DPOTrainer's prepared train_dataset: prompt_ids, chosen_ids, rejected_ids, EOS appended to text
completions, handed to align4j as pre-tokenised data), dropout off (TRL's disable_dropout), AdamW
(betas 0.9/0.999, eps 1e-8, weight decay 0.1), constant learning rate, no warm-up, gradient clipping.
A text case hands align4j the text rows instead, so its own tokenisation (the preference reader, EOS
appended to text completions) is compared too. Compared: the loss, the gradient norm before clipping, TRL's logged metrics (rewards/chosen|rejected|
accuracies|margins, logps/chosen|rejected, logits/chosen|rejected, entropy, mean_token_accuracy) and
every updated LoRA tensor; for several loss types; with gradient accumulation; with precomputed
reference log-probs; and starting from an existing (non-zero) adapter, where TRL's reference is a frozen
copy of that adapter named "ref" (trl#1340) and align4j's is the same (adapter_name_or_path).
"""
import contextlib
import json
import math
import sys

import torch
from safetensors.torch import load_file

import hfmodels
from a4j import WORK, cli, report
from word_vocab import SPECIALS, make_tokenizer, words  # noqa: F401 (check_kto_step_trl uses them)

PAIRS = [  # (prompt words, chosen words, rejected words); different lengths so padding matters
    ([5, 9, 12], [20, 21, 22, 23], [30, 31]),
    ([7, 7, 30, 31, 40], [41, 8], [42, 43, 44, 45, 46]),
    ([50], [51, 52, 53, 54, 55, 56], [57]),
    ([11, 13, 17, 19], [23, 29, 31], [37, 41, 43]),
]
LR, WD, CLIP, BETA = 1e-2, 0.1, 0.5, 0.1
METRICS = ["rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
           "logps/rejected", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy"]






def text_rows():
    return [{"prompt": words(p), "chosen": " " + words(c), "rejected": " " + words(r)} for p, c, r in PAIRS]


def trl_tokenizer(base):
    from transformers import PreTrainedTokenizerFast
    # not AutoTokenizer: transformers 5 rebuilds a Qwen2Tokenizer around our word-level vocabulary
    return PreTrainedTokenizerFast(tokenizer_file=str(base / "tokenizer.json"), eos_token="</s>", pad_token="<pad>")


def trl_run(base, adapter, out, loss_type, batch, accum, steps=1, precompute=False, **extra):
    from datasets import Dataset
    from peft import PeftModel
    from trl import DPOConfig, DPOTrainer
    tok = trl_tokenizer(base)
    model = hfmodels.load(str(base), torch.float32)
    model = PeftModel.from_pretrained(model, str(adapter), is_trainable=True)
    args = DPOConfig(output_dir=str(out), per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
                     max_steps=steps, learning_rate=LR, lr_scheduler_type="constant", warmup_steps=0,
                     weight_decay=WD, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch",
                     max_grad_norm=CLIP, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                     bf16=False, fp16=False, gradient_checkpointing=False, dataloader_num_workers=0, seed=7,
                     disable_tqdm=True, beta=BETA, loss_type=loss_type, precompute_ref_log_probs=precompute,
                     max_length=1024, **extra)
    with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs; stdout is for results
        trainer = DPOTrainer(model=model, args=args, train_dataset=Dataset.from_list(text_rows()), processing_class=tok)
        ids = [{"prompt_ids": r["prompt_ids"], "chosen_ids": r["chosen_ids"], "rejected_ids": r["rejected_ids"]}
               for r in trainer.train_dataset]
        trainer.train()
    logs = [h for h in trainer.state.log_history if "loss" in h and "grad_norm" in h]
    return trainer.model, logs, ids


def a4j_run(base, data, out, lr, batch, accum, steps=1, adapter=None, loss="sigmoid", extra=()):
    recipe = WORK / "dpo.yaml"
    recipe.write_text("\n".join([
        f"model_name_or_path: {base}", f"dataset: {data}", "finetuning_type: lora", "lora_rank: 4",
        "lora_alpha: 8", "lora_target: all", f"per_device_train_batch_size: {batch}",
        f"gradient_accumulation_steps: {accum}", f"learning_rate: {lr}", "lr_scheduler_type: constant",
        "warmup_steps: 0", f"max_steps: {steps}", f"max_grad_norm: {CLIP}", f"weight_decay: {WD}", "seed: 7",
        f"output_dir: {out}", "save_steps: 0", "eval_steps: 0", "precision: float32", f"pref_beta: {BETA}",
        f"pref_loss: {loss}", *(f"adapter_name_or_path: {adapter}" for _ in [adapter] if adapter), *extra, ""]))
    cli("dpo", "--config", recipe)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "loss" in r and "eval_loss" not in r]


def write_ids(path, ids):
    path.write_text("".join(json.dumps(r) + "\n" for r in ids))


def compare(tag, base, init, loss_type, batch=4, accum=1, start=None, precompute=False, weights=None, steps=1,
            text=False):
    """Runs both from the adapter `start` (default: the fresh initial one) and reports every figure."""
    adapter = start or init
    kw = {"loss_weights": weights} if weights else {}
    model, logs, ids = trl_run(base, adapter, WORK / f"trl_{tag}", loss_type.split(","), batch, accum, steps,
                               precompute=precompute, **kw)
    data = WORK / f"ids_{tag}.jsonl"
    # text: align4j reads the same text rows and tokenises them itself (its preference reader, TRL's rules)
    write_ids(data, text_rows() if text else ids)
    out = WORK / f"a4j_{tag}"
    extra = ["precompute_ref_log_probs: true"] if precompute else []
    if weights:
        extra.append("loss_weights: " + ",".join(map(str, weights)))
    rows = a4j_run(base, data, out, LR, batch, accum, steps, adapter=start, loss=loss_type, extra=extra)
    if len(rows) != steps or len(logs) != steps:
        report(f"dpo_step/{tag}", math.nan, 0, f"expected {steps} logged steps, got align4j {len(rows)}, TRL {len(logs)}")
        return
    for i in range(steps):
        # step 1 starts at policy == reference (every log-ratio 0); step 2 runs the loss away from that point
        compare_step(f"{tag}/step{i + 1}" if steps > 1 else tag, rows[i], logs[i],
                     f"loss {loss_type}, batch {batch} x accumulation {accum}, lr {LR}, clip {CLIP}, beta {BETA}")
    compare_adapter(tag, out, model, adapter)


def compare_step(tag, ours, log, detail):
    report(f"dpo_step/{tag}/loss", abs(ours["loss"] - log["loss"]) / max(1.0, abs(log["loss"])), 5e-7,
           f"relative to max(1, |loss|); align4j {ours['loss']:.7f} vs TRL {log['loss']:.7f}; {detail}")
    report(f"dpo_step/{tag}/grad_norm", abs(ours["grad_norm"] - log["grad_norm"]) / max(log["grad_norm"], 1e-12), 1e-4,
           f"relative; align4j {ours['grad_norm']:.6f} vs TRL {log['grad_norm']:.6f} (before clipping)")
    worst, name = 0.0, ""
    missing = [k for k in METRICS if k not in ours or k not in log]
    for k in METRICS:
        if k in ours and k in log:
            d = abs(ours[k] - log[k]) / max(1.0, abs(log[k]))
            if d >= worst:
                worst, name = d, f"{k}: align4j {ours[k]:.6g} vs TRL {log[k]:.6g}"
    report(f"dpo_step/{tag}/metrics", worst if not missing else math.nan, 2e-5,
           f"{len(METRICS) - len(missing)} metrics, largest difference {name}" + (f"; missing {missing}" if missing else ""))


def compare_adapter(tag, out, model, adapter, prefix="dpo_step"):
    mine = load_file(str(out / "adapter" / "adapter_model.safetensors"))
    theirs = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k and ".ref." not in k}
    theirs = {("base_model.model." + k if not k.startswith("base_model.model.") else k): v for k, v in theirs.items()}
    differ = sorted(set(mine) ^ set(theirs))
    if differ:
        report(f"{prefix}/{tag}/adapter", math.nan, 0, f"tensor names differ: {differ[:4]}")
        return
    first = load_file(str(adapter / "adapter_model.safetensors"))
    diff = max((mine[k].float() - theirs[k].float()).abs().max().item() for k in mine)
    moved = max((theirs[k].float() - first[k].float()).abs().max().item() for k in mine)
    # Adam's first update is lr * g / (|g| + eps): for an entry whose gradient is near eps (1e-8) the float32
    # rounding of g shows in the update, up to about lr * 1e-4 (measured 9.3e-7 at lr 1e-2)
    report(f"{prefix}/{tag}/adapter", diff, 3e-6, f"{len(mine)} LoRA tensors; the step moved them by up to {moved:.3g}")


def main():
    base = WORK / "base"
    hfmodels.make(str(base), "qwen2", rope={"rope_type": "default", "rope_theta": 10000.0}, seed=5, scale=0.1, layers=2)
    make_tokenizer(base)
    # TRL's tokenisation, once, for the learning-rate-0 run that saves align4j's initial adapter
    tok = trl_tokenizer(base)
    ids0 = []
    for row in text_rows():
        p = tok(row["prompt"])["input_ids"]
        ids0.append({"prompt_ids": p, "chosen_ids": tok(row["prompt"] + row["chosen"] + "</s>")["input_ids"][len(p):],
                     "rejected_ids": tok(row["prompt"] + row["rejected"] + "</s>")["input_ids"][len(p):]})
    data0 = WORK / "ids0.jsonl"
    write_ids(data0, ids0)
    init = WORK / "init"
    a4j_run(base, data0, init, 0.0, 4, 1)
    # a non-zero adapter to start from: one align4j step at a large learning rate
    moved = WORK / "moved"
    a4j_run(base, data0, moved, 0.2, 4, 1)
    cases = [("sigmoid", dict(loss_type="sigmoid")),
             ("ipo", dict(loss_type="ipo", steps=2)),
             ("hinge", dict(loss_type="hinge", steps=2)),
             ("rpo_sigmoid_sft", dict(loss_type="sigmoid,sft", weights=[1.0, 0.5])),
             ("sigmoid_accum", dict(loss_type="sigmoid", batch=2, accum=2)),
             ("sigmoid_text", dict(loss_type="sigmoid", text=True)),
             ("sigmoid_precompute", dict(loss_type="sigmoid", precompute=True)),
             ("sigmoid_from_adapter", dict(loss_type="sigmoid", start=moved / "adapter", steps=2))]
    for tag, kw in cases:
        try:
            compare(tag, base, init / "adapter", **kw)
        except Exception as e:
            report(f"dpo_step/{tag}", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
