"""Shared pieces of the reward-model checks: a tiny transformers-made Qwen2 base with a word-level
tokenizer, text preference pairs, `align4j rm` runs from a recipe, and transformers/PEFT scoring."""
import json

import torch

import hfmodels
from a4j import WORK, cli
from word_vocab import make_tokenizer as write_tokenizer, words

# (prompt words, chosen words, rejected words, margin); different lengths so right padding matters
PAIRS = [
    ([5, 9, 12], [20, 21, 22], [30], 0.5),
    ([7, 7, 30, 31], [41, 8], [42, 43, 44, 45], 0.0),
    ([50], [51, 52, 53, 54, 55], [56, 57], 1.0),
    ([11, 13, 17], [23, 29], [31, 37, 41], 0.25),
]






def hf_tokenizer(d):
    # not AutoTokenizer: transformers 5 rebuilds a byte-level BPE around a word-level vocabulary
    from transformers import PreTrainedTokenizerFast
    return PreTrainedTokenizerFast(tokenizer_file=str(d / "tokenizer.json"), eos_token="</s>", pad_token="<pad>")


def make_base(name="rm_base", family="qwen2"):
    base = WORK / name
    hfmodels.make(str(base), family, rope={"rope_type": "default", "rope_theta": 10000.0}, seed=5, scale=0.1, layers=2)
    write_tokenizer(base, specials=["<pad>", "</s>", "USER", "ASSISTANT"])
    return base


def write_pairs(path, margins):
    rows = []
    for p, c, r, m in PAIRS:
        row = {"prompt": words(p), "chosen": " " + words(c), "rejected": " " + words(r)}
        if margins:
            row["margin"] = m
        rows.append(row)
    path.write_text("".join(json.dumps(x) + "\n" for x in rows))
    return rows


def align4j_rm(base, data, out, ftype, lr, batch, accum, steps, wd, clip, center=0.0, extra=()):
    recipe = WORK / f"{out.name}.yaml"
    recipe.write_text("\n".join([
        f"model_name_or_path: {base}", f"dataset: {data}", f"finetuning_type: {ftype}",
        "lora_rank: 4", "lora_alpha: 8", "lora_dropout: 0.0", "lora_target: all",
        f"per_device_train_batch_size: {batch}", f"gradient_accumulation_steps: {accum}",
        f"learning_rate: {lr}", "lr_scheduler_type: constant", "warmup_steps: 0", f"max_steps: {steps}",
        f"max_grad_norm: {clip}", f"weight_decay: {wd}", "seed: 7", f"output_dir: {out}", "save_steps: 0",
        "eval_steps: 0", "precision: float32", f"center_rewards_coefficient: {center}", *extra, ""]))
    cli("rm", "--config", recipe)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if "loss" in r and "eval_loss" not in r]


def hf_scores(model, seqs, pad_id):
    """transformers' pooled logits of right-padded rows."""
    t = max(len(s) for s in seqs)
    ids = torch.tensor([s + [pad_id] * (t - len(s)) for s in seqs])
    mask = torch.tensor([[1] * len(s) + [0] * (t - len(s)) for s in seqs])
    model.eval()
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask).logits[:, 0].tolist()


def align4j_scores(model_dir, seqs, adapter=None):
    f = WORK / "score_in.jsonl"
    f.write_text("".join(json.dumps({"ids": s}) + "\n" for s in seqs))
    args = ["score", "--model", model_dir, "--input", f, "--batch-size", "3"]
    if adapter is not None:
        args += ["--adapter", adapter]
    out = cli(*args)
    return [json.loads(line)["score"] for line in out.splitlines() if line.strip()]


# sequences to score: unpadded lengths 1..9, one ending with EOS (id 1) and one with pad (id 0) inside
SCORE_SEQS = [[5, 9, 12, 20, 21, 22, 1], [7], [50, 51, 52, 53, 54, 55, 56, 57, 1], [11, 0, 13, 17, 23], [40, 41, 42]]
