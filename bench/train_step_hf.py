"""One training step of transformers + PEFT, the anchor of `align4j bench compare`.

Builds a random Llama model of the given shape (SmolLM2-135M by default), wraps it in PEFT LoRA
(r, alpha on every linear layer: target_modules="all-linear", as align4j's "all-linear") or trains
every parameter (full), and times forward + backward + AdamW on random token ids, the loss being
transformers' own causal-LM loss (labels = input ids). Prints one JSON line on stdout:
{"method", "precision", "batch", "seq", "step_ms": [...], "phase_ms": {...}, "peak_rss_mib", ...}.

Precision bfloat16 follows what a user of transformers writes: the model is loaded in bfloat16
(torch_dtype=torch.bfloat16); LoRA weights are created in float32 by PEFT (autocast_adapter_dtype),
full fine-tuning trains the bfloat16 weights directly (no float32 masters). --pure-bf16 (align4j's
master_weights none) keeps LoRA's weights in bfloat16 too (autocast_adapter_dtype=False); full
fine-tuning is pure bfloat16 either way. --fused-adamw uses torch.optim.AdamW(fused=True), transformers'
Trainer default (adamw_torch_fused) and align4j's update; without it torch.optim.AdamW() runs its
single-tensor path on CPU.
"""
import argparse
import json
import os
import sys
import time

import torch


def status_mib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def reset_peak_rss():
    """Resets VmHWM (Linux clear_refs 5), so that the peak of the steps alone can be read."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


class MemPhases:
    """--mem-phases: per phase of a step, the peak RSS during it (VmHWM reset as it starts), RSS and glibc's
    live malloc bytes (mallinfo2: arenas in use plus mmapped chunks) as it ends, and the largest live-bytes
    sample of a thread that reads them every millisecond; the same lines as align4j's
    -Dalign4j.bench.memPhases=true, on stderr."""

    def __init__(self, on):
        self.on = on
        if not on:
            return
        import ctypes
        import threading

        class MallInfo2(ctypes.Structure):
            _fields_ = [(n, ctypes.c_size_t) for n in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                       "fsmblks", "uordblks", "fordblks", "keepcost")]
        libc = ctypes.CDLL("libc.so.6")
        libc.mallinfo2.restype = MallInfo2

        def live():
            i = libc.mallinfo2()
            return i.uordblks + i.hblkhd
        self.live = live
        self.peak = 0
        self.step = 0
        self.phase = None

        def sample():
            while True:
                self.peak = max(self.peak, live())
                time.sleep(0.001)
        threading.Thread(target=sample, daemon=True).start()

    def start(self, step, phase):
        if self.on:
            self.step = step
            self._begin(phase)

    def next(self, phase):
        if self.on:
            self._report()
            self._begin(phase)

    def end(self):
        if self.on:
            self._report()

    def _begin(self, phase):
        self.phase = phase
        mib = 1024.0 * 1024.0
        print("MEM\tstep %d\t%-16s start\tlive %8.1f MiB\trss %8.1f MiB" % (self.step, phase, self.live() / mib,
              status_mib("VmRSS:")), file=sys.stderr)
        reset_peak_rss()
        self.peak = self.live()

    def _report(self):
        mib = 1024.0 * 1024.0
        now = self.live()
        print("MEM\tstep %d\t%-16s end  \tlive %8.1f MiB\trss %8.1f MiB\tpeak %8.1f MiB\tlive peak %8.1f MiB"
              % (self.step, self.phase, now / mib, status_mib("VmRSS:"), status_mib("VmHWM:"),
                 max(self.peak, now) / mib), file=sys.stderr)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--method", default="lora", choices=["lora", "full"])
    ap.add_argument("--precision", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--batch", type=int, default=1)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--shape", default="smollm2-135m", choices=["smollm2-135m", "tiny"])
    ap.add_argument("--profile", action="store_true", help="print torch.profiler's op table to stderr")
    ap.add_argument("--trace", default=None,
                    help="with --profile: also write the profiled step's Chrome trace here (bench/profile_ops.py reads it)")
    ap.add_argument("--checkpointing", action="store_true",
                    help="gradient checkpointing per decoder layer (non-reentrant, as TRL configures it)")
    ap.add_argument("--pure-bf16", action="store_true",
                    help="with --precision bfloat16: LoRA weights in bfloat16 too (autocast_adapter_dtype=False)")
    ap.add_argument("--fused-adamw", action="store_true",
                    help="torch.optim.AdamW(fused=True), the Trainer's default optimizer (default: AdamW())")
    ap.add_argument("--mem-phases", action="store_true",
                    help="memory per phase of each step on stderr (resets VmHWM: peak_rss_mib then covers the last phase)")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    from transformers import LlamaConfig, LlamaForCausalLM
    if a.shape == "tiny":
        cfg = LlamaConfig(vocab_size=1024, hidden_size=128, intermediate_size=384, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, head_dim=32, rms_norm_eps=1e-5,
                          rope_theta=10000.0, max_position_embeddings=2048, tie_word_embeddings=True)
    else:
        cfg = LlamaConfig(vocab_size=49152, hidden_size=576, intermediate_size=1536, num_hidden_layers=30,
                          num_attention_heads=9, num_key_value_heads=3, head_dim=64, rms_norm_eps=1e-5,
                          rope_theta=100000.0, max_position_embeddings=8192, tie_word_embeddings=True)
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(0)
    dtype = torch.bfloat16 if a.precision == "bfloat16" else torch.float32
    model = LlamaForCausalLM(cfg).to(dtype)
    if a.checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if a.method == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=16, lora_alpha=32, target_modules="all-linear",
                                                 lora_dropout=0.0, task_type="CAUSAL_LM"),
                               autocast_adapter_dtype=not a.pure_bf16)
    else:
        for p in model.parameters():
            p.requires_grad_(True)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    trainable = sum(p.numel() for p in params)
    opt = torch.optim.AdamW(params, lr=1e-4, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                            **({"fused": True} if a.fused_adamw else {}))
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, cfg.vocab_size, (a.batch, a.seq), generator=g)
    import gc
    gc.collect()
    setup_rss = status_mib("VmRSS:")
    peak_setup = status_mib("VmHWM:")
    reset = reset_peak_rss()
    times, fwd, bwd, optim, cpu = [], [], [], [], []
    mem = MemPhases(a.mem_phases)
    for s in range(a.warmup + a.steps):
        mem.start(s, "forward")
        c0 = time.process_time()
        t0 = time.perf_counter()
        out = model(input_ids=ids, labels=ids)
        loss = out.loss
        t1 = time.perf_counter()
        mem.next("backward")
        loss.backward()
        t2 = time.perf_counter()
        mem.next("optimizer")
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        mem.end()
        c1 = time.process_time()
        loss_value = loss.item()
        del out, loss
        if s >= a.warmup:
            times.append((t3 - t0) * 1e3)
            fwd.append((t1 - t0) * 1e3)
            bwd.append((t2 - t1) * 1e3)
            optim.append((t3 - t2) * 1e3)
            cpu.append((c1 - c0) * 1e3)
    if a.profile:
        from torch.profiler import profile, ProfilerActivity
        c0, t0 = time.process_time(), time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU], record_shapes=a.trace is not None) as prof:
            out = model(input_ids=ids, labels=ids)
            out.loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        # the profiled step's CPU time: bench/profile_compare.py scales the trace's self times to it
        print("PROFILE\tcpu_ms %.1f\twall_ms %.1f" % ((time.process_time() - c0) * 1e3,
                                                      (time.perf_counter() - t0) * 1e3), file=sys.stderr)
        print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=40), file=sys.stderr)
        if a.trace:
            prof.export_chrome_trace(a.trace)
    med = lambda xs: sorted(xs)[len(xs) // 2]
    print(json.dumps({
        "side": "transformers+peft", "method": a.method, "precision": a.precision, "batch": a.batch,
        "seq": a.seq, "step_ms": times, "median_ms": med(times),
        "phase_ms": {"forward": med(fwd), "backward": med(bwd), "optimizer": med(optim)}, "cpu_ms": med(cpu),
        "trainable": trainable, "setup_rss_mib": setup_rss,
        "peak_rss_mib": max(peak_setup, status_mib("VmHWM:")),
        "step_peak_rss_mib": status_mib("VmHWM:") if reset else float("nan"), "loss": loss_value,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "checkpointing": a.checkpointing,
        "pure_bf16": a.pure_bf16, "fused_adamw": a.fused_adamw,
        "trainable_dtypes": sorted({str(p.dtype) for p in params}),
    }))


if __name__ == "__main__":
    main()
