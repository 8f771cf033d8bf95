#!/usr/bin/env python3
"""Goldens for the linear probe (dev.align4j.peft.probe): the same L2-regularised logistic objective,

    f(W, b) = mean_i -log softmax(W x_i + b)[y_i] + (l2 / 2) ||W||^2      (biases not penalised)

(two classes: one row, logits [0, w.x + b]), minimised by torch's own L-BFGS with a strong-Wolfe line
search in float64 to convergence, independently of align4j's solver. Biases are centred afterwards
(a common shift leaves the multinomial objective unchanged). Writes probe_goldens.json:
{case: {x, y, classes, l2, weights, bias, loss, grad_max}}. LogisticProbeTest compares with it.

Usage: /tmp/hfref/bin/python src/test/resources/probe/make_probe_goldens.py
"""
import json
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
torch.set_default_dtype(torch.float64)


def data(seed, n, d, classes, spread):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(classes, d, generator=g) * spread
    y = torch.arange(n) % classes
    y = y[torch.randperm(n, generator=g)]
    x = centres[y] + torch.randn(n, d, generator=g)
    return x, y


def objective(theta, x, y, classes, l2):
    rows = 1 if classes == 2 else classes
    d = x.shape[1]
    w = theta[: rows * d].view(rows, d)
    b = theta[rows * d:]
    z = x @ w.T + b
    if rows == 1:
        z = torch.cat([torch.zeros_like(z), z], dim=1)
    nll = torch.logsumexp(z, dim=1) - z.gather(1, y[:, None])[:, 0]
    return nll.mean() + 0.5 * l2 * (w * w).sum()


def fit(x, y, classes, l2):
    rows = 1 if classes == 2 else classes
    d = x.shape[1]
    theta = torch.zeros(rows * (d + 1), requires_grad=True)
    opt = torch.optim.LBFGS([theta], lr=1, max_iter=20000, history_size=50, tolerance_grad=1e-13,
                            tolerance_change=0, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        f = objective(theta, x, y, classes, l2)
        f.backward()
        return f

    opt.step(closure)
    with torch.no_grad():
        t = theta.detach().clone()
        if rows > 1:
            t[rows * d:] -= t[rows * d:].mean()
    tt = t.clone().requires_grad_(True)
    f = objective(tt, x, y, classes, l2)
    f.backward()
    return t[: rows * d].view(rows, d), t[rows * d:], f.item(), tt.grad.abs().max().item()


CASES = {
    # name: (seed, n, d, classes, spread, l2)
    "multinomial4": (1, 60, 5, 4, 1.0, 0.05),
    "binary": (2, 40, 3, 2, 1.0, 0.1),
    "separable_small_l2": (3, 48, 4, 3, 4.0, 1e-3),
    "wide_d_gt_n": (4, 12, 20, 3, 1.0, 0.5),
}


def main():
    out = {}
    for name, (seed, n, d, classes, spread, l2) in CASES.items():
        x, y = data(seed, n, d, classes, spread)
        w, b, loss, gmax = fit(x, y, classes, l2)
        assert gmax < 1e-9, (name, gmax)
        out[name] = {"x": x.tolist(), "y": y.tolist(), "classes": classes, "l2": l2, "weights": w.tolist(),
                     "bias": b.tolist(), "loss": loss, "grad_max": gmax,
                     "made_by": "torch " + torch.__version__ + " LBFGS(strong_wolfe), float64"}
    (HERE / "probe_goldens.json").write_text(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
