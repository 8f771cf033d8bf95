"""GRPO (TRL 1.13 + PEFT 0.21) on the demo's incident task with the final norm trainable too (issue 12).

The hypothesis this tests: the demo model's logits are E (w * h / rms(h)) with E the frozen tied embedding and w the
frozen final RMSNorm weight (`model.norm.weight`), so a LoRA on the linear layers cannot make the risk-level token's
probability at T 1 exceed a cap; if the policy may also train w (PEFT `modules_to_save` on `model.norm`: a trainable
copy, initialised from the base, that serves only while the policy adapter "default" is active), GRPO with the judge
may raise the held-out sampled judge score. The reference (TRL's "ref" adapter, a copy of the SFT adapter made by
GRPOTrainer) keeps the original norm: TRL's add_adapter("ref", default's config) gives "ref" its own norm copy, also
initialised from the base and never trained (ref log-probs are computed without gradients and the optimizer holds only
"default"'s parameters).

Run from the repository root with the reference venv (`interop/install.sh` prints its python), one thread:

  PY=$(interop/install.sh | tail -1)
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice $PY bench/grpo_trl_norm.py check --demo runs/demo
      builds the policy as `train` does, hands it to GRPOTrainer, and checks (one JSON line each): the norm copy
      requires grad and the base norm does not; adapters disabled = the base model; "ref" active = the SFT policy;
      "default" active = the SFT policy before training; after the norm copy is scaled by 2 (a stand-in for
      training): "default" = the SFT adapter on a base whose norm weight is doubled, "ref" and disabled unchanged;
      the saved adapter loaded as the `eval` subcommand of grpo_trl_side_by_side.py loads it gives the same forwards.
  OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 nice $PY bench/grpo_trl_norm.py train --demo runs/demo --out DIR \\
          [--lr 1e-4] [--norm-lr LR] [--steps 12] [--seed 42] [--no-norm]
      GRPOTrainer from the SFT adapter with the settings of recipes/grpo_incident.yaml: 32 prompts x 8 generations
      per generation batch = one optimizer step of 256 rows (per_device_train_batch_size 256, no accumulation),
      max_completion_length 48, temperature 1, top_k 0, top_p 1, beta 0.04 (k3, bias-corrected), epsilon 0.2,
      loss_type dapo, scale_rewards group, AdamW (0.9, 0.999, eps 1e-8, no weight decay) at a constant lr,
      max_grad_norm 1. --lr is the LoRA's lr, --norm-lr the norm copy's (default: --lr), as two parameter groups
      of one AdamW; --lr 0 trains the norm alone; --no-norm trains the LoRA alone (the control). Writes
      DIR/adapter (PEFT format; modules_to_save ["model.norm"] unless --no-norm), DIR/rollouts.jsonl (the judge's
      mean and parts per generation batch) and DIR/steps.jsonl (TRL's log per step, plus norm_ratio: the mean of
      the norm copy / the base norm).
  $PY bench/grpo_trl_side_by_side.py eval --demo runs/demo --adapter NAME=DIR/adapter ... --out EVAL.json
      the held-out judge (greedy and 4 samples per alert at T 1) and the KL to the SFT policy, unchanged: PEFT loads
      the saved norm copy with the adapter and uses it only while that adapter is active (`check` verifies this).
      NAME must not contain "." (PEFT's module dicts refuse it: use s150, not s1.5).
  $PY bench/grpo_trl_norm.py ratio [--demo runs/demo] DIR/adapter ...
      the saved norm copy's mean, min and max ratio to the base norm weight.
  $PY bench/grpo_trl_norm.py scale --demo runs/demo --factor C --out DIR
      no training: the SFT adapter with a norm copy equal to C times the base norm, saved as `train` saves its
      adapter (for `eval`: what sharpening alone gives; the logits scale by C, i.e. sampling at T 1/C, argmax kept).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import grpo_trl_side_by_side as g  # noqa: E402

NORM = "model.norm"  # the inner HF model's final norm; "layers.N.*_layernorm" and "q_norm"/"k_norm" do not end with it
COPY = "base_model.model.model.norm.modules_to_save.default.weight"
ORIG = "base_model.model.model.norm.original_module.weight"


def add_norm_copy(model):
    """Gives the PeftModel's "default" adapter a trainable copy of the final norm (PEFT's modules_to_save), as
    get_peft_model would have with LoraConfig(modules_to_save=["model.norm"]). Setting it on the config also makes
    TRL's add_adapter("ref", default's config) give the reference its own (frozen) copy of the base norm."""
    from peft.tuners.tuners_utils import BaseTuner
    from peft.utils.other import set_additional_trainable_modules
    cfg = model.peft_config["default"]
    cfg.modules_to_save = [NORM]
    set_additional_trainable_modules(model=model.base_model.model, peft_config=cfg,
                                     model_config=BaseTuner.get_model_config(model), adapter_name="default",
                                     activate_adapter=True)
    return model


def make_policy(demo, norm=True):
    model = g.load_policy(demo, os.path.join(demo, "sft/adapter"), trainable=True)
    return add_norm_copy(model) if norm else model


def norm_params(model):
    named = dict(model.named_parameters())
    return named.get(COPY), named.get(ORIG)


def grpo_config(out, lr, steps, seed):
    from trl import GRPOConfig
    return GRPOConfig(output_dir=os.path.join(out, "trainer"), per_device_train_batch_size=256,
                      gradient_accumulation_steps=1, steps_per_generation=1, num_generations=8,
                      max_completion_length=48, temperature=1.0, top_k=0, top_p=1.0, beta=0.04, epsilon=0.2,
                      loss_type="dapo", scale_rewards="group", use_bias_correction_kl=True, num_iterations=1,
                      learning_rate=lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                      max_grad_norm=1.0, max_steps=steps, logging_steps=1, save_strategy="no", report_to=[],
                      use_cpu=True, bf16=False, fp16=False, seed=seed, disable_dropout=True,
                      dataloader_num_workers=0, shuffle_dataset=True)


def dataset(demo, n=None):
    from datasets import Dataset
    train = g.records(os.path.join(demo, "data/train.jsonl"))
    train = train[:n] if n else train
    return Dataset.from_list([{"prompt": g.messages(r), "reference": r["output"]} for r in train])


# ---------------------------------------------------------------------------------------------- check


def cmd_check(a):
    import tempfile
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    from trl import GRPOTrainer
    from trl.trainer.utils import use_adapter

    torch.set_num_threads(max(1, a.threads))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    tok = g.load_tokenizer(a.demo)
    val = g.records(os.path.join(a.demo, "data/val.jsonl"))[:4]
    texts = [g.render(tok, r) + r["output"] for r in val]
    tok.padding_side = "right"
    enc = tok(texts, return_tensors="pt", padding=True, add_special_tokens=False)

    def logits(m):
        with torch.no_grad():
            return m(**enc).logits.float()

    def pristine(scale=1.0, adapter=True):
        base = AutoModelForCausalLM.from_pretrained(os.path.join(a.demo, "pt/model"), dtype=torch.float32,
                                                    attn_implementation="eager")
        with torch.no_grad():
            base.model.norm.weight.mul_(scale)
        m = PeftModel.from_pretrained(base, os.path.join(a.demo, "sft/adapter")) if adapter else base
        return m.eval()

    results = []

    def report(check, diff, tol, detail=""):
        r = {"check": check, "max_diff": diff, "tol": tol, "pass": diff <= tol, "detail": detail}
        results.append(r)
        print(json.dumps(r))

    base_logits, sft_logits, sft2_logits = logits(pristine(adapter=False)), logits(pristine()), logits(pristine(2.0))
    model = make_policy(a.demo)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = GRPOTrainer(model=model, reward_funcs=[lambda completions, **kw: [0.0] * len(completions)],
                              args=grpo_config(tmp, 1e-4, 1, 42), train_dataset=dataset(a.demo, 16),
                              processing_class=tok)
    pm = trainer.model
    assert "ref" in pm.peft_config, "TRL did not make the SFT adapter's frozen copy (the reference)"
    copy, orig = norm_params(pm)
    trainable = sorted(n for n, p in pm.named_parameters() if p.requires_grad)
    report("norm copy requires grad, base norm frozen", 0.0 if copy.requires_grad and not orig.requires_grad else 1.0,
           0.0, f"{len(trainable)} trainable tensors, norm ones: {[n for n in trainable if 'model.norm' in n]}")
    report("ref adapter has its own norm copy", 0.0 if "ref" in pm.base_model.model.model.norm.modules_to_save else 1.0,
           0.0, str(list(pm.base_model.model.model.norm.modules_to_save.keys())))
    pm.eval()

    def sides(tag):
        pm.set_adapter("default")
        d = logits(pm)
        with use_adapter(pm, adapter_name="ref"):
            r = logits(pm)
        with use_adapter(pm, adapter_name=None):
            b = logits(pm)
        pm.set_adapter("default")
        report(f"{tag}: ref adapter = SFT policy", (r - sft_logits).abs().max().item(), 1e-5)
        report(f"{tag}: adapters disabled = base model", (b - base_logits).abs().max().item(), 1e-5)
        return d

    d = sides("initial")
    report("initial: default = SFT policy", (d - sft_logits).abs().max().item(), 1e-5)
    report("initial: after use_adapter, norm copy requires grad again", 0.0 if copy.requires_grad else 1.0, 0.0)
    with torch.no_grad():
        copy.mul_(2.0)
    d = sides("norm copy x2")
    report("norm copy x2: default = SFT adapter on a base with the norm doubled",
           (d - sft2_logits).abs().max().item(), 1e-4)
    report("norm copy x2: default differs from SFT (the copy is used)", -(d - sft_logits).abs().max().item(), -1.0)
    with tempfile.TemporaryDirectory() as tmp:
        pm.save_pretrained(tmp, selected_adapters=["default"])
        saved = json.load(open(os.path.join(tmp, "adapter_config.json")))
        ev = g.load_policy(a.demo, os.path.join(a.demo, "sft/adapter"), name="sft")  # as cmd_eval loads them
        ev.load_adapter(tmp, adapter_name="trained")
        ev.eval()
        for name, ref, tag in (("sft", sft_logits, "SFT policy"), ("trained", sft2_logits, "SFT on doubled norm"),
                               ("sft", sft_logits, "SFT policy (after trained)")):
            ev.set_adapter(name)
            report(f"eval loading: {name} = {tag}", (logits(ev) - ref).abs().max().item(), 1e-4,
                   f"saved modules_to_save {saved.get('modules_to_save')}")
    ok = all(r["pass"] for r in results)
    print(json.dumps({"checks": len(results), "pass": ok}))
    if not ok:
        raise SystemExit(1)


# ---------------------------------------------------------------------------------------------- train


def cmd_train(a):
    import torch
    from transformers import TrainerCallback, get_constant_schedule
    from trl import GRPOTrainer

    torch.set_num_threads(max(1, a.threads))
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.makedirs(a.out, exist_ok=True)
    tok = g.load_tokenizer(a.demo)
    model = make_policy(a.demo, norm=not a.no_norm)
    norm_lr = a.lr if a.norm_lr is None else a.norm_lr
    copy, orig = norm_params(model)
    lora = [p for n, p in model.named_parameters() if p.requires_grad and ".default." in n and n != COPY]
    groups = [{"params": lora, "lr": a.lr}] + ([{"params": [copy], "lr": norm_lr}] if copy is not None else [])
    # The optimizer is made here, from "default"'s parameters only, before TRL adds "ref" (whose parameters
    # PEFT's set_adapter makes require grad while "ref" is active: they never get a gradient, nor are they here).
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    log(f"optimizer: {sum(p.numel() for p in lora)} LoRA parameters at lr {a.lr}, "
        f"{copy.numel() if copy is not None else 0} norm parameters at lr {norm_lr if copy is not None else '-'}")
    rollouts = open(os.path.join(a.out, "rollouts.jsonl"), "w")

    incident_judge = g.judge_reward(rollouts, "rollout")
    steps = open(os.path.join(a.out, "steps.jsonl"), "w")

    def ratio():
        return None if copy is None else float((copy.detach() / orig.detach()).mean())

    class Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            row = {"step": state.global_step, **(logs or {}), "norm_ratio": ratio()}
            steps.write(json.dumps(row) + "\n")
            steps.flush()
            log(f"step {state.global_step}: norm ratio {row['norm_ratio']}, kl {row.get('kl')}")

    trainer = GRPOTrainer(model=model, reward_funcs=[incident_judge], args=grpo_config(a.out, a.lr, a.steps, a.seed),
                          train_dataset=dataset(a.demo), processing_class=tok, callbacks=[Log()],
                          optimizers=(opt, get_constant_schedule(opt)))
    assert "ref" in trainer.model.peft_config, "TRL did not make the SFT adapter's frozen copy (the reference)"
    trainer.train()
    trainer.model.save_pretrained(os.path.join(a.out, "adapter"), selected_adapters=["default"])
    print(json.dumps({"out": a.out, "rollouts": incident_judge.calls, "steps": trainer.state.global_step,
                      "lr": a.lr, "norm_lr": None if copy is None else norm_lr, "norm_ratio": ratio()}))


# ---------------------------------------------------------------------------------------------- scale


def cmd_scale(a):
    import torch
    model = make_policy(a.demo)
    copy, orig = norm_params(model)
    with torch.no_grad():
        copy.copy_(orig * a.factor)
    model.save_pretrained(a.out, selected_adapters=["default"])
    print(json.dumps({"out": a.out, "factor": a.factor}))


# ---------------------------------------------------------------------------------------------- ratio


def cmd_ratio(a):
    import glob
    from safetensors.torch import load_file
    files = glob.glob(os.path.join(a.demo, "pt/model", "*.safetensors"))
    if not files:
        raise SystemExit(f"no *.safetensors in {os.path.join(a.demo, 'pt/model')} (the base model; --demo)")
    base = load_file(files[0])["model.norm.weight"]
    for d in a.adapters:
        sd = load_file(os.path.join(d, "adapter_model.safetensors"))
        keys = [k for k in sd if k.endswith("model.norm.weight")]
        if not keys:
            print(json.dumps({"adapter": d, "norm": None}))
            continue
        r = sd[keys[0]] / base
        print(json.dumps({"adapter": d, "key": keys[0], "mean": float(r.mean()), "min": float(r.min()),
                          "max": float(r.max())}))


def log(*x):
    print(*x, file=sys.stderr, flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("check")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("train")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--out", required=True)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--norm-lr", type=float)
    p.add_argument("--no-norm", action="store_true")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("scale")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--factor", type=float, required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("ratio")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("adapters", nargs="+")
    a = ap.parse_args()
    {"check": cmd_check, "train": cmd_train, "scale": cmd_scale, "ratio": cmd_ratio}[a.cmd](a)


if __name__ == "__main__":
    main()
