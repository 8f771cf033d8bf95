"""GRPO on the demo's incident task, TRL 1.13's GRPOTrainer side by side with `align4j grpo --demo` (issue 12).

Run with the reference venv (`interop/install.sh` installs it offline and prints its python), one thread
(OMP_NUM_THREADS=1). Subcommands (each prints what it did on stderr and one JSON line on stdout):

  prompts --write-texts T.jsonl,  then  prompts --align4j-ids IDS.jsonl --align4j-metrics M.jsonl
      renders the demo's prompts as align4j's PromptDataset does (alpaca: user = instruction + "\\n" + input,
      the tokenizer's chat template with the generation prompt) through transformers' apply_chat_template
      (--write-texts writes them as {"text": ...} lines), and compares their token ids with align4j's (IDS.jsonl:
      `./align4j logprobs --model runs/demo/pt/model --input T.jsonl` on those texts) and the texts with align4j's
      own rendering (the prompts in the `samples` of an align4j grpo run's metrics.jsonl, M.jsonl).
  judge-requests --demo runs/demo --out REQ.jsonl
      400 chat requests for `align4j generate --input`: the 96 held-out alerts three times, then the first 112
      training alerts, each with its gold report as "reference".
  judge-golden --requests REQ.jsonl --completions GEN.jsonl --out GOLDEN.jsonl
      the Python port of align4j's incident judge on completions align4j sampled (`align4j generate --input`
      output, in the order of the requests) and on 12 hand-made edge cases: writes completion, reference and the
      port's verdict per line, the golden that IncidentJudgePortTest checks the Java judge against. Made by:
        $PY bench/grpo_trl_side_by_side.py judge-requests --out req.jsonl
        OMP_NUM_THREADS=1 ./align4j generate --model runs/demo/pt/model --adapter runs/demo/sft/adapter \
            --input req.jsonl --do-sample --temperature 1.0 --max-new-tokens 48 --seed 7 > gen.jsonl
        $PY bench/grpo_trl_side_by_side.py judge-golden --requests req.jsonl --completions gen.jsonl \
            --out src/test/resources/rl/incident_judge_port.jsonl
  train --demo runs/demo --out DIR [--lr 3e-4 --seed 42 --steps 30]
      TRL's GRPOTrainer from the SFT adapter (PeftModel, is_trainable; TRL copies it as the frozen "ref"
      adapter, so the reference is the SFT policy as in align4j) with the settings of recipes/grpo_incident.yaml:
      8 prompts x 8 generations per generation batch, two optimizer steps of 32 rows per generation batch
      (steps_per_generation 2), max_completion_length 48, temperature 1, top_k 0, top_p 1, beta 0.04 (k3 with
      bias correction), epsilon 0.2, loss_type dapo, scale_rewards group, AdamW lr constant, max_grad_norm 1,
      weight decay 0. Writes DIR/adapter, DIR/rollouts.jsonl (per generation batch: the judge's mean and parts on
      its 64 completions) and DIR/steps.jsonl (TRL's log per optimizer step: kl, entropy, clip ratios, ...).
  eval --demo runs/demo --adapter NAME=DIR ... --out EVAL.json
      the held-out judge of each adapter (and of the SFT adapter), as align4j's PolicyEvaluator measures it:
      greedy reports (48 new tokens) for the 96 alerts of data/val.jsonl, and 4 reports per alert sampled at
      temperature 1, with the mean and the format / event type / risk level parts, and the Monte-Carlo sequence
      KL to the SFT policy on the sampled reports (mean of sum_t log pi - log sft, and its standard error).
  compare --a4j DIR --trl DIR
      per-rollout training reward, k3 KL and entropy of an align4j run (metrics.jsonl) and a TRL run (above).
"""
import argparse
import json
import math
import os
import re
import sys

REPORT = re.compile(r"事件类型：([^；]+)；风险等级：(低|中|高|严重)；建议：([^；]+)")
LEVELS = ("低", "中", "高", "严重")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- the judge


def java_strip(s):
    """Java's String.strip(): leading and trailing Character.isWhitespace code points."""
    ws = lambda c: c in " \t\n\x0b\f\r\x1c\x1d\x1e\x1f" or (c.isspace() and c not in "\xa0\u2007\u202f")
    i, j = 0, len(s)
    while i < j and ws(s[i]):
        i += 1
    while j > i and ws(s[j - 1]):
        j -= 1
    return s[i:j]


def parse_report(text):
    """IncidentDataset.parse: (event type, risk level, suggestion) of a whole-string match, else None."""
    if text is None:
        return None
    m = REPORT.fullmatch(java_strip(text))
    if m is None:
        return None
    return java_strip(m.group(1)), m.group(2), java_strip(m.group(3))


def verdict(completion, reference):
    """IncidentVerdict.of(completion, parse(reference)): (format, event type, risk level); None if the gold fails."""
    gold = parse_report(java_strip(reference))
    if gold is None:
        return None
    p = parse_report(completion)
    return (p is not None, p is not None and p[0] == gold[0], p is not None and p[1] == gold[1])


def judge_score(completion, reference):
    """The `incident_judge` reward: a third per point; None when the reference does not parse."""
    v = verdict(completion, reference)
    return None if v is None else sum(v) / 3.0


# ---------------------------------------------------------------------------------------------- data


def records(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def user_text(rec):
    """The alpaca parser's user turn: instruction, then the input on its own line when there is one."""
    ins, inp = rec.get("instruction", ""), rec.get("input", "")
    return ins + "\n" + inp if inp else ins


def messages(rec):
    return [{"role": "user", "content": user_text(rec)}]


def load_tokenizer(demo):
    """The demo's character tokenizer. Not AutoTokenizer: transformers 5 picks Qwen2Tokenizer from config.json's
    model_type and rebuilds a byte-level BPE around the vocabulary, which drops every character outside it
    (the Chinese text, the newlines) and so feeds the model other ids than align4j does."""
    from transformers import PreTrainedTokenizerFast
    d = os.path.join(demo, "pt/model")
    cfg = json.load(open(os.path.join(d, "tokenizer_config.json"), encoding="utf-8"))
    tok = PreTrainedTokenizerFast(tokenizer_file=os.path.join(d, "tokenizer.json"), eos_token=cfg["eos_token"],
                                  pad_token=cfg["pad_token"], unk_token=cfg["unk_token"])
    tok.chat_template = cfg["chat_template"]
    return tok


def render(tok, rec):
    return tok.apply_chat_template(messages(rec), tokenize=False, add_generation_prompt=True)


def load_policy(demo, adapter, trainable=False, name="default"):
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM
    base = AutoModelForCausalLM.from_pretrained(os.path.join(demo, "pt/model"), dtype=torch.float32,
                                                attn_implementation="eager")
    return PeftModel.from_pretrained(base, adapter, is_trainable=trainable, adapter_name=name)


# ---------------------------------------------------------------------------------------------- prompts


def cmd_prompts(a):
    tok = load_tokenizer(a.demo)
    recs = records(os.path.join(a.demo, "data/train.jsonl")) + records(os.path.join(a.demo, "data/val.jsonl"))
    texts = [render(tok, r) for r in recs]
    if a.write_texts:
        with open(a.write_texts, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        log(f"wrote {len(texts)} rendered prompts to {a.write_texts}")
        return
    ours = [json.loads(line)["ids"] for line in open(a.align4j_ids) if line.strip()]
    hf = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    same_ids = sum(1 for x, y in zip(hf, ours) if list(x) == list(y))
    same_text = checked_text = 0
    if a.align4j_metrics:
        # align4j's eval samples are "<prompt as align4j rendered it> => <completion>" for the first val prompts
        val = records(os.path.join(a.demo, "data/val.jsonl"))
        for line in open(a.align4j_metrics, encoding="utf-8"):
            row = json.loads(line)
            for k, s in enumerate(row.get("samples", [])):
                checked_text += 1
                same_text += s.split(" => ")[0] == render(tok, val[k])
            if checked_text:
                break
    out = {"prompts": len(texts), "align4j_ids": len(ours), "same_ids": same_ids, "texts_checked": checked_text,
           "same_texts": same_text, "pass": same_ids == len(texts) == len(ours) and same_text == checked_text}
    print(json.dumps(out))


# ---------------------------------------------------------------------------------------------- judge golden


def cmd_judge_requests(a):
    val = records(os.path.join(a.demo, "data/val.jsonl"))
    train = records(os.path.join(a.demo, "data/train.jsonl"))
    rows = [r for r in val for _ in range(3)] + train[:112]
    with open(a.out, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"messages": messages(r), "reference": r["output"]}, ensure_ascii=False) + "\n")
    print(json.dumps({"requests": a.out, "rows": len(rows)}))


def cmd_judge_golden(a):
    reqs = [json.loads(line) for line in open(a.requests, encoding="utf-8") if line.strip()]
    gens = [json.loads(line) for line in open(a.completions, encoding="utf-8") if line.strip()]
    if len(reqs) != len(gens):
        raise SystemExit(f"{len(reqs)} requests but {len(gens)} completions")
    gold = reqs[0]["reference"]
    et, lv, sug = parse_report(gold)
    other = next(x for x in LEVELS if x != lv)
    # hand-made edge cases on top of the sampled ones: white space, a wrong event type, a level outside the
    # four, a missing or empty field, a stray separator, the level's prefix only
    edges = [" \n" + gold + "\n ", f"事件类型：其他；风险等级：{lv}；建议：{sug}", f"事件类型：{et}；风险等级：{other}；建议：{sug}",
             f"事件类型：{et}；风险等级：极高；建议：{sug}", f"事件类型：{et}；风险等级：{lv}", f"事件类型：{et}；风险等级：{lv}；建议：",
             f"事件类型：{et}；风险等级：{lv}；建议：{sug}；", f"事件类型： {et} ；风险等级：{lv}；建议：{sug}",
             f"事件类型：{et}；风险等级：严；建议：{sug}", f"事件类型：{et}\n；风险等级：{lv}；建议：{sug}\n多余", "", gold + "\u3000"]
    reqs = reqs + [{"reference": gold} for _ in edges]
    gens = gens + [{"completion": e} for e in edges]
    counts = [0, 0, 0, 0]
    with open(a.out, "w", encoding="utf-8") as f:
        for q, g in zip(reqs, gens):
            v = verdict(g["completion"], q["reference"])
            counts[sum(v)] += 1
            f.write(json.dumps({"completion": g["completion"], "reference": q["reference"], "format": v[0],
                                "event_type": v[1], "risk_level": v[2], "score": sum(v) / 3.0},
                               ensure_ascii=False) + "\n")
    print(json.dumps({"golden": a.out, "rows": len(gens), "points_0_1_2_3": counts}))


# ---------------------------------------------------------------------------------------------- TRL training


def judge_reward(rollouts, label):
    """TRL's reward function: the incident judge (a third each for format, event type, risk level) of each
    completion against its reference; logs each generation batch's mean and parts to `rollouts` (a file)."""
    def incident_judge(prompts, completions, reference, **kw):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]
        vs = [verdict(t, r) for t, r in zip(texts, reference)]
        n = len(vs)
        row = {"rollout": incident_judge.calls, "rows": n, "score": sum(sum(v) for v in vs) / 3.0 / n,
               "format": sum(v[0] for v in vs) / n, "event_type": sum(v[1] for v in vs) / n,
               "risk_level": sum(v[2] for v in vs) / n, "sample": texts[0]}
        rollouts.write(json.dumps(row, ensure_ascii=False) + "\n")
        rollouts.flush()
        log(f"{label} {incident_judge.calls}: score {row['score']:.4f} (format {row['format']:.3f}, event "
            f"{row['event_type']:.3f}, risk {row['risk_level']:.3f})")
        incident_judge.calls += 1
        return [sum(v) / 3.0 for v in vs]

    incident_judge.calls = 0
    return incident_judge


def cmd_train(a):
    import torch
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset
    from transformers import TrainerCallback
    from trl import GRPOConfig, GRPOTrainer

    os.makedirs(a.out, exist_ok=True)
    tok = load_tokenizer(a.demo)
    train = records(os.path.join(a.demo, "data/train.jsonl"))
    ds = Dataset.from_list([{"prompt": messages(r), "reference": r["output"]} for r in train])
    model = load_policy(a.demo, os.path.join(a.demo, "sft/adapter"), trainable=True)
    rollouts = open(os.path.join(a.out, "rollouts.jsonl"), "w")

    incident_judge = judge_reward(rollouts, "trl rollout")
    cfg = GRPOConfig(output_dir=os.path.join(a.out, "trainer"), per_device_train_batch_size=32,
                     gradient_accumulation_steps=1, steps_per_generation=2, num_generations=8,
                     max_completion_length=48, temperature=1.0, top_k=0, top_p=1.0, beta=0.04, epsilon=0.2,
                     loss_type="dapo", scale_rewards="group", use_bias_correction_kl=True, num_iterations=1,
                     learning_rate=a.lr, lr_scheduler_type="constant", warmup_steps=0, weight_decay=0.0,
                     max_grad_norm=1.0, max_steps=a.steps, logging_steps=1, save_strategy="no", report_to=[],
                     use_cpu=True, bf16=False, fp16=False, seed=a.seed, disable_dropout=True,
                     dataloader_num_workers=0, shuffle_dataset=True)
    steps = open(os.path.join(a.out, "steps.jsonl"), "w")

    class Log(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            steps.write(json.dumps({"step": state.global_step, **(logs or {})}) + "\n")
            steps.flush()

    trainer = GRPOTrainer(model=model, reward_funcs=[incident_judge], args=cfg, train_dataset=ds,
                          processing_class=tok, callbacks=[Log()])
    assert "ref" in trainer.model.peft_config, "TRL did not make the SFT adapter's frozen copy (the reference)"
    trainer.train()
    trainer.model.save_pretrained(os.path.join(a.out, "adapter"), selected_adapters=["default"])
    print(json.dumps({"out": a.out, "rollouts": incident_judge.calls, "steps": trainer.state.global_step}))


# ---------------------------------------------------------------------------------------------- held-out eval


def generate(model, tok, prompts, greedy, seed, batch=32, new_tokens=48):
    """Completions (ids through the first EOS, and text without special tokens) for each prompt text."""
    import torch
    out = []
    torch.manual_seed(seed)
    tok.padding_side = "left"
    for s in range(0, len(prompts), batch):
        enc = tok(prompts[s:s + batch], return_tensors="pt", padding=True, add_special_tokens=False)
        with torch.no_grad():
            g = model.generate(**enc, max_new_tokens=new_tokens, do_sample=not greedy, temperature=None if greedy else 1.0,
                               top_k=0 if not greedy else None, top_p=None, eos_token_id=tok.eos_token_id,
                               pad_token_id=tok.pad_token_id)
        for row in g[:, enc["input_ids"].shape[1]:].tolist():
            ids = []
            for t in row:
                ids.append(t)
                if t == tok.eos_token_id:
                    break
            while ids and ids[-1] == tok.pad_token_id and tok.pad_token_id != tok.eos_token_id:
                ids.pop()
            out.append((ids, tok.decode(ids, skip_special_tokens=True)))
    return out


def seq_logprob(model, tok, prompt_ids, comp_ids):
    """sum_t log p(completion token t | prefix) under model (temperature 1)."""
    import torch
    ids = torch.tensor([prompt_ids + comp_ids])
    with torch.no_grad():
        logits = model(input_ids=ids).logits[0, len(prompt_ids) - 1:-1].float()
    lp = torch.log_softmax(logits, -1).gather(-1, torch.tensor(comp_ids)[:, None])
    return float(lp.sum())


def scores(outs, refs):
    vs = [verdict(t, r) for (_, t), r in zip(outs, refs)]
    n = len(vs)
    return {"score": sum(sum(v) for v in vs) / 3.0 / n, "format": sum(v[0] for v in vs) / n,
            "event_type": sum(v[1] for v in vs) / n, "risk_level": sum(v[2] for v in vs) / n}


def cmd_eval(a):
    import torch
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    tok = load_tokenizer(a.demo)
    val = records(os.path.join(a.demo, "data/val.jsonl"))
    texts = [render(tok, r) for r in val]
    refs = [r["output"] for r in val]
    model = load_policy(a.demo, os.path.join(a.demo, "sft/adapter"), name="sft")
    named = [("sft", None)] + [tuple(x.split("=", 1)) for x in a.adapter]
    for name, path in named[1:]:
        model.load_adapter(path, adapter_name=name)
    model.eval()
    res = {}
    for name, _ in named:
        model.set_adapter(name)
        greedy = generate(model, tok, texts, True, a.seed)
        rep_texts = [t for t in texts for _ in range(a.samples)]
        rep_refs = [r for r in refs for _ in range(a.samples)]
        sampled = generate(model, tok, rep_texts, False, a.seed)
        kls = []
        if name != "sft":
            prompt_ids = [tok(t, add_special_tokens=False)["input_ids"] for t in rep_texts]
            for (c, _), p in zip(sampled, prompt_ids):
                if not c:
                    kls.append(0.0)
                    continue
                model.set_adapter(name)
                lp = seq_logprob(model, tok, p, c)
                model.set_adapter("sft")
                kls.append(lp - seq_logprob(model, tok, p, c))
            model.set_adapter(name)
        kl = sum(kls) / len(kls) if kls else 0.0
        se = (math.sqrt(sum((k - kl) ** 2 for k in kls) / (len(kls) - 1) / len(kls)) if len(kls) > 1 else 0.0)
        res[name] = {"greedy": scores(greedy, refs), "sampled": scores(sampled, rep_refs), "kl": kl, "kl_se": se,
                     "greedy_risk_answers": {lv: sum(1 for _, t in greedy if (parse_report(t) or ("", ""))[1] == lv)
                                             for lv in LEVELS}}
        g, s = res[name]["greedy"], res[name]["sampled"]
        log(f"{name}: greedy {g['score']:.4f} ({g['format']:.3f}/{g['event_type']:.3f}/{g['risk_level']:.3f}) sampled "
            f"{s['score']:.4f} ({s['format']:.3f}/{s['event_type']:.3f}/{s['risk_level']:.3f}) KL {kl:.3f} ± {se:.3f}")
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({"out": a.out, **{k: [v["greedy"]["score"], v["sampled"]["score"], v["kl"]] for k, v in res.items()}}))


# ---------------------------------------------------------------------------------------------- compare


def a4j_rollouts(run):
    """Per rollout of an align4j run: objective/scores, and the steps' k3 kl and entropy (mean of its steps)."""
    rows = {}
    for line in open(os.path.join(run, "metrics.jsonl")):
        m = json.loads(line)
        if "rollout" not in m:
            continue
        r = rows.setdefault(int(m["rollout"]), {"score": m["objective/scores"], "kl": [], "entropy": [],
                                                "seq_kl_k1": m.get("objective/kl")})
        r["kl"].append(m.get("kl", float("nan")))
        r["entropy"].append(m["objective/entropy"])
    return [{"score": r["score"], "kl": sum(r["kl"]) / len(r["kl"]), "entropy": sum(r["entropy"]) / len(r["entropy"])}
            for _, r in sorted(rows.items())]


def trl_rollouts(run):
    roll = [json.loads(line) for line in open(os.path.join(run, "rollouts.jsonl"))]
    steps = [json.loads(line) for line in open(os.path.join(run, "steps.jsonl")) if "kl" in line]
    steps = [s for s in steps if "kl" in s and "train_runtime" not in s]
    out = []
    for i, r in enumerate(roll):
        st = steps[2 * i:2 * i + 2]
        out.append({"score": r["score"], "kl": sum(float(s["kl"]) for s in st) / max(1, len(st)),
                    "entropy": sum(float(s["entropy"]) for s in st) / max(1, len(st))})
    return out


def cmd_compare(a):
    sides = {"align4j": a4j_rollouts(a.a4j), "trl": trl_rollouts(a.trl)}
    n = max(len(v) for v in sides.values())
    print("| rollout | align4j reward | TRL reward | align4j k3 KL | TRL k3 KL | align4j entropy | TRL entropy |")
    print("|---|---|---|---|---|---|---|")
    for i in range(n):
        cell = lambda s, k: f"{sides[s][i][k]:.4f}" if i < len(sides[s]) else ""
        print(f"| {i} | {cell('align4j', 'score')} | {cell('trl', 'score')} | {cell('align4j', 'kl')} | {cell('trl', 'kl')}"
              f" | {cell('align4j', 'entropy')} | {cell('trl', 'entropy')} |")
    for s, v in sides.items():
        k = len(v) // 3
        first = sum(x["score"] for x in v[:k]) / k
        last = sum(x["score"] for x in v[-k:]) / k
        slope = fit_slope([x["score"] for x in v])
        print(f"{s}: mean reward first third {first:.4f}, last third {last:.4f}, least-squares slope per rollout "
              f"{slope:+.5f}, last k3 KL {v[-1]['kl']:.4f}")


def fit_slope(y):
    n = len(y)
    xm = (n - 1) / 2
    ym = sum(y) / n
    return sum((i - xm) * (v - ym) for i, v in enumerate(y)) / sum((i - xm) ** 2 for i in range(n))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prompts")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--write-texts")
    p.add_argument("--align4j-ids")
    p.add_argument("--align4j-metrics")
    p = sub.add_parser("judge-requests")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--out", required=True)
    p = sub.add_parser("judge-golden")
    p.add_argument("--requests", required=True)
    p.add_argument("--completions", required=True)
    p.add_argument("--out", required=True)
    p = sub.add_parser("train")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--out", required=True)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("eval")
    p.add_argument("--demo", default="runs/demo")
    p.add_argument("--adapter", action="append", default=[])
    p.add_argument("--out", required=True)
    p.add_argument("--samples", type=int, default=4)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--threads", type=int, default=1)
    p = sub.add_parser("compare")
    p.add_argument("--a4j", required=True)
    p.add_argument("--trl", required=True)
    a = ap.parse_args()
    {"prompts": cmd_prompts, "judge-requests": cmd_judge_requests, "judge-golden": cmd_judge_golden, "train": cmd_train, "eval": cmd_eval,
     "compare": cmd_compare}[a.cmd](a)


if __name__ == "__main__":
    main()
