"""Makes adamw_skip_goldens.json: torch.optim.AdamW over six steps in which some parameters get no
gradient (their .grad is None after zero_grad(set_to_none=True)), the golden for align4j's AdamW.

Two parameter groups as align4j (and transformers' Trainer) build them: matrices with decoupled weight
decay, 1-D tensors without. Per step a list says which parameters receive a gradient; torch then
leaves the others alone (no moment update, no step-count advance, no weight decay), so their bias
correction later runs on their own step count. The learning rate changes per step (a schedule).
Gradients come from a real backward of sum(p * G) (d/dp = G exactly), as the Java test makes them.

Each case (float32, float64) is run by the single-tensor, the foreach and the fused implementation;
the golden is the single-tensor one (torch's default on CPU) and the largest difference to the others
is recorded (they must agree: the script fails otherwise).

Usage: python make_adamw_goldens.py [out.json]   (python with torch, e.g. /tmp/hfref/bin/python)
Deterministic (numpy RandomState seed 12).
"""
import json
import sys
from pathlib import Path

import numpy as np
import torch

SHAPES = {"w": [3, 4], "b": [4], "u": [2, 3], "c": [3]}   # w, u: decay; b, c: no decay
DECAY = ["w", "u"]
NO_DECAY = ["b", "c"]
# which parameters get a gradient in each step: c first in step 3 (its state starts late), u skipped
# after it has moments (step 2, 4), w skipped in step 4, a step with u alone
GETS_GRAD = [["w", "b", "u"], ["w", "b"], ["w", "u", "c"], ["b", "c"], ["w", "b", "u", "c"], ["u"]]
LRS = [1e-2, 2e-2, 1.5e-2, 1e-2, 5e-3, 2e-2]
BETAS = (0.9, 0.99)
EPS = 1e-8
WD = 0.1


def f32_values(rng, shape, scale):
    # float32-representable values, so that both dtypes start from the same numbers
    return (rng.standard_normal(shape) * scale).astype(np.float32)


def make_inputs():
    rng = np.random.RandomState(12)
    init = {n: f32_values(rng, s, 0.5) for n, s in SHAPES.items()}
    grads = [{n: f32_values(rng, SHAPES[n], 1.0) for n in step} for step in GETS_GRAD]
    return init, grads


def run(dtype, impl, init, grads):
    params = {n: torch.nn.Parameter(torch.tensor(v, dtype=dtype)) for n, v in init.items()}
    kw = {"single": {"foreach": False}, "foreach": {"foreach": True}, "fused": {"fused": True}}[impl]
    opt = torch.optim.AdamW(
        [{"params": [params[n] for n in DECAY], "weight_decay": WD},
         {"params": [params[n] for n in NO_DECAY], "weight_decay": 0.0}],
        lr=LRS[0], betas=BETAS, eps=EPS, **kw)
    after = []
    for lr, g in zip(LRS, grads):
        opt.zero_grad(set_to_none=True)
        loss = sum((params[n] * torch.tensor(v, dtype=dtype)).sum() for n, v in g.items())
        loss.backward()
        for group in opt.param_groups:
            group["lr"] = lr
        opt.step()
        after.append({n: p.detach().numpy().astype(np.float64).ravel().tolist() for n, p in params.items()})
    state = {}
    for n, p in params.items():
        s = opt.state.get(p, {})
        state[n] = {
            "step": float(s["step"]) if "step" in s else 0.0,
            "exp_avg": s["exp_avg"].numpy().astype(np.float64).ravel().tolist() if s else [0.0] * p.numel(),
            "exp_avg_sq": s["exp_avg_sq"].numpy().astype(np.float64).ravel().tolist() if s else [0.0] * p.numel(),
        }
    return after, state


def max_diff(a, b):
    return max(abs(x - y) for sa, sb in zip(a, b) for n in sa for x, y in zip(sa[n], sb[n]))


def main():
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("adamw_skip_goldens.json")
    init, grads = make_inputs()
    cases = {}
    for name, dtype, tol in [("float32", torch.float32, 1e-6), ("float64", torch.float64, 1e-14)]:
        after, state = run(dtype, "single", init, grads)
        diffs = {}
        for impl in ["foreach", "fused"]:
            other, _ = run(dtype, impl, init, grads)
            diffs[impl] = max_diff(after, other)
            assert diffs[impl] <= tol, f"{name}: {impl} differs from single-tensor by {diffs[impl]}"
        cases[name] = {"after": after, "state": state, "max_diff_to": diffs}
    doc = {
        "torch": torch.__version__,
        "shapes": SHAPES,
        "decay": DECAY,
        "no_decay": NO_DECAY,
        "gets_grad": GETS_GRAD,
        "lrs": LRS,
        "betas": list(BETAS),
        "eps": EPS,
        "weight_decay": WD,
        "init": {n: v.astype(np.float64).ravel().tolist() for n, v in init.items()},
        "grads": [{n: v.astype(np.float64).ravel().tolist() for n, v in g.items()} for g in grads],
        "cases": cases,
    }
    out.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {out}: foreach/fused vs single-tensor "
          + ", ".join(f"{k} {v['max_diff_to']}" for k, v in cases.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
