"""Shared helpers for the interop checks: run the align4j CLI, report a result line."""
import json
import math
import os
import subprocess
from pathlib import Path

WORK = Path(os.environ.get("ALIGN4J_INTEROP_WORK", "/tmp/a4j-interop"))
ALIGN4J = os.environ.get("ALIGN4J", str(Path(__file__).resolve().parents[2] / "align4j"))


def cli(*args, check=True):
    """Runs `align4j args...`; returns stdout. Raises with stderr on failure when check is set."""
    p = subprocess.run([ALIGN4J, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if check and p.returncode != 0:
        raise RuntimeError(f"align4j {' '.join(map(str, args))} exited {p.returncode}:\n{p.stderr}")
    return p.stdout if check else p


def report(check, max_diff, tol, detail="", passed=None):
    """Prints one result line; pass is max_diff <= tol unless given."""
    ok = (not math.isnan(max_diff) and max_diff <= tol) if passed is None else bool(passed)
    print(json.dumps({"check": check, "max_diff": float(max_diff), "tol": float(tol), "pass": ok, "detail": detail}),
          flush=True)
    return ok
