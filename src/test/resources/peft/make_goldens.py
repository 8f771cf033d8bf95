"""Regenerates the PEFT interop goldens under src/test/resources/peft/in/ with the real libraries.

Run with the interop venv (interop/install.sh prints its python):
    $(interop/install.sh) src/test/resources/peft/make_goldens.py
For each tiny base (transformers, random weights, float32) and each adapter case of
interop/lib/peft_cases.py: the adapter as PEFT 0.21 saved it, and expected.json with PEFT's own
log-probs of fixed token ids (PeftModel.from_pretrained on the base), the base model's log-probs
(so a test can tell that the adapter matters) and the library versions.
"""
import json
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[3] / "interop" / "lib"))
import peft_cases as pc  # noqa: E402


def main():
    import peft
    import torch
    import transformers
    from transformers import AutoModelForCausalLM
    out = HERE / "in"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    base_lp = {}
    for b in pc.BASES:
        pc.make_base(b, out / b)
        base_lp[b] = pc.model_logprobs(AutoModelForCausalLM.from_pretrained(out / b, dtype=torch.float32).eval())
    for case, (b, cls, kw) in pc.CASES.items():
        pc.make_adapter(case, out / b, out / case)
        (out / case / "README.md").unlink(missing_ok=True)
        expected = {"base": b, "peft_config": cls, "ids": pc.IDS, "logprobs": pc.peft_logprobs(out / b, out / case),
                    "base_logprobs": base_lp[b], "versions": {"torch": torch.__version__,
                    "transformers": transformers.__version__, "peft": peft.__version__}}
        (out / case / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
        print(case, file=sys.stderr)


if __name__ == "__main__":
    main()
