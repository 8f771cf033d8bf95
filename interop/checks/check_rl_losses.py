"""align4j's RL maths (package dev.align4j.rl) against TRL's and OpenRLHF's own code, regenerated live.

1. Runs src/test/resources/rl/make_rl_goldens.py with this venv's torch and trl: TRL's own
   GRPOTrainer._compute_loss / RLOOTrainer._compute_loss (stand-in self, autograd gradients) and the
   advantage code of their _generate_and_score_completions; OpenRLHF's functions from a
   snapshot made from an OpenRLHF checkout (extract_openrlhf.py; kinds not rerun are skipped). Each kind of case is compared with the committed goldens (has TRL moved?).
2. Runs the JUnit classes that compare align4j with those goldens on the LIVE file
   (-Dalign4j.rl.goldens=...): GRPO loss for every loss_type (cispo, sapo, luspo and vespo included)
   and option, RLOO loss, GRPO/RLOO
   advantages, PPO policy/value losses, GAE, whitening, KL, reward shaping.
"""
import json
import math
import os
import subprocess
import sys
from pathlib import Path

from a4j import WORK, report

ROOT = Path(os.environ.get("ALIGN4J_ROOT", Path(__file__).resolve().parents[2]))
RES = ROOT / "src/test/resources/rl"
TRL_KINDS = {"grpo_loss", "grpo_loss_variants", "grpo_advantages", "rloo_advantages", "rloo_loss"}
TESTS = ("KlTest,RewardTest,GaeTest,WhiteningTest,OpenRlhfAdvantagesTest,GroupAdvantagesTest,PolicyLossTest,GrpoLossTest,"
         "GrpoLossVariantsTest,KlLossTest,EntropyTest")


def leaves(x, path=""):
    if isinstance(x, dict):
        for k, v in x.items():
            yield from leaves(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from leaves(v, f"{path}[{i}]")
    else:
        yield path, x


def max_rel_diff(a, b):
    la, lb = dict(leaves(a)), dict(leaves(b))
    if la.keys() != lb.keys():
        return math.inf, f"structure differs: {sorted(la.keys() ^ lb.keys())[:3]}"
    worst, where = 0.0, ""
    for k, x in la.items():
        y = lb[k]
        if isinstance(x, (int, float)) and isinstance(y, (int, float)) and not isinstance(x, bool):
            if math.isnan(x) and math.isnan(y):
                continue
            d = abs(x - y) / max(1.0, abs(y))
        else:
            d = 0.0 if x == y else math.inf
        if d > worst:
            worst, where = d, k
    return worst, where


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    live = WORK / "rl_goldens_live.json"
    subprocess.run([sys.executable, str(RES / "make_rl_goldens.py"), str(live)], check=True, stdout=sys.stderr)
    fresh = json.loads(live.read_text())
    committed = json.loads((RES / "rl_goldens.json").read_text())
    print(f"live goldens: trl {fresh['trl']}, torch {fresh['torch']}", file=sys.stderr)
    if not fresh.get("openrlhf_live"):
        print(f"OpenRLHF cases {fresh['openrlhf']} (make one with extract_openrlhf.py from an OpenRLHF checkout)",
              file=sys.stderr)
    for kind, cases in fresh["cases"].items():
        d, where = max_rel_diff(cases, committed["cases"].get(kind))
        copied = cases is committed["cases"].get(kind) or (not fresh.get("openrlhf_live") and kind not in TRL_KINDS)
        if copied:
            continue  # not rerun here: comparing the committed goldens with themselves proves nothing
        report(f"rl_goldens_current/{kind}", d, 1e-12, f"{len(cases)} cases; live vs committed {where}")
    mvn = ["mvn", "-q", "-B", "-ntp", "-o", "test", f"-Dtest={TESTS}", "-Dsurefire.failIfNoSpecifiedTests=false",
           f"-Dalign4j.rl.goldens={live}"]
    p = subprocess.run(mvn, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tail = " | ".join(l for l in p.stdout.splitlines() if "Tests run" in l or "FAIL" in l or " vs " in l)[-400:]
    report("rl_java_vs_live_trl_openrlhf", 0.0 if p.returncode == 0 else math.nan, 1e-13,
           f"JUnit {TESTS} on the live goldens (tolerances 1e-13, float32 metrics 1e-7): exit {p.returncode} {tail}",
           passed=p.returncode == 0)


if __name__ == "__main__":
    main()
