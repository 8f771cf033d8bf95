"""Lifts, verbatim, the OpenRLHF functions the RL goldens need out of an OpenRLHF checkout into a
snapshot OUTSIDE this repository (align4j does not carry OpenRLHF's code; only the goldens made with it).

OpenRLHF cannot be imported here (it needs ray and deepspeed), so its maths is lifted out of a git
checkout by AST: the source text of each named function/class is copied unchanged (decorators kept,
except @torch.compile, which would need a C compiler and does not change the result). Methods of
RemoteExperienceMaker are copied into a class of the same name holding only them.

Usage: python extract_openrlhf.py /path/to/OpenRLHF [commit]
Writes $OPENRLHF_SNAPSHOT, default ~/.cache/align4j/openrlhf_snapshot.py, which make_rl_goldens.py
imports. The goldens were made from commit 3c3be6234e0cb353e76bb8019947db9dfe99fca7.
OpenRLHF is Apache-2.0 (https://github.com/OpenRLHF/OpenRLHF); the snapshot keeps that notice.
"""
import ast
import os
import subprocess
import sys
from pathlib import Path

WANT = {
    "openrlhf/models/utils.py": ["compute_approx_kl", "compute_reward", "masked_mean", "masked_normalize",
                                 "compute_entropy"],
    "openrlhf/models/loss.py": ["aggregate_loss", "PolicyLoss", "ValueLoss"],
    "openrlhf/trainer/ppo_utils/kl_controller.py": ["AdaptiveKLController", "FixedKLController"],
    "openrlhf/trainer/ppo_utils/experience_maker.py": [
        "RemoteExperienceMaker.compute_advantages_and_returns",
        "RemoteExperienceMaker.get_advantages_and_returns",
        "RemoteExperienceMaker.get_cumulative_returns"],
}


def segment(src, node):
    lines = src.splitlines(keepends=True)
    start = node.lineno - 1
    for d in node.decorator_list:
        text = ast.get_source_segment(src, d)
        if "compile" not in text:
            start = min(start, d.lineno - 1)
    return "".join(lines[start:node.end_lineno])


def main():
    repo = Path(sys.argv[1])
    commit = sys.argv[2] if len(sys.argv) > 2 else "HEAD"
    sha = subprocess.check_output(["git", "-C", str(repo), "rev-parse", commit], text=True).strip()
    out = [f'"""OpenRLHF functions copied verbatim by extract_openrlhf.py from OpenRLHF commit {sha}.\n\n'
           "Copyright OpenRLHF contributors, Apache License 2.0. Do not edit: regenerate.\n\"\"\"\n",
           "from typing import List, Optional, Tuple, Union\n\nimport numpy as np\nimport torch\n"
           "import itertools\nimport logging\n\nimport torch.nn as nn\n\n"
           "logger = logging.getLogger(__name__)\nExperience = object  # type annotations only\n\n\n"
           "def apply_length_penalties(experiences, args):\n"
           "    \"\"\"Stand-in: the DAPO/ProRL length penalties are off by default and not modelled.\"\"\"\n\n\n"]
    methods = []
    for path, names in WANT.items():
        src = subprocess.check_output(["git", "-C", str(repo), "show", f"{commit}:{path}"], text=True)
        tree = ast.parse(src)
        top = {n.name: n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        for name in names:
            if "." in name:
                cls, meth = name.split(".")
                node = next(n for n in top[cls].body if isinstance(n, ast.FunctionDef) and n.name == meth)
                methods.append(segment(src, node))
            else:
                out.append(f"# {path}\n" + segment(src, top[name]) + "\n\n")
    out.append("# openrlhf/trainer/ppo_utils/experience_maker.py (methods only)\n"
               "class RemoteExperienceMaker:\n" + "\n".join(methods))
    target = snapshot_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(out))
    print(f"wrote {target}", file=sys.stderr)


def snapshot_path():
    return Path(os.environ.get("OPENRLHF_SNAPSHOT", Path.home() / ".cache/align4j/openrlhf_snapshot.py"))


if __name__ == "__main__":
    main()
