"""The hand-made inputs of bench/DEMO-TUNING.md session 4, from runs/m/pairs (pairs.yaml) and runs/demo:
runs/m/pairs_risk.jsonl (wrong-risk pairs only), pairs_riskmix.jsonl (those + half as many others),
pairs_riskmix_nb.jsonl (the same, each rejected level moved one tier), lp_in.jsonl/lp_meta.json (chat texts
of the 600 held-out pairs for `align4j logprobs`), lv_in.jsonl/lv_meta.json (each held-out alert's gold
report with each of the four levels, for `align4j score`). Run from the repository root."""
import json
import random
import re

M = "runs/m/"
L = ["低", "中", "高", "严重"]
rows = open(M + "pairs/data/pairs_train.jsonl").readlines()
risk = [l for l in rows if '"wrong_risk_level"' in l]
open(M + "pairs_risk.jsonl", "w").writelines(risk)
keep = set(risk) | set([l for l in rows if '"wrong_risk_level"' not in l][:len(risk) // 2])
mix = [l for l in rows if l in keep]
open(M + "pairs_riskmix.jsonl", "w").writelines(mix)
rnd = random.Random(5)
nb = []
for l in mix:
    r = json.loads(l)
    if r["kind"] == "wrong_risk_level":
        c = r["chosen"][0]["content"]
        g = re.search("风险等级：([^；]+)；", c).group(1)
        i = L.index(g)
        w = rnd.choice([L[j] for j in (i - 1, i + 1) if 0 <= j < 4])
        r["rejected"][0]["content"] = c.replace("风险等级：" + g + "；", "风险等级：" + w + "；")
    nb.append(json.dumps(r, ensure_ascii=False))
open(M + "pairs_riskmix_nb.jsonl", "w").write("\n".join(nb) + "\n")
with open(M + "lp_in.jsonl", "w") as out:
    meta = []
    for l in open(M + "pairs/data/pairs_val.jsonl"):
        r = json.loads(l)
        u = r["prompt"][0]["content"]
        for side in ("chosen", "rejected"):
            t = "<|im_start|>user\n" + u + "<|im_end|>\n<|im_start|>assistant\n" + r[side][0]["content"] + "<|im_end|>\n"
            out.write(json.dumps({"text": t}, ensure_ascii=False) + "\n")
        meta.append(r["kind"])
json.dump(meta, open(M + "lp_meta.json", "w"))
with open(M + "lv_in.jsonl", "w") as out:
    meta = []
    for l in open("runs/demo/data/val.jsonl"):
        r = json.loads(l)
        gold = r["output"]
        g = re.search("风险等级：([^；]+)；", gold).group(1)
        u = r["instruction"] + "\n" + r["input"]
        for lv in L:
            rep = gold.replace("风险等级：" + g + "；", "风险等级：" + lv + "；")
            out.write(json.dumps({"messages": [{"role": "user", "content": u}, {"role": "assistant", "content": rep}]},
                                 ensure_ascii=False) + "\n")
        meta.append(L.index(g))
json.dump(meta, open(M + "lv_meta.json", "w"))
