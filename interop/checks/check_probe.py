"""`align4j probe` against the same probe computed from transformers' own hidden states.

A transformers-made qwen3 checkpoint with a word-level tokenizer; 60 training and 20 held-out rows of
random token ids with a label the tokens determine (sum of ids mod 3). align4j runs `probe --layer all
--pooling mean`; here transformers gives output_hidden_states (float64, RMSNorm in float64), mean-pooled,
standardised with the training rows' mean and population standard deviation, and the L2-regularised
logistic objective is minimised by torch's L-BFGS (src/test/resources/probe/make_probe_goldens.py's
fit). Per layer: the fitted objective (align4j's forward is float32: within 1e-5) and the held-out and
training accuracies (equal).
"""
import json
import os
import random
import sys
from pathlib import Path

import torch

import hfmodels
from a4j import WORK, cli, report

ROOT = Path(os.environ.get("ALIGN4J_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT / "src" / "test" / "resources" / "probe"))
import make_probe_goldens as ref  # noqa: E402


def rows(rng, n):
    out = []
    for _ in range(n):
        ids = [rng.randrange(1, 64) for _ in range(rng.randrange(5, 11))]
        out.append({"text": hfmodels.ids_text(ids), "y": f"c{sum(ids) % 3}", "ids": ids})
    return out


def main():
    d = WORK / "probe_model"
    d.mkdir(parents=True, exist_ok=True)
    hfmodels.make(str(d), "qwen3", seed=5, layers=2)
    hfmodels.word_tokenizer(str(d), 64)
    rng = random.Random(11)
    train, held = rows(rng, 60), rows(rng, 20)
    for name, rs in (("train", train), ("eval", held)):
        with open(WORK / f"probe_{name}.jsonl", "w") as f:
            for r in rs:
                f.write(json.dumps({"text": r["text"], "y": r["y"]}) + "\n")
    out = WORK / "probe_out"
    cli("probe", "--model", d, "--data", WORK / "probe_train.jsonl", "--eval", WORK / "probe_eval.jsonl",
        "--label", "y", "--layer", "all", "--pooling", "mean", "--l2", "0.01", "--out", out, "--device", "cpu")
    got = json.loads((out / "probe.json").read_text())
    classes = sorted({r["y"] for r in train})
    m = hfmodels.rmsnorm_in_input_dtype(hfmodels.load(str(d), torch.float64, attn="sdpa"))

    def features(rs):
        per_layer = None
        with torch.no_grad():
            for r in rs:
                hs = m(input_ids=torch.tensor([r["ids"]]), output_hidden_states=True).hidden_states
                pooled = [h[0].mean(0) for h in hs]
                per_layer = [[p] for p in pooled] if per_layer is None else [a + [p] for a, p in zip(per_layer, pooled)]
        return [torch.stack(a) for a in per_layer]

    ftrain, fheld = features(train), features(held)
    ytrain = torch.tensor([classes.index(r["y"]) for r in train])
    yheld = torch.tensor([classes.index(r["y"]) for r in held])
    for layer, (xt, xe) in enumerate(zip(ftrain, fheld)):
        mean = xt.mean(0)
        sd = xt.std(0, unbiased=False)
        sd = torch.where(sd > 0, sd, torch.ones_like(sd))
        xt, xe = (xt - mean) / sd, (xe - mean) / sd
        w, b, loss, _ = ref.fit(xt, ytrain, len(classes), 0.01)

        def acc(x, y):
            return ((x @ w.T + b).argmax(1) == y).double().mean().item()

        mine = got["layers"][layer]
        report(f"probe/layer{layer}/loss", abs(mine["loss"] - loss), 1e-5,
               "fitted objective: align4j (float32 forward, own L-BFGS) vs transformers float64 + torch L-BFGS")
        diff = max(abs(mine["eval_accuracy"] - acc(xe, yheld)), abs(mine["train_accuracy"] - acc(xt, ytrain)))
        report(f"probe/layer{layer}/accuracy", diff, 0.0, "held-out and training accuracy")


if __name__ == "__main__":
    main()
