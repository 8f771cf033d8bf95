"""align4j's DPO-family, KTO, ORPO and CPO/SimPO losses equal the installed TRL's own loss code.

Reruns src/test/resources/dpo/make_loss_goldens.py against the TRL installed here (its trainer methods
run unbound on a stand-in self, fed by stand-in models that return fixed random float64 logits), hands
the same cases to `align4j dpo-loss-eval`, and compares, case by case, the loss, TRL's logged metrics and
the gradient of the loss with respect to the policy logits. One result line per case: max_diff is the
largest relative difference of the three (gradients relative to their largest entry). Tolerance 1e-9 in
float64, 2e-6 where TRL computes in float32 (alpha_divergence, ORPO). A last line says whether the
committed goldens still equal this TRL (drift in TRL shows up there, not as a failing JUnit test).
"""
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src/test/resources/dpo"))

import make_loss_goldens as mg  # noqa: E402
from a4j import WORK, cli, report  # noqa: E402


def rel(a, b):
    return abs(a - b) / max(1.0, abs(b))


def tolerance(doc, case):
    dtype = doc["datasets"][case["dataset"]]["policy_logits"]["dtype"]
    return 2e-6 if dtype == "float32" or case["kind"] == "orpo" else 1e-9


def compare(exp, got):
    d = rel(got["loss"], exp["loss"])
    missing = set(exp["metrics"]) ^ set(got["metrics"])
    if missing:
        return float("inf"), f"metric names differ: {sorted(missing)}"
    for k, v in exp["metrics"].items():
        d = max(d, rel(got["metrics"][k], v))
    note = ""
    if "grad_policy_logits" in exp:
        g, e = got["grad_policy_logits"], exp["grad_policy_logits"]
        scale = max(max(abs(x) for x in e), 1e-3)
        d = max(d, max(abs(a - b) for a, b in zip(g, e)) / scale)
    else:
        note = "; TRL's backward raised (" + exp.get("trl_backward_error", "")[:80] + "), forward compared"
    return d, note


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    doc = mg.build()
    cases_path = WORK / "dpo_loss_cases.json"
    out_path = WORK / "dpo_loss_align4j.json"
    cases_path.write_text(json.dumps(doc))
    cli("dpo-loss-eval", "--input", cases_path, "--output", out_path)
    got = {c["name"]: c for c in json.loads(out_path.read_text())["cases"]}
    for case in doc["cases"]:
        d, note = compare(case["expected"], got[case["name"]])
        cfg = case["config"]
        report(f"dpo_loss/{case['kind']}/{case['name']}", d, tolerance(doc, case),
               f"loss {got[case['name']]['loss']:.10g} vs TRL {case['expected']['loss']:.10g}; "
               f"config {json.dumps(cfg, separators=(',', ':'))}{note}")

    committed = json.loads((ROOT / "src/test/resources/dpo/loss_goldens.json").read_text())
    old = {c["name"]: c["expected"] for c in committed["cases"]}
    drift = 0.0
    for case in doc["cases"]:
        if case["name"] not in old:
            drift = float("inf")
            continue
        drift = max(drift, compare(case["expected"], old[case["name"]])[0])
    report("dpo_loss/committed_goldens_equal_live_trl", drift, 1e-12,
           f"trl {doc['trl']} live vs trl {committed['trl']} committed, {len(doc['cases'])} cases")


if __name__ == "__main__":
    main()
