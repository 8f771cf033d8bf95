"""The unit tests' stand-in references agree with transformers.

GoldenLogitsTest compares align4j with src/test/resources/golden/*/golden_logits.json, written by
transformers itself (transformers_forward.py: float64, SDPA attention, RMSNorm kept in float64, since
transformers' eager softmax and RMSNorm compute in float32 even for float64 models), and HfGoldenTest
with golden/hf/*/golden.json (make_goldens.py). Both are recomputed here from the committed checkpoints
and must equal the committed files; and the independent numpy forward (reference_forward.py, float64
throughout) must agree with transformers within 5e-6 (transformers' RoPE tables are float32).
"""
import json
import os
import sys
from pathlib import Path

import torch

import hfmodels
from a4j import report

ROOT = Path(os.environ.get("ALIGN4J_ROOT", Path(__file__).resolve().parents[2]))
GOLDEN = ROOT / "src" / "test" / "resources" / "golden"


def main():
    sys.path.insert(0, str(GOLDEN))
    import reference_forward as numpy_ref
    for family in ("llama", "mistral", "qwen2", "qwen3"):
        d = GOLDEN / family
        g = json.loads((d / "golden_logits.json").read_text())
        m = hfmodels.rmsnorm_in_input_dtype(hfmodels.load(str(d), torch.float64, attn="sdpa"))
        cfg = json.loads((d / "config.json").read_text())
        weights = numpy_ref.read_safetensors(str(d / "model.safetensors"))
        committed = numpy = 0.0
        with torch.no_grad():
            for ids, want in zip(g["ids"], g["logits"]):
                got = m(input_ids=torch.tensor([ids])).logits[0]
                committed = max(committed, (got - torch.tensor(want, dtype=torch.float64)).abs().max().item())
                ref = torch.tensor(numpy_ref.forward(cfg, weights, ids))
                numpy = max(numpy, (got - ref).abs().max().item())
        report(f"goldens/{family}/committed", committed, 1e-12,
               "committed golden_logits.json vs transformers float64 on the committed checkpoint")
        report(f"goldens/{family}/numpy_reference", numpy, 5e-6,
               "independent numpy forward (float64 RoPE) vs transformers (float32 RoPE tables)")
    # the transformers-made goldens are reproducible from their script
    for case in sorted(p.name for p in (GOLDEN / "hf").iterdir() if (p / "golden.json").exists()):
        want = json.loads((GOLDEN / "hf" / case / "golden.json").read_text())
        m = hfmodels.rmsnorm_in_input_dtype(hfmodels.load(str(GOLDEN / "hf" / case), torch.float64, attn="sdpa"))
        with torch.no_grad():
            ids = torch.tensor([want["ids"]])
            logits = m(input_ids=ids).logits[0]
            lp = torch.log_softmax(logits[:-1], -1).gather(-1, ids[0, 1:, None])[:, 0]
        diff = max(abs(a - b) for a, b in zip(lp.tolist(), want["logprobs"]))
        report(f"goldens/hf/{case}", diff, 1e-12, "committed golden.json vs transformers on the committed checkpoint")


if __name__ == "__main__":
    main()
