#!/usr/bin/env python3
"""Goldens for align4j's dev.align4j.dpo.loss, made by TRL 1.13's OWN loss code.

No model is needed: each trainer method runs unbound on a stand-in `self` that carries the config,
with stand-in "models" that return fixed random logits (float64) for the inputs they are given. So
the real code paths run end to end from logits: DPOTrainer._compute_loss (selective_log_softmax,
ld_alpha, f-divergences, every loss type, loss_weights, WPO weighting, sft, metrics),
KTOTrainer._compute_loss (KL estimate from the mismatched completions, weights, metrics), and
ORPOTrainer/CPOTrainer.get_batch_loss_metrics (concatenated_forward with get_batch_logps,
odds_ratio_loss / cpo_loss). Gradients are torch autograd's, with respect to the policy logits.

Two align4j extras have no TRL 1.13 loss type; they are made with TRL code that computes the same
formula: reference-free DPO = DPOTrainer with precomputed reference log-probs of 0, and cDPO =
CPOTrainer.cpo_loss (sigmoid with label smoothing) applied to the log-ratios u_w, u_l that
DPOTrainer computes.

Usage: python make_loss_goldens.py [OUT.json]   (default: loss_goldens.json beside this script)
"""
import collections
import json
import math
import os
import sys
import types

import torch
import torch.nn.functional as F

import trl
from trl.trainer.dpo_trainer import DPOTrainer
from trl.trainer.kto_trainer import KTOTrainer
from trl.trainer.utils import selective_log_softmax
from trl.experimental.cpo.cpo_trainer import CPOTrainer
from trl.experimental.orpo.orpo_trainer import ORPOTrainer

torch.set_default_dtype(torch.float64)
V = 5  # vocabulary of the fake models


class Accelerator:
    device = torch.device("cpu")

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def unwrap_model(self, m):
        return m


class FixedLogits(torch.nn.Module):
    """A stand-in causal LM: returns the stored logits of whichever stored input_ids it is called with."""

    is_gradient_checkpointing = False

    def __init__(self, table, trainable):
        super().__init__()
        self.ids = [ids for ids, _ in table]
        logits = [lg.clone() for _, lg in table]
        self.logits = torch.nn.ParameterList([torch.nn.Parameter(lg, requires_grad=trainable) for lg in logits])

    def forward(self, input_ids=None, attention_mask=None, **kw):
        for ids, lg in zip(self.ids, self.logits):
            if ids.shape == input_ids.shape and torch.equal(ids, input_ids):
                return types.SimpleNamespace(logits=lg, aux_loss=None)
        raise KeyError("FixedLogits called with unknown input_ids")


def stub(**kw):
    s = types.SimpleNamespace(accelerator=Accelerator(), aux_loss_enabled=False, _tp_size=1, _total_train_tokens=0,
                              _metrics={"train": collections.defaultdict(list), "eval": collections.defaultdict(list)},
                              use_liger_kernel=False)
    for k, v in kw.items():
        setattr(s, k, v)
    return s


def flat(t):
    return [float(x) for x in t.detach().reshape(-1).tolist()]


def make_rows(g, n, length, min_prompt=1, max_prompt=3):
    """n right-padded rows: prompt, completion (>= 1 token), padding; returns ids, attention and completion masks."""
    ids = torch.randint(0, V, (n, length), generator=g)
    att = torch.zeros(n, length, dtype=torch.long)
    comp = torch.zeros(n, length, dtype=torch.long)
    for i in range(n):
        p = int(torch.randint(min_prompt, max_prompt + 1, (1,), generator=g))
        c = int(torch.randint(1, length - p + 1, (1,), generator=g))
        att[i, : p + c] = 1
        comp[i, p: p + c] = 1
    return ids, att, comp


def make_logits(g, n, length, scale=1.5):
    ref = torch.randn(n, length, V, generator=g) * scale
    pol = ref + torch.randn(n, length, V, generator=g)
    return pol, ref


def dataset(seed, pairs, length):
    g = torch.Generator().manual_seed(seed)
    ids, att, comp = make_rows(g, 2 * pairs, length)
    pol, ref = make_logits(g, 2 * pairs, length)
    # favour the next token at about half the positions, so that mean_token_accuracy is neither 0 nor 1
    hit = (torch.rand(2 * pairs, length - 1, generator=g) < 0.5).double().unsqueeze(-1)
    pol[:, :-1] += 2.5 * hit * F.one_hot(ids[:, 1:], V)
    return {"input_ids": ids, "attention_mask": att, "completion_mask": comp, "policy_logits": pol, "ref_logits": ref}


def ds_json(d):
    return {k: {"shape": list(v.shape), "dtype": str(v.dtype).replace("torch.", ""),
                "data": (v.reshape(-1).tolist() if v.dtype == torch.long else flat(v))}
            for k, v in d.items()}


def as_float32(d):
    """TRL's alpha_divergence only runs on float16/bfloat16/float32 logits (a float64 KeyErrors in its clamp table)."""
    return {k: (v.float() if v.is_floating_point() else v) for k, v in d.items()}


# --------------------------------------------------------------------------------------------- DPO
DPO_DEFAULTS = dict(beta=0.1, loss_type=["sigmoid"], loss_weights=None, label_smoothing=0.0,
                    f_divergence_type="reverse_kl", f_alpha_divergence_coef=0.5, ld_alpha=None, use_weighting=False,
                    discopop_tau=0.05, reference_free=False)


DPO_METRICS = ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
               "logps/rejected", "logits/chosen", "logits/rejected", "entropy", "mean_token_accuracy")
LOGIT_METRICS = DPO_METRICS[-4:]


def run_dpo(d, cfg):
    policy = FixedLogits([(d["input_ids"], d["policy_logits"])], trainable=True)
    ref = FixedLogits([(d["input_ids"], d["ref_logits"])], trainable=False)
    policy.train()
    args = types.SimpleNamespace(gradient_checkpointing_kwargs=None, discopop_tau=cfg["discopop_tau"])
    s = stub(model=policy, ref_model=ref, args=args, beta=cfg["beta"], loss_types=cfg["loss_type"],
             loss_weights=cfg["loss_weights"] or [1.0] * len(cfg["loss_type"]), ld_alpha=cfg["ld_alpha"],
             f_divergence_type=cfg["f_divergence_type"], f_alpha_divergence_coef=cfg["f_alpha_divergence_coef"],
             label_smoothing=cfg["label_smoothing"], use_weighting=cfg["use_weighting"],
             precompute_ref_logps=cfg["reference_free"])
    inputs = {k: d[k] for k in ("input_ids", "attention_mask", "completion_mask")}
    if cfg["reference_free"]:
        b = d["input_ids"].shape[0] // 2
        inputs["ref_chosen_logps"] = torch.zeros(b)
        inputs["ref_rejected_logps"] = torch.zeros(b)
    loss = DPOTrainer._compute_loss(s, policy, inputs, False)
    m = s._metrics["train"]
    metrics = {k: m[k][-1] for k in DPO_METRICS}
    out = {"loss": float(loss.detach()), "metrics": metrics}
    try:
        loss.backward()
        out["grad_policy_logits"] = flat(policy.logits[0].grad)
    except RuntimeError as e:  # hinge + use_weighting: TRL's in-place *= clobbers relu's saved output
        out["trl_backward_error"] = str(e).split("\n")[0][:200]
    return out


def run_cdpo(d, cfg):
    """cDPO through TRL code: DPOTrainer's sequence log-ratios, then CPOTrainer.cpo_loss (sigmoid, smoothing)."""
    pol = d["policy_logits"].clone().requires_grad_(True)
    labels = d["input_ids"][:, 1:]
    mask = d["completion_mask"][:, 1:]
    lp = selective_log_softmax(pol[:, :-1], labels).masked_fill(mask == 0, 0.0).sum(1)
    with torch.no_grad():
        rlp = selective_log_softmax(d["ref_logits"][:, :-1], labels).masked_fill(mask == 0, 0.0).sum(1)
    (cw, cl), (rw, rl) = lp.chunk(2), rlp.chunk(2)
    s = stub(alpha=0.0, beta=cfg["beta"], loss_type="sigmoid", label_smoothing=cfg["label_smoothing"], simpo_gamma=0.5)
    losses, chosen_rewards, rejected_rewards = CPOTrainer.cpo_loss(s, cw - rw, cl - rl)
    loss = losses.mean()
    loss.backward()
    metrics = {"rewards/chosen": float(chosen_rewards.mean()), "rewards/rejected": float(rejected_rewards.mean()),
               "rewards/accuracies": float((chosen_rewards > rejected_rewards).double().mean()),
               "rewards/margins": float((chosen_rewards - rejected_rewards).mean()),
               "logps/chosen": float(cw.detach().mean()), "logps/rejected": float(cl.detach().mean())}
    # the logit metrics do not depend on the loss type: DPOTrainer's own, from a sigmoid run on the same logits
    plain = run_dpo(d, dict(DPO_DEFAULTS, beta=cfg["beta"]))
    metrics.update({k: plain["metrics"][k] for k in LOGIT_METRICS})
    return {"loss": float(loss.detach()), "metrics": metrics, "grad_policy_logits": flat(pol.grad)}


def dpo_cases():
    c = []

    def add(name, ds="base", **kw):
        cfg = dict(DPO_DEFAULTS)
        cfg.update(kw)
        c.append({"kind": "dpo", "name": name, "dataset": ds, "config": cfg})

    for t in ["sigmoid", "hinge", "ipo", "nca_pair", "bco_pair", "sppo_hard", "aot", "aot_unpaired", "apo_zero",
              "apo_down", "discopop", "sigmoid_norm", "sft"]:
        add(t, loss_type=[t])
    add("sigmoid_beta0.5", loss_type=["sigmoid"], beta=0.5)
    add("sigmoid_beta1", loss_type=["sigmoid"], beta=1.0)
    add("aot_beta1", loss_type=["aot"], beta=1.0)
    add("aot_unpaired_beta1", loss_type=["aot_unpaired"], beta=1.0)
    add("hinge_beta2", loss_type=["hinge"], beta=2.0)
    add("ipo_beta0.5", loss_type=["ipo"], beta=0.5)
    add("robust_eps0.1", loss_type=["robust"], label_smoothing=0.1)
    add("exo_pair_eps1e-3", loss_type=["exo_pair"], label_smoothing=1e-3)
    add("exo_pair_eps0.2_beta0.5", loss_type=["exo_pair"], label_smoothing=0.2, beta=0.5)
    add("aot_eps0.2", loss_type=["aot"], label_smoothing=0.2, beta=0.5)
    add("aot_unpaired_eps0.1", loss_type=["aot_unpaired"], label_smoothing=0.1, beta=0.5)
    add("discopop_beta0.5_tau0.1", loss_type=["discopop"], beta=0.5, discopop_tau=0.1)
    add("apo_down_beta0.5", loss_type=["apo_down"], beta=0.5)
    for f in ["forward_kl", "js_divergence"]:
        add("sigmoid_" + f, loss_type=["sigmoid"], f_divergence_type=f, beta=0.5)
    add("sigmoid_alpha_divergence", ds="base32", loss_type=["sigmoid"], f_divergence_type="alpha_divergence", beta=0.5)
    add("alpha_divergence_0.3_hinge", ds="base32", loss_type=["hinge"], f_divergence_type="alpha_divergence",
        f_alpha_divergence_coef=0.3, beta=0.5)
    add("alpha_divergence_1.0", loss_type=["sigmoid"], f_divergence_type="alpha_divergence",
        f_alpha_divergence_coef=1.0)
    add("ipo_js_divergence", loss_type=["ipo"], f_divergence_type="js_divergence")
    add("robust_forward_kl", loss_type=["robust"], f_divergence_type="forward_kl", label_smoothing=0.2, beta=0.5)
    add("discopop_forward_kl", loss_type=["discopop"], f_divergence_type="forward_kl", beta=0.5)
    add("sigmoid_norm_alpha_div", ds="base32", loss_type=["sigmoid_norm"], f_divergence_type="alpha_divergence", beta=0.5)
    add("ld_alpha0.5_sigmoid", loss_type=["sigmoid"], ld_alpha=0.5, beta=0.5)
    add("ld_alpha0_ipo", loss_type=["ipo"], ld_alpha=0.0)
    add("ld_alpha0.3_apo_zero", loss_type=["apo_zero"], ld_alpha=0.3, beta=0.5)
    add("wpo_sigmoid", loss_type=["sigmoid"], use_weighting=True, beta=0.5)
    # sft + use_weighting raises in TRL 1.13 (in-place *= on the expanded sft tensor), so no golden for it
    add("wpo_ipo", loss_type=["ipo"], use_weighting=True)
    add("wpo_apo_down_discopop", loss_type=["apo_down", "discopop"], loss_weights=[0.5, 1.0], use_weighting=True,
        beta=0.5)
    # hinge + use_weighting: TRL 1.13's forward runs, its backward raises (loss golden only)
    add("wpo_ipo_hinge", loss_type=["ipo", "hinge"], loss_weights=[1.0, 0.5], use_weighting=True)
    add("rpo_sigmoid_sft", loss_type=["sigmoid", "sft"], loss_weights=[1.0, 0.3])
    add("mix_sigmoid_bco_sft", loss_type=["sigmoid", "bco_pair", "sft"], loss_weights=[0.8, 0.2, 1.0])
    add("mix_hinge_apo_zero_default_weights", loss_type=["hinge", "apo_zero"])
    add("reference_free_sigmoid", loss_type=["sigmoid"], reference_free=True)
    add("reference_free_ipo", loss_type=["ipo"], reference_free=True, beta=0.5)
    add("reference_free_aot", loss_type=["aot"], reference_free=True)
    add("sigmoid_single_pair", ds="single", loss_type=["sigmoid"], beta=0.5)
    add("aot_single_pair", ds="single", loss_type=["aot"], beta=0.5, label_smoothing=0.1)
    add("cdpo_eps0.1", loss_type=["cdpo"], label_smoothing=0.1, beta=0.5)
    add("cdpo_eps0", loss_type=["cdpo"], label_smoothing=0.0, beta=0.5)
    return c


# --------------------------------------------------------------------------------------------- KTO
def kto_dataset(seed, n, length, labels, kl_shift=0.0):
    g = torch.Generator().manual_seed(seed)
    ids, att, comp = make_rows(g, n, length)
    kl_ids, kl_att, kl_comp = make_rows(g, n, length)
    pol, ref = make_logits(g, n, length)
    kpol, kref = make_logits(g, n, length)
    # raise (or lower) the policy's logit of each next KL token, which moves the KL estimate up (or down)
    kpol[:, :-1] += kl_shift * F.one_hot(kl_ids[:, 1:], V)
    return {"input_ids": ids, "attention_mask": att, "completion_mask": comp, "policy_logits": pol, "ref_logits": ref,
            "KL_input_ids": kl_ids, "KL_attention_mask": kl_att, "KL_completion_mask": kl_comp,
            "policy_KL_logits": kpol, "ref_KL_logits": kref, "label": torch.tensor(labels, dtype=torch.long)}


def run_kto(d, cfg):
    policy = FixedLogits([(d["input_ids"], d["policy_logits"]), (d["KL_input_ids"], d["policy_KL_logits"])], True)
    ref = FixedLogits([(d["input_ids"], d["ref_logits"]), (d["KL_input_ids"], d["ref_KL_logits"])], False)
    policy.train()
    s = stub(model=policy, ref_model=ref, args=types.SimpleNamespace(gradient_checkpointing_kwargs=None),
             beta=cfg["beta"], loss_type=cfg["loss_type"], desirable_weight=cfg["desirable_weight"],
             undesirable_weight=cfg["undesirable_weight"], calculate_KL=cfg["loss_type"] != "apo_zero_unpaired",
             precompute_ref_logps=False)
    s._compute_kl_logps = types.MethodType(KTOTrainer._compute_kl_logps, s)
    batch = {k: d[k] for k in ("input_ids", "attention_mask", "completion_mask", "KL_input_ids", "KL_attention_mask",
                               "KL_completion_mask")}
    batch["label"] = d["label"].bool()
    loss = KTOTrainer._compute_loss(s, policy, batch, False)
    loss.backward()
    m = s._metrics["train"]
    keys = ("kl", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected",
            "logits/chosen", "logits/rejected", "entropy")
    metrics = {k: m[k][-1] for k in keys if k in m and m[k]}
    return {"loss": float(loss.detach()), "metrics": metrics, "grad_policy_logits": flat(policy.logits[0].grad)}


def kto_cases():
    c = []

    def add(name, ds, **kw):
        cfg = dict(beta=0.1, loss_type="kto", desirable_weight=1.0, undesirable_weight=1.0)
        cfg.update(kw)
        c.append({"kind": "kto", "name": name, "dataset": ds, "config": cfg})

    add("kto", "kto_mixed")
    add("kto_beta0.5_weights", "kto_mixed", beta=0.5, desirable_weight=1.33, undesirable_weight=0.7)
    add("kto_kl_clamped", "kto_negative_kl", beta=0.5)
    add("kto_all_desirable", "kto_all_desirable", beta=0.5)
    add("kto_all_undesirable", "kto_all_undesirable", beta=0.5)
    add("apo_zero_unpaired", "kto_mixed", loss_type="apo_zero_unpaired", beta=0.5)
    return c


# --------------------------------------------------------------------------------------------- ORPO / CPO
def pair_dataset(seed, pairs, length):
    g = torch.Generator().manual_seed(seed)
    ids, att, comp = make_rows(g, 2 * pairs, length)
    pol, _ = make_logits(g, 2 * pairs, length, scale=1.0)
    labels = torch.where(comp == 1, ids, torch.full_like(ids, -100))
    return {"input_ids": ids, "attention_mask": att, "completion_mask": comp, "policy_logits": pol, "labels": labels}


def pair_batch(d):
    b = d["input_ids"].shape[0] // 2
    out = {}
    for side, sl in (("chosen", slice(0, b)), ("rejected", slice(b, 2 * b))):
        out[side + "_input_ids"] = d["input_ids"][sl]
        out[side + "_attention_mask"] = d["attention_mask"][sl]
        out[side + "_labels"] = d["labels"][sl]
    return out


def run_pair_trainer(cls, d, s):
    policy = FixedLogits([(d["input_ids"], d["policy_logits"])], True)
    s.is_encoder_decoder = False
    s.padding_value = 0
    s.pad_token_id = 0
    s.concatenated_inputs = cls.concatenated_inputs
    s.get_batch_logps = cls.get_batch_logps
    s.concatenated_forward = types.MethodType(cls.concatenated_forward, s)
    for name in ("odds_ratio_loss", "cpo_loss"):
        if hasattr(cls, name):
            setattr(s, name, types.MethodType(getattr(cls, name), s))
    loss, metrics = cls.get_batch_loss_metrics(s, policy, pair_batch(d), "train")
    loss.backward()
    keep = ("rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
            "logps/rejected", "nll_loss", "log_odds_ratio", "log_odds_chosen")
    return {"loss": float(loss.detach()), "metrics": {k: float(v) for k, v in metrics.items() if k in keep},
            "grad_policy_logits": flat(policy.logits[0].grad)}


def run_orpo(d, cfg):
    return run_pair_trainer(ORPOTrainer, d, stub(beta=cfg["beta"]))


def run_cpo(d, cfg):
    return run_pair_trainer(CPOTrainer, d, stub(beta=cfg["beta"], loss_type=cfg["loss_type"],
                                                label_smoothing=cfg["label_smoothing"], simpo_gamma=cfg["simpo_gamma"],
                                                cpo_alpha=cfg["cpo_alpha"], alpha=cfg["alpha"]))


def pair_cases():
    c = [{"kind": "orpo", "name": "orpo", "dataset": "pairs", "config": {"beta": 0.1}},
         {"kind": "orpo", "name": "orpo_lambda0.5", "dataset": "pairs", "config": {"beta": 0.5}}]

    def add(name, **kw):
        cfg = dict(beta=0.1, loss_type="sigmoid", label_smoothing=0.0, simpo_gamma=0.5, cpo_alpha=1.0, alpha=0.0)
        cfg.update(kw)
        c.append({"kind": "cpo", "name": name, "dataset": "pairs", "config": cfg})

    add("cpo_sigmoid")
    add("cpo_sigmoid_smoothed", label_smoothing=0.1, beta=0.5)
    add("cpo_hinge", loss_type="hinge", beta=0.5)
    add("cpo_ipo", loss_type="ipo", beta=0.5)
    add("simpo", loss_type="simpo", beta=2.0, simpo_gamma=0.5, cpo_alpha=0.0)
    add("simpo_cpo_alpha", loss_type="simpo", beta=2.0, simpo_gamma=1.0, cpo_alpha=0.5, label_smoothing=0.05)
    add("alphapo_simpo", loss_type="simpo", beta=2.0, alpha=0.25, cpo_alpha=0.0)
    add("alphapo_sigmoid", loss_type="sigmoid", beta=0.5, alpha=-0.5)
    return c


def trl_failures(datasets):
    """Configurations TRL 1.13 cannot run (align4j computes them); recorded so the README's claim is checked."""
    tries = {
        "alpha_divergence on float64 logits": ("base", dict(DPO_DEFAULTS, loss_type=["sigmoid"],
                                                            f_divergence_type="alpha_divergence")),
        "sft with use_weighting": ("base", dict(DPO_DEFAULTS, loss_type=["sigmoid", "sft"], use_weighting=True)),
    }
    out = {}
    for what, (ds, cfg) in tries.items():
        try:
            run_dpo(datasets[ds], cfg)
            out[what] = "runs"
        except (KeyError, RuntimeError) as e:
            out[what] = f"{type(e).__name__}: {str(e).splitlines()[0][:160]}"
    return out


RUNNERS = {"dpo": run_dpo, "cdpo": run_cdpo, "kto": run_kto, "orpo": run_orpo, "cpo": run_cpo}


def build():
    datasets = {
        "base": dataset(16, pairs=4, length=8),
        "base32": as_float32(dataset(16, pairs=4, length=8)),
        "single": dataset(12, pairs=1, length=8),
        "kto_mixed": kto_dataset(21, 6, 8, [1, 0, 1, 1, 0, 0], kl_shift=2.0),
        "kto_negative_kl": kto_dataset(22, 5, 8, [0, 1, 0, 1, 1], kl_shift=-3.0),
        "kto_all_desirable": kto_dataset(23, 3, 8, [1, 1, 1]),
        "kto_all_undesirable": kto_dataset(24, 3, 8, [0, 0, 0], kl_shift=2.0),
        "pairs": pair_dataset(31, pairs=4, length=8),
    }
    cases = dpo_cases() + kto_cases() + pair_cases()
    for case in cases:
        kind = "cdpo" if case["kind"] == "dpo" and case["config"]["loss_type"] == ["cdpo"] else case["kind"]
        case["expected"] = RUNNERS[kind](datasets[case["dataset"]], case["config"])
    # the data must exercise what the cases are about
    by = {c["name"]: c["expected"] for c in cases}
    assert abs(by["aot_beta1"]["loss"] - by["sigmoid_beta1"]["loss"]) > 1e-3, "aot's sort must reorder this batch"
    assert by["kto"]["metrics"]["kl"] > 0.05, "the KTO KL estimate must be positive here"
    assert by["kto_kl_clamped"]["metrics"]["kl"] == 0.0
    assert by["kto_all_undesirable"]["metrics"]["kl"] > 0.05
    return {"generator": "src/test/resources/dpo/make_loss_goldens.py", "trl": trl.__version__,
            "trl_failures": trl_failures(datasets),
            "torch": torch.__version__, "vocab": V,
            "datasets": {k: ds_json(v) for k, v in datasets.items()}, "cases": cases}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                             "loss_goldens.json")
    g = build()
    tmp = out + ".tmp"
    with open(tmp, "w") as f:
        json.dump(g, f, indent=None, separators=(",", ":"))
        f.write("\n")
    os.replace(tmp, out)
    print(f"wrote {len(g['cases'])} cases to {out} (trl {g['trl']})", file=sys.stderr)


if __name__ == "__main__":
    main()
