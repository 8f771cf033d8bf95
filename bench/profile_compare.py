"""Side-by-side op profile of one training step: align4j's libtorch trace next to transformers'.

Usage: profile_compare.py A.json A_CPU_MS A_WALL_MS H.json H_CPU_MS H_WALL_MS [rows]

A.json: align4j's Chrome trace (`-Dalign4j.bench.profile=A.json` on `bench peft --in-process`);
H.json: transformers' (`bench/train_step_hf.py --profile --trace H.json`). Each side prints the profiled
step's process CPU time and wall time on stderr (a `PROFILE cpu_ms X wall_ms Y` line).

On a shared machine an op's wall time measures the other jobs as much as the op. With one thread per
side the step's wall time is its CPU time stretched by the load, about uniformly over the step, so each
op's self time (its duration less that of the ops nested in it) is scaled by cpu_ms / wall_ms of its own
step: the table is in CPU ms of one step on each side. What the ops do not cover (Java or Python between
the ops, and the profiler's own bookkeeping) is the "host, between ops" row. Prints two markdown tables:
op families, then single ops by the difference (align4j minus transformers).
"""
import collections
import json
import sys

FAMILIES = [
    ("GEMM (mm, addmm, bmm)", {"aten::mm", "aten::addmm", "aten::bmm", "aten::baddbmm", "aten::addmm_"}),
    ("attention (flash fwd+bwd)", {"aten::_scaled_dot_product_flash_attention_for_cpu",
                                   "aten::_scaled_dot_product_flash_attention_for_cpu_backward"}),
    ("cross-entropy over the vocabulary", {"aten::_log_softmax", "aten::_log_softmax_backward_data", "aten::exp",
                                           "aten::nll_loss_forward", "aten::nll_loss_backward", "aten::gather",
                                           "aten::scatter_", "aten::scatter", "aten::index_put_", "aten::sub_"}),
    ("SwiGLU activation (sigmoid, silu, backward)", {"aten::sigmoid", "aten::sigmoid_backward", "aten::silu",
                                                     "aten::silu_backward"}),
    ("mul", {"aten::mul"}),
    ("add", {"aten::add"}),
    ("add_ (gradient accumulation)", {"aten::add_"}),
    ("RMSNorm reductions and powers (pow, mean, sum, rsqrt, div)", {"aten::pow", "aten::mean", "aten::sum",
                                                                  "aten::rsqrt", "aten::div", "aten::div_"}),
    ("neg, cat (RoPE), copies, casts", {"aten::neg", "aten::cat", "aten::copy_", "aten::_to_copy",
                                         "aten::clone", "aten::contiguous"}),
    ("fill_, zero_, empty", {"aten::fill_", "aten::zero_", "aten::zeros", "aten::empty", "aten::empty_strided",
                             "aten::empty_like", "aten::zeros_like", "aten::ones_like", "aten::full"}),
    ("optimizer (fused AdamW, or torch's per-op foreach)", {"aten::_fused_adamw_", "aten::lerp_", "aten::sqrt",
                                                             "aten::mul_", "aten::addcdiv_", "aten::addcmul_",
                                                             "aten::_foreach_add_", "aten::_foreach_lerp_",
                                                             "aten::_foreach_mul_", "aten::_foreach_addcmul_",
                                                             "aten::_foreach_sqrt", "aten::_foreach_div_",
                                                             "aten::_foreach_addcdiv_", "aten::_foreach_add",
                                                             "Optimizer.step#AdamW.step", "aten::item",
                                                             "aten::_local_scalar_dense"}),
]


def family(name):
    for fam, names in FAMILIES:
        if name in names:
            return fam
    if name.startswith("autograd::") or "Backward" in name or name in ("detach", "aten::detach", "AccumulateGrad"):
        return "autograd engine (nodes, accumulate)"
    if name.startswith("aten::"):
        return "views and other small ops"
    return "other"


def shape_of(e):
    """The input shapes of an event: align4j's trace has them as "shape", torch's as args["Input Dims"]."""
    dims = e.get("shape") or e.get("args", {}).get("Input Dims")
    return str([list(x) for x in dims if x]) if dims else "?"


def self_times(path, by_shape=()):
    d = json.load(open(path))
    ev = d["traceEvents"] if isinstance(d, dict) else d
    ev = [e for e in ev if e.get("ph") == "X" and not e["name"].startswith("PyTorch Profiler")
          and not e["name"].startswith("ProfilerStep")]
    bytid = collections.defaultdict(list)
    for e in ev:
        bytid[e.get("tid")].append(e)
    selft, cnt = collections.Counter(), collections.Counter()
    for es in bytid.values():
        es.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack = []
        for e in es:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= e["ts"]:
                stack.pop()
            if stack:
                selft[stack[-1]["key"]] -= e["dur"]
            key = e["name"] + " " + shape_of(e) if e["name"] in by_shape else e["name"]
            e["key"] = key
            selft[key] += e["dur"]
            cnt[key] += 1
            stack.append(e)
    return selft, cnt


def side(path, cpu_ms, wall_ms, by_shape=()):
    selft, cnt = self_times(path, by_shape)
    k = float(cpu_ms) / float(wall_ms)
    ms = {n: v / 1e3 * k for n, v in selft.items()}
    return ms, cnt, float(cpu_ms)


def main():
    a = side(*sys.argv[1:4])
    h = side(*sys.argv[4:7])
    rows = int(sys.argv[7]) if len(sys.argv) > 7 else 25
    fam = {}
    for name_side, (ms, cnt, cpu) in (("a", a), ("h", h)):
        f = collections.defaultdict(lambda: [0.0, 0])
        for n, v in ms.items():
            f[family(n)][0] += v
            if n.startswith("aten::") or n.startswith("Optimizer"):
                f[family(n)][1] += cnt[n]
        f["host, between ops (Java or Python, profiler)"][0] = cpu - sum(ms.values())
        fam[name_side] = f
    names = sorted(set(fam["a"]) | set(fam["h"]), key=lambda n: -(fam["a"][n][0] - fam["h"][n][0]))
    print("| op family | align4j CPU ms (calls) | transformers CPU ms (calls) | difference ms |")
    print("|---|---|---|---|")
    for n in names:
        x, y = fam["a"][n], fam["h"][n]
        print("| %s | %.0f (%d) | %.0f (%d) | %+.0f |" % (n, x[0], x[1], y[0], y[1], x[0] - y[0]))
    print("| **step** | **%.0f** | **%.0f** | **%+.0f** |" % (a[2], h[2], a[2] - h[2]))
    print()
    ops = set(a[0]) | set(h[0])
    diff = sorted(ops, key=lambda n: -abs(a[0].get(n, 0) - h[0].get(n, 0)))[:rows]
    print("| op | align4j CPU ms (calls) | transformers CPU ms (calls) | difference ms |")
    print("|---|---|---|---|")
    for n in diff:
        print("| `%s` | %.1f (%d) | %.1f (%d) | %+.1f |" % (n, a[0].get(n, 0), a[1].get(n, 0), h[0].get(n, 0),
                                                             h[1].get(n, 0), a[0].get(n, 0) - h[0].get(n, 0)))

    # the biggest ops by input shapes (torch's side records them only with --trace, i.e. record_shapes)
    for op in ("aten::mm", "aten::mul", "aten::add"):
        ga = side(*sys.argv[1:4], by_shape=(op,))
        gh = side(*sys.argv[4:7], by_shape=(op,))
        keys = sorted({n for n in set(ga[0]) | set(gh[0]) if n.startswith(op + " ")},
                      key=lambda n: -(ga[0].get(n, 0) + gh[0].get(n, 0)))
        print()
        print("| `%s` input shapes | align4j CPU ms (calls) | transformers CPU ms (calls) | ratio |" % op)
        print("|---|---|---|---|")
        for n in keys[:rows]:
            x, y = ga[0].get(n, 0), gh[0].get(n, 0)
            print("| %s | %.1f (%d) | %.1f (%d) | %s |" % (n[len(op) + 1:], x, ga[1].get(n, 0), y, gh[1].get(n, 0),
                                                         "%.2f" % (x / y) if y else "-"))

if __name__ == "__main__":
    main()
