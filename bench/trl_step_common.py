"""Shared parts of bench/rm_step_trl.py and bench/dpo_step_trl.py (the TRL side of `align4j bench rm|dpo`).

The model is a random Llama of the given shape (SmolLM2-135M by default, as align4j's bench builds it),
float32, sdpa attention, LoRA r16/alpha32 on every linear layer (PEFT "all-linear"). The step is what
transformers' Trainer does for one batch: TRL's own compute_loss, backward, clip_grad_norm_(1.0),
torch AdamW (lr 1e-4, betas 0.9/0.999, eps 1e-8, no weight decay), zero_grad. TRL's compute_loss is
called on a trainer object that carries only the attributes it reads (no dataset, tokenizer or
accelerate launch), so the loss code timed is TRL's, not a copy.
"""
import json
import time
from collections import defaultdict
from types import SimpleNamespace

import torch


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def llama_config(shape):
    from transformers import LlamaConfig
    if shape == "tiny":
        cfg = LlamaConfig(vocab_size=1024, hidden_size=128, intermediate_size=384, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-5,
                          rope_theta=10000.0, max_position_embeddings=2048, tie_word_embeddings=True)
    else:
        cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                          num_attention_heads=9, num_key_value_heads=3, head_dim=64, rms_norm_eps=1e-5,
                          rope_theta=100000.0, max_position_embeddings=8192, tie_word_embeddings=True)
    cfg.pad_token_id = 0
    cfg._attn_implementation = "sdpa"
    return cfg


class _Accelerator:
    """What compute_loss asks of accelerate on one CPU process."""
    device = torch.device("cpu")

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def unwrap_model(self, m):
        return m


def stub_trainer(cls, model, **attrs):
    """An instance of TRL's trainer class `cls` without its __init__: only what compute_loss reads."""
    t = cls.__new__(cls)
    t.__dict__.update(model=model, accelerator=_Accelerator(), _metrics={"train": defaultdict(list),
                      "eval": defaultdict(list)}, _total_train_tokens=0, _tp_size=1, **attrs)
    return t


def random_ids(g, vocab, rows, n):
    return torch.randint(1, vocab, (rows, n), generator=g)   # never the pad id 0


def timed_steps(model, loss_fn, warmup, steps):
    """Runs warmup + steps training steps; returns per-step wall ms, CPU ms and the last loss."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    wall, cpu, loss_value = [], [], float("nan")
    for s in range(warmup + steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        loss = loss_fn()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss_value = loss.item()
        t1 = time.perf_counter()
        c1 = time.process_time()
        del loss
        if s >= warmup:
            wall.append((t1 - t0) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    return wall, cpu, loss_value, sum(p.numel() for p in params)


def report(mode, pairs, seq, wall, cpu, loss, trainable):
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(json.dumps({"side": "trl", "mode": mode, "pairs": pairs, "seq": seq, "step_ms": med(wall),
                      "cpu_ms": med(cpu), "peak_rss_mib": status_mib("VmHWM:"), "trainable": trainable,
                      "loss": loss, "threads": torch.get_num_threads(), "torch": torch.__version__}))


def common_args(ap):
    ap.add_argument("--shape", default="smollm2-135m", choices=["smollm2-135m", "tiny"])
    ap.add_argument("--batch", type=int, default=4, help="pairs per step")
    ap.add_argument("--seq", type=int, default=256, help="tokens per sequence")
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)


def stub_args(**kw):
    return SimpleNamespace(**kw)
