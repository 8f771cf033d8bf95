"""Runs the interop checks and prints one table.

Each check script (interop/checks/check_*.py) prints its results on stdout, one JSON object a line:
{"check": "...", "max_diff": 0.0, "tol": 1e-5, "pass": true, "detail": "..."}; anything else goes to
stderr. A script that exits non-zero, reports nothing, or runs longer than ALIGN4J_INTEROP_TIMEOUT
seconds (default 900) counts as a failure; a result line without the four fields is one too.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TIMEOUT = float(os.environ.get("ALIGN4J_INTEROP_TIMEOUT", "900"))


def main(argv):
    scripts = sorted((ROOT / "checks").glob("check_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    rows, failed = [], False
    for s in scripts:
        t0 = time.time()
        with tempfile.TemporaryDirectory(prefix="a4j-interop-") as work:
            env = dict(os.environ, ALIGN4J_INTEROP_WORK=work)
            # its own process group, so that a timeout also ends the align4j JVMs it started
            p = subprocess.Popen([sys.executable, str(s)], stdout=subprocess.PIPE, env=env, text=True,
                                 start_new_session=True)
            try:
                out, _ = p.communicate(timeout=TIMEOUT)
                code = p.returncode
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                out, _ = p.communicate()
                code = f"timeout after {TIMEOUT:.0f} s"
        got = []
        for line in out.splitlines():
            line = line.strip()
            if line.startswith("{"):
                try:
                    r = json.loads(line)
                    r["max_diff"], r["tol"] = float(r["max_diff"]), float(r["tol"])
                    r["check"], r["pass"] = str(r["check"]), bool(r["pass"])
                    got.append(r)
                except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                    got.append({"check": s.stem, "max_diff": float("nan"), "tol": 0.0, "pass": False,
                                "detail": f"malformed result line: {line[:200]}"})
        if code != 0 or not got:
            got.append({"check": s.stem, "max_diff": float("nan"), "tol": 0.0, "pass": False,
                        "detail": f"script exited {code} with {len(got)} results"})
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
