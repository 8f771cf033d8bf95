"""When are the old log-probs a separate forward? TRL 1.13's GRPOTrainer against `align4j grpo`.

TRL computes `old_per_token_logps` with its own forward in `_generate_and_score_completions` unless
`gradient_accumulation_steps % (steps_per_generation * num_iterations) == 0`, i.e. unless a generation
batch feeds exactly one optimizer step; otherwise `_compute_loss` uses `per_token_logps.detach()`.
align4j skips the rollout's policy forward in the same cases (`RlLoop.reusesUpdateLogProbs`). For four
schedules (num_iterations, gradient_accumulation_steps, steps_per_generation), the real GRPOTrainer
runs one step on a tiny random model and reports whether the loss received old log-probs; `align4j
grpo` runs the same schedule (rows per rollout = per_device_train_batch_size x steps_per_generation)
and says which path it took. One result per schedule: pass when the two agree.
"""
import contextlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from a4j import WORK, cli, report  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
# (num_iterations, gradient_accumulation_steps, steps_per_generation)
SCHEDULES = [(1, 1, 1), (2, 1, 1), (1, 1, 2), (1, 2, 2)]
PER_DEVICE = 4
GENERATIONS = 2


def trl_separate(model, prompts, k, g, s):
    """Whether TRL's loss got old log-probs from a separate forward (True) or reused its own (False)."""
    import torch
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer

    torch.manual_seed(0)
    tok = AutoTokenizer.from_pretrained(model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    m = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    cfg = GRPOConfig(output_dir=str(WORK / "rl_old_trl"), per_device_train_batch_size=PER_DEVICE,
                     gradient_accumulation_steps=g, steps_per_generation=s, num_iterations=k,
                     num_generations=GENERATIONS, max_completion_length=4, max_steps=1, beta=0.04,
                     loss_type="dapo", learning_rate=1e-5, save_strategy="no", report_to=[], use_cpu=True,
                     logging_steps=1, seed=0, disable_dropout=True, bf16=False, fp16=False,
                     dataloader_num_workers=0)
    ds = Dataset.from_list([{"prompt": p} for p in prompts])
    trainer = GRPOTrainer(model=m, reward_funcs=[lambda completions, **kw: [len(c) / 10.0 for c in completions]],
                          args=cfg, train_dataset=ds, processing_class=tok,
                          peft_config=LoraConfig(r=4, lora_alpha=8, target_modules="all-linear",
                                                 task_type="CAUSAL_LM"))
    seen = []
    inner = trainer._compute_loss

    def spy(model, inputs):
        seen.append(inputs.get("old_per_token_logps") is not None)
        return inner(model, inputs)

    trainer._compute_loss = spy
    with contextlib.redirect_stdout(sys.stderr):   # the trainer's log lines are not results
        trainer.train()
    if not seen or len(set(seen)) != 1:
        raise RuntimeError(f"TRL: unexpected calls of _compute_loss: {seen}")
    return seen[0]


def align4j_separate(model, data, k, g, s):
    """Which path `align4j grpo` took on the same schedule, from its stderr line."""
    rows = PER_DEVICE * s
    out = WORK / f"rl_old_a4j_{k}_{g}_{s}"
    recipe = WORK / f"rl_old_{k}_{g}_{s}.yaml"
    recipe.write_text(
        f"model_name_or_path: {model}\ndataset: {data}\nreward: incident_judge\nmax_completion_length: 4\n"
        f"prompts_per_rollout: {rows // GENERATIONS}\nnum_generations: {GENERATIONS}\n"
        f"per_device_train_batch_size: {PER_DEVICE}\ngradient_accumulation_steps: {g}\nnum_iterations: {k}\n"
        f"num_mini_batches: {rows // (PER_DEVICE * g)}\n"
        f"max_steps: 1\nlora_rank: 4\nlora_alpha: 8\nbeta: 0.04\nlearning_rate: 1.0e-5\noutput_dir: {out}\n")
    p = cli("grpo", "--config", recipe, "--device", "cpu", check=False)
    if p.returncode != 0:
        raise RuntimeError(f"align4j grpo exited {p.returncode}:\n{p.stderr}")
    lines = [line for line in p.stderr.splitlines() if line.startswith("rl: old log-probs:")]
    if not lines:
        raise RuntimeError("align4j grpo printed no 'rl: old log-probs:' line:\n" + p.stderr[-2000:])
    return "rollout's policy forward" in lines[0]


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    model = WORK / "rl_old_model"
    if not (model / "config.json").exists():
        cli("tiny", "--family", "llama", "--hidden", "32", "--intermediate", "64", "--layers", "2", "--heads", "2",
            "--kv-heads", "1", "--tokenizer", ROOT / "recipes/assets/tokenizers/qwen3", "--out", model)
    data = WORK / "rl_old_incident.jsonl"
    cli("data", "incident", "--out", data, "--examples", "16")
    prompts = [json.loads(line)["instruction"] for line in data.read_text(encoding="utf-8").splitlines() if line]
    for k, g, s in SCHEDULES:
        name = f"rl_old_logprobs num_iterations={k} grad_accum={g} steps_per_generation={s}"
        try:
            trl = trl_separate(model, prompts, k, g, s)
            ours = align4j_separate(model, data, k, g, s)
        except Exception as e:  # one failed schedule is a failed result, not a crash of the harness
            report(name, float("nan"), 0.0, f"error: {e}"[:500], passed=False)
            continue
        detail = (f"TRL: {'separate forward' if trl else 'per_token_logps.detach()'}; align4j: "
                  f"{'rollout policy forward' if ours else 'update log-probs, rollout forward skipped'}")
        report(name, 0.0 if trl == ours else 1.0, 0.0, detail)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
