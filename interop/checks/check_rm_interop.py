"""Reward models both ways between align4j and transformers/PEFT/TRL, compared by their scores.

Out: a full reward model `align4j rm` trained (model/, saved as AutoModelForSequenceClassification) and a
LoRA one merged (merged/) load in transformers' AutoModelForSequenceClassification; its LoRA adapter
(adapter/, task_type SEQ_CLS, `score` in modules_to_save) loads in PEFT on that class, also when the LoRA
reward model started from a CAUSAL_LM adapter that PEFT wrote (adapter_name_or_path, the SFT adapter's role). In: a full reward
model and a LoRA one that TRL's RewardTrainer trained and saved load in `align4j score` / `eval-rm`.
Each compares the scores of the same token sequences (right-padded batches; rows ending with EOS, one
with the pad id inside, lengths 1 to 9), and `align4j eval-rm`'s accuracy with the one transformers'
scores give. Also checked: the reward statistics align4j stores (config.json mean/std) are those of the
eval pairs' scores as transformers computes them (torch.std, Bessel-corrected).
"""
import contextlib
import json
import math
import sys

import torch

from a4j import WORK, cli, report
from rm_cases import (PAIRS, SCORE_SEQS, align4j_rm, align4j_scores, hf_scores, hf_tokenizer, make_base, words,
                      write_pairs)

PAD = 0


def hf_full(d):
    from transformers import AutoModelForSequenceClassification
    return AutoModelForSequenceClassification.from_pretrained(str(d), dtype=torch.float32)


def hf_lora(base, adapter):
    from peft import PeftModel
    from transformers import AutoModelForSequenceClassification
    m = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1, dtype=torch.float32)
    m.config.pad_token_id = PAD
    return PeftModel.from_pretrained(m, str(adapter))


def compare_scores(tag, model, model_dir, adapter=None, tol=1e-5):
    theirs = hf_scores(model, SCORE_SEQS, PAD)
    ours = align4j_scores(model_dir, SCORE_SEQS, adapter)
    diff = max(abs(a - b) for a, b in zip(ours, theirs))
    report(f"rm_interop/{tag}", diff, tol, f"{len(ours)} sequences; scores {', '.join(f'{x:.4f}' for x in theirs)}")


def peft_causal_adapter(base, out):
    """A CAUSAL_LM LoRA adapter as PEFT writes one (rank 4, alpha 8, every linear layer, B nonzero)."""
    from peft import LoraConfig, TaskType, get_peft_model
    from transformers import AutoModelForCausalLM
    torch.manual_seed(11)
    m = AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    pm = get_peft_model(m, LoraConfig(task_type=TaskType.CAUSAL_LM, r=4, lora_alpha=8, target_modules="all-linear",
                                      init_lora_weights=False))
    pm.save_pretrained(str(out))
    return out


def pair_ids(tok):
    """TRL's RewardTrainer tokenisation of the text pairs: prompt + completion + EOS."""
    out = []
    for p, c, r, _ in PAIRS:
        out.append((tok(words(p) + " " + words(c) + "</s>")["input_ids"], tok(words(p) + " " + words(r) + "</s>")["input_ids"]))
    return out


def trl_train(base, out, lora):
    from datasets import Dataset
    from peft import LoraConfig, TaskType
    from transformers import AutoModelForSequenceClassification
    from trl import RewardConfig, RewardTrainer
    tok = hf_tokenizer(base)
    torch.manual_seed(3)
    model = AutoModelForSequenceClassification.from_pretrained(str(base), num_labels=1, dtype=torch.float32)
    args = RewardConfig(output_dir=str(out), per_device_train_batch_size=4, max_steps=3, learning_rate=5e-2,
                        logging_steps=1, save_strategy="no", report_to=[], use_cpu=True, bf16=False,
                        gradient_checkpointing=False, seed=3, disable_tqdm=True)
    peft_config = LoraConfig(task_type=TaskType.SEQ_CLS, r=4, lora_alpha=8, target_modules="all-linear") if lora else None
    ds = Dataset.from_list(write_pairs(WORK / "rmi_trl_pairs.jsonl", False))
    with contextlib.redirect_stdout(sys.stderr):
        trainer = RewardTrainer(model=model, args=args, train_dataset=ds, processing_class=tok, peft_config=peft_config)
        trainer.train()
        trainer.save_model(str(out / "final"))
    tok.save_pretrained(str(out / "final"))
    return trainer.model


def main():
    base = make_base("rmi_base")
    data = WORK / "rmi_pairs.jsonl"
    write_pairs(data, True)
    tok = hf_tokenizer(base)
    # out: align4j -> transformers / PEFT
    for ftype in ("full", "lora"):
        try:
            out = WORK / f"rmi_a4j_{ftype}"
            align4j_rm(base, data, out, ftype, 5e-2, 4, 1, 3, 0.0, 1.0, 0.0,
                       extra=[f"eval_dataset: {data}", "merge: true"])
            if ftype == "full":
                model = hf_full(out / "model")
                compare_scores("align4j_full_in_transformers", model, out / "model")
                pairs = pair_ids(tok)
                r = hf_scores(model, [c for c, _ in pairs] + [x for _, x in pairs], PAD)
                t = torch.tensor(r, dtype=torch.float64)
                cfg = json.loads((out / "model" / "config.json").read_text())
                report("rm_interop/stats_mean_std", max(abs(cfg["mean"] - t.mean().item()), abs(cfg["std"] - t.std().item())),
                       1e-5, f"config.json mean {cfg['mean']:.5f} std {cfg['std']:.5f} vs torch over the eval pairs' "
                       f"{len(r)} scores {t.mean().item():.5f} {t.std().item():.5f}")
            else:
                compare_scores("align4j_lora_in_peft", hf_lora(base, out / "adapter"), base, out / "adapter")
                compare_scores("align4j_lora_merged_in_transformers", hf_full(out / "merged"), out / "merged")
        except Exception as e:
            report(f"rm_interop/align4j_{ftype}", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)
    # out, started from an adapter: a CAUSAL_LM LoRA adapter that PEFT wrote (the SFT adapter's role) starts
    # align4j's LoRA reward model (adapter_name_or_path); the SEQ_CLS adapter it writes loads in PEFT
    try:
        start = peft_causal_adapter(base, WORK / "rmi_start")
        out = WORK / "rmi_a4j_from_adapter"
        align4j_rm(base, data, out, "lora", 5e-2, 4, 1, 3, 0.0, 1.0, 0.0,
                   extra=[f"eval_dataset: {data}", f"adapter_name_or_path: {start}"])
        cfg = json.loads((out / "adapter" / "adapter_config.json").read_text())
        compare_scores("align4j_lora_from_peft_adapter_in_peft", hf_lora(base, out / "adapter"), base, out / "adapter")
        report("rm_interop/from_adapter_config", 0.0, 0.0, f"task_type {cfg['task_type']}, r {cfg['r']}, "
               f"modules_to_save {cfg['modules_to_save']}", passed=cfg["task_type"] == "SEQ_CLS" and cfg["r"] == 4
               and "score" in cfg["modules_to_save"])
    except Exception as e:
        report("rm_interop/align4j_lora_from_adapter", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
        print(e, file=sys.stderr)
    # in: TRL -> align4j
    for lora in (False, True):
        tag = "trl_lora" if lora else "trl_full"
        try:
            out = WORK / f"rmi_{tag}"
            model = trl_train(base, out, lora)
            if lora:
                compare_scores(f"{tag}_in_align4j", hf_lora(base, out / "final"), base, out / "final")
                args = ["--model", base, "--adapter", out / "final"]
            else:
                compare_scores(f"{tag}_in_align4j", hf_full(out / "final"), out / "final")
                args = ["--model", out / "final"]
            pairs = pair_ids(tok)
            r = hf_scores(model, [c for c, _ in pairs] + [x for _, x in pairs], PAD)
            acc = sum(r[i] > r[len(pairs) + i] for i in range(len(pairs))) / len(pairs)
            ours = json.loads(cli("eval-rm", *args, "--data", data).strip().splitlines()[-1])
            report(f"rm_interop/{tag}_eval_accuracy", abs(ours["accuracy"] - acc), 0,
                   f"align4j eval-rm {ours['accuracy']} vs transformers' scores {acc} over {ours['pairs']} pairs")
        except Exception as e:
            report(f"rm_interop/{tag}", math.nan, 0, f"error: {e}".replace("\n", " ")[:300])
            print(e, file=sys.stderr)


if __name__ == "__main__":
    main()
