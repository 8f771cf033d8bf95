"""Runs the interop checks and prints one table.

Each check script (interop/checks/check_*.py) prints its results on stdout, one JSON object a line:
{"check": "...", "max_diff": 0.0, "tol": 1e-5, "pass": true, "detail": "..."}; anything else goes to
stderr. A script that exits non-zero or reports nothing counts as a failure.
"""
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main(argv):
    scripts = sorted((ROOT / "checks").glob("check_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    rows, failed = [], False
    for s in scripts:
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="a4j-interop-") as work:
            env = dict(os.environ, ALIGN4J_INTEROP_WORK=work)
            p = subprocess.run([sys.executable, str(s)], stdout=subprocess.PIPE, env=env, text=True)
        got = []
        for line in p.stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    got.append(json.loads(line))
                except json.JSONDecodeError:
                    print(f"{s.name}: unparsable result line: {line}", file=sys.stderr)
        if p.returncode != 0 or not got:
            got.append({"check": s.stem, "max_diff": float("nan"), "tol": 0.0, "pass": False,
                        "detail": f"script exited {p.returncode} with {len(got)} results"})
        for r in got:
            r.setdefault("detail", "")
            rows.append(r)
            failed |= not r.get("pass", False)
        print(f"interop: {s.name} done in {time.time() - t0:.0f} s", file=sys.stderr)
    w = max([len(r["check"]) for r in rows] + [5])
    print(f"{'check':<{w}}  {'max diff':>10}  {'tolerance':>10}  pass  detail")
    for r in rows:
        print(f"{r['check']:<{w}}  {r['max_diff']:>10.3g}  {r['tol']:>10.3g}  {'yes ' if r['pass'] else 'NO  '}  {r['detail']}")
    n_fail = sum(not r["pass"] for r in rows)
    print(f"interop: {len(rows) - n_fail} passed, {n_fail} failed")
    return 1 if failed or not rows else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
