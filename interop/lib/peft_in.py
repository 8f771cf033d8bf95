"""PEFT -> align4j checks: adapters the real PEFT makes (interop/lib/peft_cases.py) applied by
`align4j logprobs --model M --adapter A` give PEFT's own log-probs (PeftModel.from_pretrained on the
same checkpoint); merged checkpoints (`align4j merge`) give them as well."""
import sys

from a4j import WORK, cli, report
import peft_cases as pc

TOL = 1e-5


def _check(name, fn, detail):
    try:
        got, want = fn()
        report(name, pc.max_diff(got, want), TOL, detail)
    except Exception as e:  # noqa: BLE001
        print(e, file=sys.stderr)
        report(name, float("nan"), TOL, str(e).splitlines()[-1][:200], passed=False)


def run(cases, merges=()):
    WORK.mkdir(parents=True, exist_ok=True)
    ids = WORK / "ids.jsonl"
    pc.write_ids(ids)
    bases, want = {}, {}
    for case in cases:
        b = pc.CASES[case][0]
        if b not in bases:
            bases[b] = pc.make_base(b, WORK / b)
        adapter = pc.make_adapter(case, bases[b], WORK / case)
        want[case] = pc.peft_logprobs(bases[b], adapter)
        _check(f"peft_in/{case}", lambda: (pc.read_align4j(cli("logprobs", "--model", bases[b], "--adapter", adapter,
                                                                "--input", ids)), want[case]),
               "align4j logprobs --adapter vs PeftModel.from_pretrained")
    for case in merges:
        base, merged = bases[pc.CASES[case][0]], WORK / f"merged-{case}"

        def merge_then_logprobs():
            cli("merge", "--model", base, "--adapter", WORK / case, "--out", merged)
            return pc.read_align4j(cli("logprobs", "--model", merged, "--input", ids)), want[case]
        _check(f"peft_in/merge/{case}", merge_then_logprobs, "align4j merge, then logprobs of the merged checkpoint")
