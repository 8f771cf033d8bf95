"""One `align4j sft` step equals one step of TRL's SFTTrainer.

Same tiny transformers-made Qwen2 model, same LoRA initial weights (align4j's initial adapter, saved in
PEFT format by a learning-rate-0 run, loaded into PEFT), same four prompt-completion conversations
(loss on the completion only: TRL's completion mask, align4j's assistant mask), dropout 0, AdamW
(betas 0.9/0.999, eps 1e-8, weight decay 0.1 on every LoRA matrix on both sides), constant learning
rate, gradient clipping at 0.5 (active: the norm is about 0.8). Compared: each step's loss, the gradient
norm before clipping, and every updated adapter tensor. Runs: one batch of 4 (no accumulation); 2 x 2
with gradient accumulation, where both normalise the loss by the target tokens of the whole accumulated
batch (transformers' Trainer passes num_items_in_batch; align4j does so by design); and two steps,
since Adam's first update is nearly sign(gradient) and the second one depends on gradient magnitudes.

Where the two differ on purpose: a template that writes text after the end-of-turn token (ChatML/Qwen
write "\n" after <|im_end|>; here a word NL after </s>). TRL's completion mask is everything after the
prompt, NL included; align4j trains the assistant turn up to its end-of-turn token only (the model never
generates what follows). The check shows the losses differ by default, and agree once TRL is given
align4j's mask (a pre-tokenized dataset with input_ids and completion_mask).
"""
import contextlib
import json
import math
import sys

import torch
from safetensors.torch import load_file

import hfmodels
from a4j import WORK, cli, report
from word_vocab import SPECIALS, TEMPLATE, make_tokenizer as write_tokenizer, words

TEMPLATE_NL = TEMPLATE.replace("{{ eos_token }} {% endif", "{{ eos_token }} NL {% endif")
EXAMPLES = [  # (prompt words, completion words); different lengths so padding matters
    ([5, 9, 12], [20, 21, 22, 23]),
    ([7, 7, 30, 31, 40], [41, 8]),
    ([50], [51, 52, 53, 54, 55, 56]),
    ([11, 13, 17, 19], [23, 29, 31]),
]
LR, WD, CLIP = 1e-2, 0.1, 0.5






def align4j_steps(base, data, out, lr, batch, accum, steps=1):
    recipe = WORK / "recipe.yaml"
    recipe.write_text("\n".join([
        f"model_name_or_path: {base}", f"dataset: {data}", "formatting: openai", "finetuning_type: lora",
        "lora_rank: 4", "lora_alpha: 8", "lora_dropout: 0.0", "lora_target: all",
        f"per_device_train_batch_size: {batch}", f"gradient_accumulation_steps: {accum}",
        f"learning_rate: {lr}", "lr_scheduler_type: constant", "warmup_steps: 0", f"max_steps: {steps}",
        f"max_grad_norm: {CLIP}", f"weight_decay: {WD}", "seed: 7", f"output_dir: {out}", "save_steps: 0",
        "eval_steps: 0", "precision: float32", ""]))
    cli("sft", "--config", recipe)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "loss" in r and "eval_loss" not in r]


def aligned_rows(tok):
    """TRL's own ids with align4j's mask: the completion up to and including the first </s>."""
    eos = tok.convert_tokens_to_ids("</s>")
    rows = []
    for p, c in EXAMPLES:
        prompt = [{"role": "user", "content": words(p)}]
        full = prompt + [{"role": "assistant", "content": words(c)}]
        pids = tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True)["input_ids"]
        ids = tok.apply_chat_template(full, tokenize=True)["input_ids"]
        end = ids.index(eos, len(pids)) + 1
        rows.append({"input_ids": ids, "completion_mask": [0] * len(pids) + [1] * (end - len(pids)) + [0] * (len(ids) - end)})
    return rows


def trl_steps(base, init_adapter, out, batch, accum, steps=1, template=TEMPLATE, align4j_mask=False):
    from datasets import Dataset
    from peft import PeftModel
    from transformers import PreTrainedTokenizerFast
    from trl import SFTConfig, SFTTrainer
    # not AutoTokenizer: transformers 5 picks Qwen2Tokenizer from config.json's model_type and rebuilds a
    # byte-level BPE around our word-level vocabulary, dropping every word
    tok = PreTrainedTokenizerFast(tokenizer_file=str(base / "tokenizer.json"), eos_token="</s>", pad_token="<pad>")
    tok.chat_template = template
    model = hfmodels.load(str(base), torch.float32)
    model = PeftModel.from_pretrained(model, str(init_adapter), is_trainable=True)
    ds = Dataset.from_list(aligned_rows(tok) if align4j_mask else [
        {"prompt": [{"role": "user", "content": words(p)}], "completion": [{"role": "assistant", "content": words(c)}]}
        for p, c in EXAMPLES])
    args = SFTConfig(output_dir=str(out), per_device_train_batch_size=batch, gradient_accumulation_steps=accum,
                     max_steps=steps, learning_rate=LR, lr_scheduler_type="constant", warmup_steps=0,
                     weight_decay=WD, adam_beta1=0.9, adam_beta2=0.999, adam_epsilon=1e-8, optim="adamw_torch",
                     max_grad_norm=CLIP, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                     bf16=False, fp16=False, gradient_checkpointing=False, completion_only_loss=True,
                     dataloader_num_workers=0, seed=7, disable_tqdm=True)
    with contextlib.redirect_stdout(sys.stderr):  # the Trainer prints its logs; stdout is for results
        trainer = SFTTrainer(model=model, args=args, train_dataset=ds, processing_class=tok)
        trainer.train()
    return trainer.model, [h for h in trainer.state.log_history if "loss" in h and "grad_norm" in h]


def compare(tag, base, data, init_adapter, batch, accum, steps, **trl_kwargs):
    out = WORK / f"a4j_{tag}"
    a4j = align4j_steps(base, data, out, LR, batch, accum, steps)
    model, logs = trl_steps(base, init_adapter, WORK / f"trl_{tag}", batch, accum, steps, **trl_kwargs)
    detail = f"batch {batch} x accumulation {accum}, lr {LR}, weight decay {WD}, clip {CLIP}"
    if len(a4j) != steps or len(logs) != steps:
        report(f"sft_step/{tag}", math.nan, 0, f"expected {steps} logged steps, got align4j {len(a4j)}, TRL {len(logs)}")
        return
    for i, (ours_row, log) in enumerate(zip(a4j, logs), start=1):
        report(f"sft_step/{tag}/step{i}/loss", abs(ours_row["loss"] - log["loss"]), 2e-5,
               f"align4j {ours_row['loss']:.6f} vs TRL {log['loss']:.6f}; {detail}")
        report(f"sft_step/{tag}/step{i}/grad_norm",
               abs(ours_row["grad_norm"] - log["grad_norm"]) / max(log["grad_norm"], 1e-12), 1e-4,
               f"relative; align4j {ours_row['grad_norm']:.6f} vs TRL {log['grad_norm']:.6f} (before clipping)")
    ours = load_file(str(out / "adapter" / "adapter_model.safetensors"))
    theirs = {k.replace(".default", ""): v for k, v in model.state_dict().items() if "lora_" in k}
    theirs = {("base_model.model." + k if not k.startswith("base_model.model.") else k): v for k, v in theirs.items()}
    missing = sorted(set(ours) ^ set(theirs))
    if missing:
        report(f"sft_step/{tag}/adapter", math.nan, 0, f"tensor names differ: {missing[:4]}")
        return
    init = load_file(str(init_adapter / "adapter_model.safetensors"))
    diff = max((ours[k].float() - theirs[k].float()).abs().max().item() for k in ours)
    moved = max((theirs[k].float() - init[k].float()).abs().max().item() for k in ours)
    report(f"sft_step/{tag}/adapter", diff, 1e-6,
           f"{len(ours)} LoRA tensors after {steps} step(s); training moved them by up to {moved:.3g}")


def main():
    base = WORK / "base"
    hfmodels.make(str(base), "qwen2", rope={"rope_type": "default", "rope_theta": 10000.0}, seed=5, scale=0.1,
                  layers=2)
    write_tokenizer(base, TEMPLATE)
    data = WORK / "train.jsonl"
    data.write_text("".join(json.dumps({"messages": [{"role": "user", "content": words(p)},
                                                     {"role": "assistant", "content": words(c)}]}) + "\n"
                            for p, c in EXAMPLES))
    init = WORK / "init"
    align4j_steps(base, data, init, 0.0, 4, 1)  # learning rate 0: the adapter saved is the initial one
    for tag, batch, accum, steps in (("batch4", 4, 1, 1), ("batch2_accum2", 2, 2, 1), ("batch4_2steps", 4, 1, 2)):
        try:
            compare(tag, base, data, init / "adapter", batch, accum, steps)
        except Exception as e:
            report(f"sft_step/{tag}", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)
    try:
        trailing_text(base, data, init / "adapter")
    except Exception as e:
        report("sft_step/trailing_text", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
        print(e, file=sys.stderr)


def trailing_text(base, data, init_adapter):
    """The deliberate difference: text after the end-of-turn token; equal once TRL gets align4j's mask."""
    import shutil
    nl = WORK / "base_nl"
    shutil.copytree(base, nl)
    write_tokenizer(nl, TEMPLATE_NL)
    a4j = align4j_steps(nl, data, WORK / "a4j_nl", LR, 4, 1)[0]
    _, logs = trl_steps(nl, init_adapter, WORK / "trl_nl_default", 4, 1, template=TEMPLATE_NL)
    gap = abs(a4j["loss"] - logs[0]["loss"])
    report("sft_step/trailing_text/trl_default_differs", gap, 1e-3,
           f"expected to differ: TRL also trains the NL after </s> (align4j {a4j['loss']:.6f}, TRL {logs[0]['loss']:.6f})",
           passed=gap > 1e-3)
    compare("trailing_text_aligned", nl, data, init_adapter, 4, 1, 1, template=TEMPLATE_NL, align4j_mask=True)


if __name__ == "__main__":
    main()
