"""Makes rl_goldens.json: the RL maths of align4j's rl package computed by the reference code itself.

- OpenRLHF (KL estimators, compute_reward, GAE, reward-to-go, whitening, advantage estimators,
  PolicyLoss/ValueLoss, KL controllers, entropy): its own functions, lifted verbatim out of an OpenRLHF
  checkout by extract_openrlhf.py into a snapshot outside this repository (OpenRLHF needs
  ray/deepspeed to import; align4j does not carry its code), run in float64. Without that snapshot
  ($OPENRLHF_SNAPSHOT, default ~/.cache/align4j/openrlhf_snapshot.py) the OpenRLHF cases are taken
  from the committed rl_goldens.json and only the TRL cases are regenerated.
- TRL (GRPO loss for every loss_type, cispo/sapo/luspo/vespo included, and option, GRPO advantages,
  RLOO advantages and loss): the
  installed trl package's own GRPOTrainer._compute_loss / RLOOTrainer._compute_loss, called on a
  stand-in `self` built with object.__new__ (no model; `_get_per_token_logps_and_entropies` returns
  our log-probs), and the advantage block of `_generate_and_score_completions`, cut from the installed
  source by its first and last statements and exec'd unchanged. Gradients come from torch autograd.
- The old TRL PPO masked_whiten is gone from TRL 1.x; it is reproduced here from trl 0.x core.py.

Usage: python make_rl_goldens.py [out.json]   (python with torch and trl, e.g. /tmp/hfref/bin/python)
Everything is float64 and deterministic (numpy RandomState seeds).
"""
import importlib.util
import inspect
import os
import json
import sys
import textwrap
from collections import defaultdict
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch

SNAPSHOT = Path(os.environ.get("OPENRLHF_SNAPSHOT", Path.home() / ".cache/align4j/openrlhf_snapshot.py"))
orl = None
if SNAPSHOT.is_file():
    spec = importlib.util.spec_from_file_location("openrlhf_snapshot", SNAPSHOT)
    orl = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(orl)

torch.set_default_dtype(torch.float64)


def t(x):
    return torch.tensor(np.asarray(x), dtype=torch.float64)


def lst(x):
    if isinstance(x, torch.Tensor):
        x = x.detach().to(torch.float64).numpy()
    return np.asarray(x, dtype=np.float64).tolist()


def mask_from_lengths(lengths, T):
    return np.array([[1 if j < n else 0 for j in range(T)] for n in lengths], dtype=np.int64)


# ---------------------------------------------------------------- OpenRLHF

def openrlhf_cases():
    rs = np.random.RandomState(1)
    out = defaultdict(list)
    B, T = 4, 7
    lengths = [7, 5, 1, 3]
    m = mask_from_lengths(lengths, T)

    # KL estimators: the clamp to +/-10 is hit by large |u|
    logp = rs.normal(-2.0, 1.0, (B, T))
    ref = logp + rs.normal(0, 0.7, (B, T))
    ref[0, 1] = logp[0, 1] + 15.0   # u = -15: k1 -> -10, k3 = e^15 -> 10
    ref[1, 2] = logp[1, 2] - 12.0   # u = 12: k1 -> 10, k2 -> 10
    for est in ["k1", "k2", "k3"]:
        out["approx_kl"].append({"estimator": est, "logp": lst(logp), "ref": lst(ref),
                                 "out": lst(orl.compute_approx_kl(t(logp), t(ref), kl_estimator=est))})

    # the KL in the loss (kl.use_loss): ppo_actor.py's aggregate_loss(compute_approx_kl(...), mask), token mean
    for est in ["k1", "k2", "k3"]:
        lp = t(logp).requires_grad_(True)
        kl_loss = orl.aggregate_loss(orl.compute_approx_kl(lp, t(ref), kl_estimator=est), torch.tensor(m))
        kl_loss.backward()
        out["kl_loss"].append({"estimator": est, "logp": lst(logp), "ref": lst(ref), "mask": m.tolist(),
                               "loss": kl_loss.item(), "grad": lst(lp.grad)})

    # compute_reward
    for kl_coef, clip in [(0.05, None), (-0.1, None), (0.2, (-1.0, 1.0))]:
        r = rs.normal(0, 2, B)
        kl = rs.normal(0, 0.3, (B, T))
        mm = m.copy()
        mm[3] = 0  # an empty row: OpenRLHF puts the reward at T-1
        res = orl.compute_reward(t(r), kl_coef, t(kl), action_mask=torch.tensor(mm), reward_clip_range=clip)
        out["compute_reward"].append({"r": lst(r), "kl_coef": kl_coef, "kl": lst(kl), "mask": mm.tolist(),
                                      "clip": clip, "out": lst(res)})

    # GAE and reward-to-go (methods whose self is unused)
    for gamma, lam in [(1.0, 1.0), (0.99, 0.95), (0.9, 0.5)]:
        values = rs.normal(0, 1, (B, T))
        rewards = rs.normal(0, 1, (B, T))
        adv, ret = orl.RemoteExperienceMaker.get_advantages_and_returns(
            None, t(values), t(rewards), torch.tensor(m), gamma, lam)
        cum = orl.RemoteExperienceMaker.get_cumulative_returns(None, t(rewards), torch.tensor(m), gamma)
        out["gae"].append({"gamma": gamma, "lambda": lam, "values": lst(values), "rewards": lst(rewards),
                           "mask": m.tolist(), "advantages": lst(adv), "returns": lst(ret),
                           "reward_to_go": lst(cum)})

    # masked_normalize (per row) and the old TRL masked_whiten
    x = rs.normal(1.5, 2, (B, T))
    mm = m.copy()
    mm[2] = 0
    out["masked_normalize"].append({"x": lst(x), "mask": mm.tolist(),
                                    "out": lst(orl.masked_normalize(t(x), torch.tensor(mm), dim=1))})
    for shift in [True, False]:
        out["masked_whiten_trl0"].append({"x": lst(x), "mask": m.tolist(), "shift_mean": shift,
                                          "out": lst(masked_whiten_trl0(t(x), torch.tensor(m), shift))})

    # KL controllers
    ctl = orl.AdaptiveKLController(0.1, 6.0, 10000)
    fixed = orl.FixedKLController(0.05)
    steps = []
    for kl_now, n in [(3.0, 64), (6.0, 64), (20.0, 128), (0.5, 512), (7.0, 1)]:
        ctl.update(kl_now, n)
        fixed.update(kl_now, n)
        steps.append({"kl": kl_now, "n_steps": n, "adaptive": ctl.value, "fixed": fixed.value})
    out["kl_controller"].append({"init": 0.1, "target": 6.0, "horizon": 10000, "fixed_init": 0.05,
                                 "steps": steps})

    # compute_advantages_and_returns for every estimator
    n, groups, T2 = 4, 2, 6
    B2 = n * groups
    lengths2 = [6, 4, 2, 5, 6, 1, 3, 6]
    m2 = mask_from_lengths(lengths2, T2)
    for est, no_std, gamma, lam, clip in [("gae", False, 0.99, 0.95, (-10.0, 10.0)),
                                          ("gae", True, 1.0, 1.0, None),
                                          ("reinforce", False, 0.98, 1.0, (-10.0, 10.0)),
                                          ("rloo", False, 1.0, 1.0, (-10.0, 10.0)),
                                          ("reinforce_baseline", False, 1.0, 1.0, (-1.5, 1.5)),
                                          ("group_norm", False, 1.0, 1.0, (-10.0, 10.0)),
                                          ("dr_grpo", False, 1.0, 1.0, None)]:
        rewards = rs.normal(0, 2, B2)
        rewards[3] = 25.0  # exercises the clip
        kl = np.abs(rs.normal(0, 0.2, (B2, T2)))
        values = rs.normal(0, 1, (B2, T2))
        kl_coef = 0.05
        args = SimpleNamespace(
            rollout=SimpleNamespace(n_samples_per_prompt=n),
            algo=SimpleNamespace(advantage=SimpleNamespace(estimator=est, gamma=gamma, lambd=lam, no_std_norm=no_std)),
            reward=SimpleNamespace(clip_range=clip))
        maker = orl.RemoteExperienceMaker.__new__(orl.RemoteExperienceMaker)
        maker.strategy = SimpleNamespace(args=args)
        maker.kl_ctl = SimpleNamespace(value=kl_coef)
        maker.advantage_estimator = est
        exp = SimpleNamespace(index=list(range(B2)), rewards=t(rewards), kl=t(kl), action_mask=torch.tensor(m2),
                              values=t(values), info={})
        orl.RemoteExperienceMaker.compute_advantages_and_returns(maker, [exp])
        out["advantages_and_returns"].append({
            "estimator": est, "no_std_norm": no_std, "gamma": gamma, "lambda": lam, "clip": clip,
            "n_samples_per_prompt": n, "rewards": lst(rewards), "kl": lst(kl), "kl_coef": kl_coef,
            "values": lst(values), "mask": m2.tolist(),
            "advantages": lst(exp.advantages), "returns": lst(exp.returns)})

    # PolicyLoss: default, clip-higher, dual clip, sequence mean, GSPO
    lengths3 = [7, 5, 2, 6, 1]
    B3 = len(lengths3)
    m3 = mask_from_lengths(lengths3, T)
    for name, kw in [("default", {}), ("clip_higher", dict(clip_eps_low=0.2, clip_eps_high=0.28)),
                     ("dual_clip", dict(dual_clip=3.0)), ("sequence_mean", dict(token_level_loss=False)),
                     ("gspo", dict(policy_loss_type="gspo"))]:
        old = rs.normal(-2.0, 1.0, (B3, T))
        logp = old + rs.normal(0, 0.4, (B3, T))
        adv = rs.normal(0, 1, (B3, T))
        if name == "default":
            logp[0, 3] = old[0, 3] + 25.0   # log-ratio beyond the +/-20 clamp: loss e^20 |A|, zero gradient
            adv[0, 3] = -0.5
        if name != "gspo":
            logp[3, 0] = old[3, 0] + 1.8    # ratio e^1.8 > dual clip 3 with A < 0: the dual clip binds
            adv[3, 0] = -2.0
        lp = t(logp).requires_grad_(True)
        loss_fn = orl.PolicyLoss(**kw)
        loss, clip_ratio, ppo_kl, _ = loss_fn(lp, t(old), t(adv), action_mask=torch.tensor(m3))
        loss.backward()
        out["policy_loss"].append({"name": name, "config": kw, "logp": lst(logp), "old": lst(old),
                                   "advantages": lst(adv), "mask": m3.tolist(), "loss": loss.item(),
                                   "clip_ratio": clip_ratio.item(), "ppo_kl": ppo_kl.item(), "grad": lst(lp.grad)})

    # ValueLoss
    for name, kw in [("clip_0.5", dict(clip_eps=0.5)), ("no_clip", {}),
                     ("clip_0.2_sequence", dict(clip_eps=0.2, token_level_loss=False))]:
        old_v = rs.normal(0, 1, (B3, T))
        v = old_v + rs.normal(0, 0.6, (B3, T))
        ret = rs.normal(0, 1, (B3, T))
        vv = t(v).requires_grad_(True)
        loss = orl.ValueLoss(**kw)(vv, t(old_v), t(ret), action_mask=torch.tensor(m3))
        loss.backward()
        out["value_loss"].append({"name": name, "config": kw, "values": lst(v), "old_values": lst(old_v),
                                  "returns": lst(ret), "mask": m3.tolist(), "loss": loss.item(),
                                  "grad": lst(vv.grad)})

    # entropy
    logits = rs.normal(0, 3, (2, 3, 11))
    out["entropy"].append({"logits": lst(logits), "out": lst(orl.compute_entropy(t(logits)))})
    return out


def masked_whiten_trl0(values, mask, shift_mean=True):
    """trl 0.x trl/core.py masked_mean / masked_var(unbiased=True) / masked_whiten, verbatim in effect."""
    def masked_mean(v, m):
        return (v * m).sum() / m.sum()

    def masked_var(v, m):
        mean = masked_mean(v, m)
        variance = masked_mean((v - mean) ** 2, m)
        mask_sum = m.sum()
        return variance * (mask_sum / (mask_sum - 1))

    mean, var = masked_mean(values, mask), masked_var(values, mask)
    whitened = (values - mean) * torch.rsqrt(var + 1e-8)
    if not shift_mean:
        whitened += mean
    return whitened


# ---------------------------------------------------------------- TRL

class _Acc:
    num_processes = 1
    process_index = 0
    sync_gradients = True

    def gather(self, x):
        return x

    def gather_for_metrics(self, x):
        return x

    def reduce(self, x, reduction="sum"):
        return x


def trl_self(cls, **attrs):
    """A trainer instance without __init__: only the attributes _compute_loss reads."""
    obj = cls.__new__(cls)
    obj.__dict__.update(dict(accelerator=_Acc(), model=SimpleNamespace(training=True), aux_loss_enabled=False,
                             _metrics={"train": defaultdict(list), "eval": defaultdict(list)},
                             current_gradient_accumulation_steps=1))
    obj.__dict__.update(attrs)
    return obj


SOFT_GATES = ("sapo_temperature_pos", "sapo_temperature_neg", "vespo_k_pos", "vespo_lambda_pos", "vespo_k_neg",
              "vespo_lambda_neg")


def grpo_loss_case(rs, loss_type, opts, lengths=(8, 5, 3, 8, 1, 6), T=8, on_policy=False):
    """on_policy: no old_per_token_logps in the inputs, so TRL uses per_token_logps.detach() (ratio 1).
    opts beyond TRL's keys: spread scales the policy's distance from the rollout policy (default 1),
    zero_advantage sets the second advantage to exactly 0 (SAPO/VESPO pick their parameters by its sign)."""
    from trl import GRPOTrainer, GRPOConfig
    B = len(lengths)
    mask = torch.tensor(mask_from_lengths(lengths, T))
    old = rs.normal(-2.0, 1.0, (B, T))
    logp = old + rs.normal(0, 0.3 * opts.get("spread", 1.0), (B, T))
    ref = logp + rs.normal(0, 0.3, (B, T))
    adv = rs.normal(0, 1, B)
    if opts.get("zero_advantage"):
        adv[1] = 0.0
    lp = t(logp).requires_grad_(True)
    eps_high = opts.get("epsilon_high", 0.2)
    gates = {k: opts.get(k, GRPOConfig.__dataclass_fields__[k].default) for k in SOFT_GATES}
    args = SimpleNamespace(delta=opts.get("delta"), use_bias_correction_kl=opts.get("bias_correction", True),
                           steps_per_generation=1, **gates)
    trainer = trl_self(
        GRPOTrainer, beta=opts.get("beta", 0.0), loss_type=loss_type, epsilon_low=0.2, epsilon_high=eps_high,
        importance_sampling_level=opts.get("level", "token"), args=args, top_entropy_quantile=1.0,
        off_policy_mask_threshold=None, use_vllm=False, vllm_importance_sampling_correction=False,
        _entropy_bonus_enabled=False, max_completion_length=10)
    trainer._get_per_token_logps_and_entropies = lambda *a, **k: (lp, torch.zeros(B, T), None)
    inputs = {"prompt_ids": torch.zeros(B, 1, dtype=torch.long), "prompt_mask": torch.ones(B, 1, dtype=torch.long),
              "completion_ids": torch.zeros(B, T, dtype=torch.long), "completion_mask": mask,
              "advantages": t(adv), "old_per_token_logps": t(old), "ref_per_token_logps": t(ref),
              "num_items_in_batch": mask.sum()}
    if on_policy:
        del inputs["old_per_token_logps"]
        old = logp
    loss = GRPOTrainer._compute_loss(trainer, None, inputs)
    loss.backward()
    metrics = {k: v[-1] for k, v in trainer._metrics["train"].items()}
    return {"loss_type": loss_type, "options": opts, "max_completion_length": 10, "epsilon": 0.2,
            "epsilon_high": eps_high, **gates, "logp": lst(logp), "old": lst(old), "ref": lst(ref),
            "advantages": lst(adv), "mask": mask.tolist(), "loss": loss.item(), "grad": lst(lp.grad),
            "metrics": metrics}


def source_block(func, first, last):
    """The lines of func's source from the one starting with `first` to the one starting with `last`."""
    lines = inspect.getsource(func).splitlines()
    i = next(k for k, s in enumerate(lines) if s.strip().startswith(first))
    j = next(k for k, s in enumerate(lines) if k > i and s.strip().startswith(last))
    return textwrap.dedent("\n".join(lines[i:j + 1]))


def grpo_advantage_case(rs, agg, scale, G, rewards_per_func, weights):
    from trl import GRPOTrainer
    from trl.trainer.utils import nanstd
    code = source_block(GRPOTrainer._generate_and_score_completions, "unscorable_mask = ",
                        "advantages = torch.nan_to_num(advantages")
    me = SimpleNamespace(multi_objective_aggregation=agg, scale_rewards=scale, reward_weights=t(weights),
                         reward_funcs=[None] * len(weights))
    ns = {"self": me, "torch": torch, "nanstd": nanstd, "rewards_per_func": t(rewards_per_func),
          "num_generations": G, "device": "cpu"}
    exec(code, ns)
    return {"aggregation": agg, "scale_rewards": scale, "num_generations": G, "weights": list(weights),
            "rewards_per_func": lst(rewards_per_func), "advantages": lst(ns["advantages"]),
            "std_is_zero": [bool(b) for b in ns["is_std_zero"].tolist()]}


def rloo_advantage_case(rs, G, rewards_per_func, weights, beta, clip, normalize):
    from trl import RLOOTrainer
    from trl.trainer.utils import nanstd
    code = source_block(RLOOTrainer._generate_and_score_completions, "unscorable_mask = ",
                        "is_std_zero = torch.isclose")
    N = len(rewards_per_func)
    T = 5
    mask = torch.tensor(mask_from_lengths([5, 3, 4, 1, 5, 2, 5, 4][:N], T))
    old = rs.normal(-2, 1, (N, T))
    ref = old + rs.normal(0, 0.3, (N, T))
    me = SimpleNamespace(reward_weights=t(weights), reward_clip_range=clip, beta=beta, normalize_advantages=normalize)
    ns = {"self": me, "torch": torch, "nanstd": nanstd, "rewards_per_func": t(rewards_per_func),
          "num_generations": G, "device": "cpu", "old_per_token_logps": t(old), "ref_per_token_logps": t(ref),
          "completion_mask": mask, "gather": lambda x: x}
    exec(code, ns)
    return {"num_generations": G, "weights": list(weights), "beta": beta, "clip": clip, "normalize": normalize,
            "rewards_per_func": lst(rewards_per_func), "old": lst(old), "ref": lst(ref), "mask": mask.tolist(),
            "advantages": lst(ns["advantages"]), "std_is_zero": [bool(b) for b in ns["is_std_zero"].tolist()]}


def rloo_loss_case(rs, eps_high):
    from trl import RLOOTrainer
    B, T = 6, 7
    mask = torch.tensor(mask_from_lengths([7, 4, 2, 7, 5, 1], T))
    old_tok = rs.normal(-1.0, 0.5, (B, T))
    logp = old_tok + rs.normal(0, 0.15, (B, T))
    old_seq = (t(old_tok) * mask).sum(1)
    adv = rs.normal(0, 1, B)
    lp = t(logp).requires_grad_(True)
    trainer = trl_self(RLOOTrainer, epsilon_low=0.2, epsilon_high=eps_high)
    trainer._get_per_token_logps_and_entropies = lambda *a, **k: (lp, torch.zeros(B, T), None)
    inputs = {"prompt_ids": torch.zeros(B, 1, dtype=torch.long), "prompt_mask": torch.ones(B, 1, dtype=torch.long),
              "completion_ids": torch.zeros(B, T, dtype=torch.long), "completion_mask": mask,
              "advantages": t(adv), "old_logps": old_seq}
    loss = RLOOTrainer._compute_loss(trainer, None, inputs)
    loss.backward()
    metrics = {k: v[-1] for k, v in trainer._metrics["train"].items()}
    return {"epsilon": 0.2, "epsilon_high": eps_high, "logp": lst(logp), "old_sequence_logp": lst(old_seq),
            "advantages": lst(adv), "mask": mask.tolist(), "loss": loss.item(), "grad": lst(lp.grad),
            "metrics": metrics}


def trl_cases():
    import trl
    rs = np.random.RandomState(2)
    out = defaultdict(list)
    options = [{}, {"epsilon_high": 0.28}, {"delta": 1.1}, {"beta": 0.04}, {"beta": 0.04, "bias_correction": False},
               {"level": "sequence"}, {"level": "sequence", "beta": 0.04}]
    for loss_type in ["grpo", "bnpo", "dr_grpo", "dapo"]:
        for opts in options:
            out["grpo_loss"].append(grpo_loss_case(rs, loss_type, opts))
    G = 4
    rpf = rs.normal(0, 1, (12, 2))
    rpf[0, 1] = np.nan            # one function skipped
    rpf[5, :] = np.nan            # unscorable
    rpf[8:12, 0] = 0.5            # a group with zero std in function 0
    rpf[8:12, 1] = np.nan
    for agg in ["sum_then_normalize", "normalize_then_sum"]:
        for scale in ["group", "batch", "none"]:
            out["grpo_advantages"].append(grpo_advantage_case(rs, agg, scale, G, rpf, [1.0, 0.5]))
    rpf2 = rs.normal(0, 1, (8, 2))
    rpf2[2, :] = np.nan
    rpf2[5, 0] = np.nan
    for beta, clip, normalize in [(0.05, None, False), (0.0, None, True), (0.1, (-0.5, 0.5), True)]:
        out["rloo_advantages"].append(rloo_advantage_case(rs, 4, rpf2, [1.0, 2.0], beta, clip, normalize))
    for eps_high in [0.2, 0.28]:
        out["rloo_loss"].append(rloo_loss_case(rs, eps_high))
    # on-policy (TRL's default: ratio 1 in value, gradient -A) and one-token completions (TRL then
    # averages the clip flags without the mask)
    for loss_type in ["grpo", "dapo"]:
        out["grpo_loss"].append(grpo_loss_case(rs, loss_type, {"beta": 0.04}, on_policy=True))
        out["grpo_loss"].append(grpo_loss_case(rs, loss_type, {"epsilon_high": 0.28}, lengths=(1, 0, 1), T=1))
    # TRL 1.13's further loss types, on their own stream so that the cases above stay as they were
    rs = np.random.RandomState(3)
    variants = {
        "cispo": [{"epsilon_high": 1.1}, {"epsilon_high": 1.1, "beta": 0.04}, {"epsilon_high": 5.0, "spread": 4.0},
                  {"epsilon_high": 1.05, "level": "sequence"}, {"epsilon_high": 0.2}],
        "sapo": [{}, {"sapo_temperature_pos": 0.5, "sapo_temperature_neg": 2.0, "zero_advantage": True},
                 {"beta": 0.04}, {"beta": 0.04, "bias_correction": False}, {"level": "sequence"}, {"spread": 4.0}],
        "luspo": [{"level": "sequence"}, {"level": "sequence", "beta": 0.04}, {}, {"epsilon_high": 0.28, "delta": 1.1}],
        "vespo": [{}, {"vespo_k_pos": 1.5, "vespo_lambda_pos": 2.5, "vespo_k_neg": 2.0, "vespo_lambda_neg": 1.0,
                       "zero_advantage": True}, {"beta": 0.04}, {"spread": 10.0}],
    }
    for loss_type, opts_list in variants.items():
        for opts in opts_list:
            out["grpo_loss_variants"].append(grpo_loss_case(rs, loss_type, opts))
        out["grpo_loss_variants"].append(grpo_loss_case(rs, loss_type, {"epsilon_high": 1.1} if loss_type == "cispo"
                                                        else {}, on_policy=True))
    return out, trl.__version__


def main():
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("rl_goldens.json")
    committed = json.loads(Path(__file__).with_name("rl_goldens.json").read_text())
    if orl is not None:
        cases = dict(openrlhf_cases())
        openrlhf = SNAPSHOT.read_text().splitlines()[0]
    else:
        cases = {}
        openrlhf = "not rerun: no snapshot at " + str(SNAPSHOT) + "; cases copied from the committed goldens"
    trl_out, trl_version = trl_cases()
    if orl is None:
        cases = {k: v for k, v in committed["cases"].items() if k not in trl_out}
    cases.update(trl_out)
    doc = {"made_by": "src/test/resources/rl/make_rl_goldens.py", "torch": torch.__version__, "trl": trl_version,
           "openrlhf": openrlhf, "openrlhf_live": orl is not None, "cases": cases}
    path.write_text(json.dumps(doc, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {path}: " + ", ".join(f"{k} {len(v)}" for k, v in cases.items()), file=sys.stderr)


if __name__ == "__main__":
    main()
