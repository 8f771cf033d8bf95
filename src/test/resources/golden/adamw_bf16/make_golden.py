"""Golden of torch.optim.AdamW updating bfloat16 parameters in place (no float32 masters), for
AdamWBf16GoldenTest: what transformers' Trainer does to a model loaded or cast to bfloat16.

Two parameters (a [4, 8] matrix with weight decay, an [8] vector without, as transformers' Trainer
groups them), bfloat16 gradients given for 4 steps, lr 1e-2, betas (0.9, 0.999), eps 1e-8, weight decay
0.1. Recorded for both of torch's CPU paths:
  fused   torch.optim.AdamW(fused=True): `_fused_adamw_`, the Trainer's default optimizer
          (`adamw_torch_fused` for torch >= 2.8); it loads bf16 values, computes in float32 and
          rounds each result (param, exp_avg, exp_avg_sq) to bf16 once per step.
  single  torch.optim.AdamW() with no flags: on CPU neither foreach nor fused is chosen, so the
          single-tensor path runs, each op (mul_, lerp_, mul_, addcmul_, sqrt, div, add_, addcdiv_)
          rounding its bf16 result.
Also torch.nn.utils.clip_grad_norm_ on bfloat16 gradients of the two shapes (max_norm 0.5, active), the
Trainer's clipping: the norm is computed and rounded in bfloat16 and the gradients multiplied by a
bfloat16 coefficient ("clip": the gradients before and after, the returned norm's bits).
Values are stored as bfloat16 bit patterns (uint16). Run with the interop venv's python:
  ~/.cache/align4j/interop-venv/bin/python src/test/resources/golden/adamw_bf16/make_golden.py
"""
import json
import os

import torch

STEPS = 4
LR, BETAS, EPS, WD = 1e-2, (0.9, 0.999), 1e-8, 0.1


def bits(t):
    return [int(x) & 0xFFFF for x in t.detach().contiguous().view(torch.int16).flatten().tolist()]


def run(fused):
    g = torch.Generator().manual_seed(7)
    w = (torch.randn(4, 8, generator=g) * 0.05).to(torch.bfloat16).requires_grad_(True)
    b = (torch.randn(8, generator=g) * 0.5 + 1.0).to(torch.bfloat16).requires_grad_(True)
    w0, b0 = bits(w), bits(b)
    kw = {"fused": True} if fused else {}
    opt = torch.optim.AdamW([{"params": [w], "weight_decay": WD}, {"params": [b], "weight_decay": 0.0}],
                            lr=LR, betas=BETAS, eps=EPS, **kw)
    steps = []
    for s in range(STEPS):
        # gradients spanning magnitudes (1e-4 .. 1), a few exact zeros
        gw = (torch.randn(4, 8, generator=g) * torch.logspace(-4, 0, 8)).to(torch.bfloat16)
        gw[0, :2] = 0
        gb = (torch.randn(8, generator=g) * 0.1).to(torch.bfloat16)
        w.grad, b.grad = gw.clone(), gb.clone()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sw, sb = opt.state[w], opt.state[b]
        steps.append({"grad_w": bits(gw), "grad_b": bits(gb), "w": bits(w), "b": bits(b),
                      "exp_avg_w": bits(sw["exp_avg"]), "exp_avg_sq_w": bits(sw["exp_avg_sq"]),
                      "exp_avg_b": bits(sb["exp_avg"]), "exp_avg_sq_b": bits(sb["exp_avg_sq"]),
                      "state_dtype": str(sw["exp_avg"].dtype), "step_dtype": str(sw["step"].dtype)})
    return {"w0": w0, "b0": b0, "steps": steps}


def clip():
    g = torch.Generator().manual_seed(11)
    gw = (torch.randn(4, 8, generator=g) * 0.3).to(torch.bfloat16)
    gb = (torch.randn(8, generator=g) * 0.2).to(torch.bfloat16)
    w = torch.zeros(4, 8, dtype=torch.bfloat16, requires_grad=True)
    b = torch.zeros(8, dtype=torch.bfloat16, requires_grad=True)
    w.grad, b.grad = gw.clone(), gb.clone()
    norm = torch.nn.utils.clip_grad_norm_([w, b], 0.5)
    return {"max_norm": 0.5, "grad_w": bits(gw), "grad_b": bits(gb), "norm": bits(norm.reshape(1)),
            "norm_dtype": str(norm.dtype), "clipped_w": bits(w.grad), "clipped_b": bits(b.grad)}


def main():
    out = {"torch": torch.__version__, "lr": LR, "beta1": BETAS[0], "beta2": BETAS[1], "eps": EPS,
           "weight_decay": WD, "shape_w": [4, 8], "shape_b": [8],
           "fused": run(True), "single": run(False), "clip": clip()}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "adamw_bf16.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(path)


if __name__ == "__main__":
    main()
