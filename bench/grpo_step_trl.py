"""The TRL side of `align4j bench rl`: TRL 1.13's own GRPOTrainer, run for warmup + steps optimizer steps
on the same model directory (written by `align4j tiny`, loaded with transformers), the same prompts
(a JSONL of {"prompt": text}, plain text, no chat template) and the same settings as align4j's GRPO
child: LoRA r16/alpha32 on every linear layer (PEFT "all-linear", dropout 0), float32, num_generations
prompts x generations rows per step (one generation batch per optimizer step, one micro-batch),
max_completion_length, temperature 1, beta (the k3 term against the adapters-off reference), loss_type
dapo, epsilon 0.2, learning rate 1e-5, the rule reward min(1, len(completion) / 100) of bench rl.

Times: each optimizer step (a TrainerCallback's on_step_begin/on_step_end, so a step includes its own
generation, scoring and reference forwards), and TRL's generation call (`_generate_single_turn`,
wrapped) for the tokens/s of sampling. Prints one JSON line on stdout; the rest goes to stderr.
"""
import argparse
import json
import os
import resource
import sys
import time

import torch


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def length_reward(completions, **kwargs):
    return [min(1.0, len(c) / 100.0) for c in completions]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--prompts", required=True)
    ap.add_argument("--prompts-per-step", type=int, default=2)
    ap.add_argument("--generations", type=int, default=4)
    ap.add_argument("--new-tokens", type=int, default=24)
    ap.add_argument("--beta", type=float, default=0.04)
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset
    from peft import LoraConfig
    from transformers import AutoModelForCausalLM, AutoTokenizer, TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    rows = [json.loads(line) for line in open(a.prompts) if line.strip()]
    total = a.warmup + a.steps
    need = total * a.prompts_per_step
    prompts = [rows[i % len(rows)]["prompt"] for i in range(need)]
    ds = Dataset.from_list([{"prompt": p} for p in prompts])
    tok = AutoTokenizer.from_pretrained(a.model)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(a.model, dtype=torch.float32, attn_implementation="sdpa")
    rows_per_step = a.prompts_per_step * a.generations
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "align4j-bench-grpo-trl")
    cfg = GRPOConfig(output_dir=out, per_device_train_batch_size=rows_per_step, gradient_accumulation_steps=1,
                     num_generations=a.generations, max_completion_length=a.new_tokens, temperature=1.0,
                     beta=a.beta, loss_type="dapo", epsilon=0.2, learning_rate=1e-5, max_steps=total,
                     num_iterations=1, logging_steps=1, save_strategy="no", report_to=[], use_cpu=True,
                     shuffle_dataset=False, seed=0, disable_dropout=True, bf16=False, fp16=False,
                     dataloader_num_workers=0)
    peft_cfg = LoraConfig(r=16, lora_alpha=32, lora_dropout=0.0, target_modules="all-linear", task_type="CAUSAL_LM")
    trainer = GRPOTrainer(model=model, reward_funcs=[length_reward], args=cfg, train_dataset=ds,
                          processing_class=tok, peft_config=peft_cfg)

    gen = {"s": 0.0, "cpu": 0.0, "tokens": 0, "calls": 0}
    measuring = {"on": False}
    inner = trainer._generate_single_turn

    def timed_generate(*args, **kwargs):
        t0 = time.perf_counter()
        c0 = time.process_time()
        ids, logprobs = inner(*args, **kwargs)
        if measuring["on"]:
            gen["s"] += time.perf_counter() - t0
            gen["cpu"] += time.process_time() - c0
            gen["tokens"] += sum(len(c) for c in ids)
            gen["calls"] += 1
        return ids, logprobs

    trainer._generate_single_turn = timed_generate
    steps = []

    class Timer(TrainerCallback):
        def on_step_begin(self, args, state, control, **kw):
            measuring["on"] = state.global_step >= a.warmup
            self.t0 = time.perf_counter()
            self.c0 = time.process_time()

        def on_step_end(self, args, state, control, **kw):
            if state.global_step > a.warmup:
                steps.append((time.perf_counter() - self.t0, time.process_time() - self.c0))

    trainer.add_callback(Timer())
    trainable = sum(p.numel() for p in trainer.model.parameters() if p.requires_grad)
    setup_rss = status_mib("VmRSS")
    trainer.train()
    wall = [w for w, _ in steps]
    cpu = [c for _, c in steps]
    print(json.dumps({
        "side": "trl", "algo": "grpo", "rows": rows_per_step, "steps": len(steps),
        "step_ms": 1000 * sum(wall) / max(1, len(wall)), "cpu_ms": 1000 * sum(cpu) / max(1, len(cpu)),
        "gen_tokens_per_s": gen["tokens"] / gen["s"] if gen["s"] > 0 else float("nan"),
        "gen_ms": 1000 * gen["s"] / max(1, len(steps)),
        "gen_cpu_ms": 1000 * gen["cpu"] / max(1, len(steps)),
        "mean_completion": gen["tokens"] / max(1, gen["calls"] * rows_per_step),
        "setup_rss_mib": setup_rss, "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        "trainable": trainable, "threads": torch.get_num_threads(),
        "versions": {"torch": torch.__version__, "trl": __import__("trl").__version__},
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
