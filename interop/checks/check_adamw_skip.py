"""align4j's AdamW against torch.optim.AdamW where parameters get no gradient in some steps, regenerated live.

1. Runs src/test/resources/optim/make_adamw_goldens.py with this venv's torch: six AdamW steps over two
   parameter groups (decay, no decay) in which some parameters' .grad is None, float32 and float64, by
   the single-tensor, foreach and fused implementations (the script fails unless they agree). The live
   golden is compared with the committed one (has torch moved?).
2. Runs AdamWSkipGoldenTest on the LIVE file (-Dalign4j.adamw.goldens=...): align4j's fused and
   per-tensor AdamW, float32 and float64, against it.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from a4j import WORK, report

ROOT = Path(os.environ.get("ALIGN4J_ROOT", Path(__file__).resolve().parents[2]))
RES = ROOT / "src/test/resources/optim"


def max_diff(a, b):
    worst = 0.0
    for case in ("float32", "float64"):
        for sa, sb in zip(a["cases"][case]["after"], b["cases"][case]["after"]):
            for n in sa:
                worst = max(worst, max(abs(x - y) for x, y in zip(sa[n], sb[n])))
        for n, st in a["cases"][case]["state"].items():
            other = b["cases"][case]["state"][n]
            worst = max(worst, abs(st["step"] - other["step"]))
            for k in ("exp_avg", "exp_avg_sq"):
                worst = max(worst, max(abs(x - y) for x, y in zip(st[k], other[k])))
    return worst


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    live = WORK / "adamw_skip_goldens_live.json"
    subprocess.run([sys.executable, str(RES / "make_adamw_goldens.py"), str(live)], check=True, stdout=sys.stderr)
    fresh = json.loads(live.read_text())
    committed = json.loads((RES / "adamw_skip_goldens.json").read_text())
    impls = {c: v["max_diff_to"] for c, v in fresh["cases"].items()}
    report("adamw_skip_golden_current", max_diff(fresh, committed), 1e-6,
           f"torch {fresh['torch']} live vs committed ({committed['torch']}); foreach/fused vs single-tensor {impls}")
    mvn = ["mvn", "-q", "-B", "-ntp", "-o", "test", "-Dtest=AdamWSkipGoldenTest", "-Dsurefire.failIfNoSpecifiedTests=false",
           f"-Dalign4j.adamw.goldens={live}"]
    p = subprocess.run(mvn, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = " | ".join(l for l in p.stdout.splitlines() if "Tests run" in l or "FAIL" in l or "after step" in l)[-400:]
    report("adamw_skip_java_vs_live_torch", 0.0 if p.returncode == 0 else math.nan, 1e-7,
           f"AdamWSkipGoldenTest on the live golden (fused and per tensor, float32 1e-7/1e-6, float64 1e-14/1e-13): "
           f"exit {p.returncode} {tail}", passed=p.returncode == 0)


if __name__ == "__main__":
    main()
