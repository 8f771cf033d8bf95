"""Golden for GrpoUpdateTrlGoldenTest: one GRPO rollout's two optimizer steps (two mini-batches) by TRL 1.13's own
GRPOTrainer._compute_loss on identical inputs, so that align4j's whole update path (collation, log-prob positions,
masks, the k3 term, DAPO's normaliser, clipping, AdamW) is compared with TRL's at once.

Run from the repository root with the reference venv:
  /tmp/hfref/bin/python src/test/resources/rl/grpo_update/make_grpo_update_golden.py

Writes, next to this script:
  model/    a tiny random Qwen3 (vocab 64, hidden 32, 2 layers), config.json in align4j's layout + safetensors
  adapter/  a PEFT LoRA adapter on it (r 4, alpha 8, every linear layer, B random so that it changes the model)
  golden.json  the rollout (8 rows = 2 prompts x 4 generations: prompt and completion ids, rewards, TRL's
               group advantages, the policy's and the "ref" adapter's per-token log-probs at the start) and, per
               optimizer step, TRL's loss and gradient norm (before clipping); and after the second step every
               policy LoRA weight (flattened, by PEFT's tensor name).

The trainer is TRL's real GRPOTrainer on the PeftModel (it copies the adapter as its frozen "ref" adapter, the
reference, as align4j's grpo does with the SFT adapter); settings: beta 0.04 (k3, use_bias_correction_kl), epsilon
0.2, loss_type dapo, temperature 1, steps_per_generation 2, per_device_train_batch_size 4. Each step is what
transformers' Trainer does with it: loss.backward(), clip_grad_norm_(1.0), torch AdamW (lr 1e-2, betas 0.9/0.999,
eps 1e-8, no weight decay). The two mini-batches hold 16 completion tokens each, so TRL's DAPO normaliser (the
generation batch's tokens x gradient_accumulation_steps / steps_per_generation) equals align4j's (the mini-batch's
tokens) exactly. lr 1e-2 makes the second step's importance ratios leave 1 (clipping, the bias-corrected k3).
"""
import json
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
VOCAB, PAD, EOS = 64, 0, 2
CONFIG = {
    "architectures": ["Qwen3ForCausalLM"], "attention_bias": False, "head_dim": 8, "hidden_act": "silu",
    "hidden_size": 32, "intermediate_size": 64, "max_position_embeddings": 128, "model_type": "qwen3",
    "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2, "rms_norm_eps": 1e-6,
    "rope_scaling": None, "rope_theta": 10000.0, "tie_word_embeddings": True, "torch_dtype": "float32",
    "use_sliding_window": False, "vocab_size": VOCAB, "eos_token_id": EOS, "pad_token_id": PAD,
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
LR = 1e-2


def main():
    torch.manual_seed(0)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from datasets import Dataset
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file
    from tokenizers import Tokenizer, models
    from transformers import AutoModelForCausalLM, PreTrainedTokenizerFast
    from trl import GRPOConfig, GRPOTrainer
    from trl.trainer.utils import use_adapter

    model_dir = os.path.join(HERE, "model")
    os.makedirs(model_dir, exist_ok=True)
    with open(os.path.join(model_dir, "config.json"), "w") as f:
        json.dump(CONFIG, f, indent=2)
    base = AutoModelForCausalLM.from_config(__import__("transformers").Qwen3Config.from_pretrained(model_dir),
                                            dtype=torch.float32)
    with torch.no_grad():
        for name, p in base.named_parameters():
            if "norm" in name:
                p.copy_(1.0 + 0.1 * torch.randn_like(p))
            else:
                p.copy_(0.3 * torch.randn_like(p))
    sd = {k: v.contiguous() for k, v in base.state_dict().items() if k != "lm_head.weight"}
    save_file(sd, os.path.join(model_dir, "model.safetensors"), metadata={"format": "pt"})
    base = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32, attn_implementation="eager")

    peft_model = get_peft_model(base, LoraConfig(r=4, lora_alpha=8, lora_dropout=0.0, target_modules=TARGETS,
                                                 task_type="CAUSAL_LM"))
    with torch.no_grad():
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(0.2 * torch.randn_like(p))
    peft_model.save_pretrained(os.path.join(HERE, "adapter"))
    os.remove(os.path.join(HERE, "adapter", "README.md"))  # PEFT's model card: not needed
    cfg_path = os.path.join(HERE, "adapter", "adapter_config.json")
    with open(cfg_path) as f:
        adapter_cfg = json.load(f)
    adapter_cfg["base_model_name_or_path"] = "../model"  # not this machine's absolute path
    with open(cfg_path, "w") as f:
        json.dump(adapter_cfg, f, indent=2, sort_keys=True)

    vocab = {"<pad>": PAD, "<unk>": 1, "</s>": EOS, **{f"t{i}": i for i in range(3, VOCAB)}}
    tk = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, pad_token="<pad>", eos_token="</s>", unk_token="<unk>")
    cfg = GRPOConfig(output_dir="/tmp/align4j-grpo-update-golden", per_device_train_batch_size=4,
                     gradient_accumulation_steps=1, steps_per_generation=2, num_generations=4,
                     max_completion_length=8, temperature=1.0, beta=0.04, epsilon=0.2, loss_type="dapo",
                     scale_rewards="group", use_bias_correction_kl=True, learning_rate=LR, max_steps=2,
                     report_to=[], use_cpu=True, bf16=False, fp16=False, disable_dropout=True, logging_steps=1)
    ds = Dataset.from_list([{"prompt": "t3 t4"}] * 8)
    trainer = GRPOTrainer(model=peft_model, reward_funcs=[lambda completions, **kw: [0.0] * len(completions)],
                          args=cfg, train_dataset=ds, processing_class=tok)
    model = trainer.model
    assert "ref" in model.peft_config

    # the rollout: rows 0-3 are prompt 0's generations, 4-7 prompt 1's; mini-batch 1 = rows [5, 0, 3, 6],
    # mini-batch 2 = rows [1, 7, 2, 4] (a shuffled split, as both trainers make), 16 completion tokens each
    g = torch.Generator().manual_seed(1)
    prompts = [[int(x) for x in torch.randint(3, VOCAB, (n,), generator=g)] for n in (5, 3)]
    lengths = [4, 6, 3, 3, 5, 1, 8, 2]
    eos_at_end = [True, False, True, True, True, False, True, True]
    completions = []
    for n, e in zip(lengths, eos_at_end):
        c = [int(x) for x in torch.randint(3, VOCAB, (n,), generator=g)]
        if e:
            c[-1] = EOS
        completions.append(c)
    rewards = [1.0, 0.0, 1 / 3, 2 / 3, 0.0, 1.0, 1 / 3, 1 / 3]
    r = torch.tensor(rewards).view(2, 4)
    adv = ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + 1e-4)).view(-1)   # TRL's group scaling
    order = [[5, 0, 3, 6], [1, 7, 2, 4]]
    assert all(sum(lengths[i] for i in mb) == 16 for mb in order)

    def batch(rows):
        p = [prompts[i // 4] for i in rows]
        c = [completions[i] for i in rows]
        pw, cw = max(map(len, p)), max(map(len, c))
        pid = torch.tensor([[PAD] * (pw - len(x)) + x for x in p])
        pm = torch.tensor([[0] * (pw - len(x)) + [1] * len(x) for x in p])
        cid = torch.tensor([x + [PAD] * (cw - len(x)) for x in c])
        cm = torch.tensor([[1] * len(x) + [0] * (cw - len(x)) for x in c])
        return pid, pm, cid, cm

    def logps(rows, adapter):
        pid, pm, cid, cm = batch(rows)
        with torch.no_grad(), use_adapter(model, adapter_name=adapter):
            lp, _, _ = trainer._get_per_token_logps_and_entropies(model, torch.cat([pid, cid], 1),
                                                                  torch.cat([pm, cm], 1), cid.size(1), batch_size=8)
        return [lp[k, :len(completions[i])].tolist() for k, i in enumerate(rows)]

    model.eval()
    everything = list(range(8))
    old = logps(everything, "default")
    ref = logps(everything, "ref")
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=LR, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    trainer.current_gradient_accumulation_steps = 1
    steps = []
    for mb in order:
        pid, pm, cid, cm = batch(mb)
        cw = cid.size(1)
        pad = lambda rows: torch.tensor([x + [0.0] * (cw - len(x)) for x in rows])
        inputs = {"prompt_ids": pid, "prompt_mask": pm, "completion_ids": cid, "completion_mask": cm,
                  "advantages": adv[mb], "old_per_token_logps": pad([old[i] for i in mb]),
                  "ref_per_token_logps": pad([ref[i] for i in mb]), "num_items_in_batch": torch.tensor(32.0)}
        loss = trainer._compute_loss(model, inputs)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(params, 1.0))
        opt.step()
        opt.zero_grad()
        steps.append({"rows": mb, "loss": float(loss), "grad_norm": norm})
        print(f"step: loss {float(loss):.6f} grad_norm {norm:.6f}", file=sys.stderr)
    after = {}
    for name, p in model.named_parameters():
        if ".default." in name and "lora_" in name:
            key = name.replace("base_model.model.", "").replace(".default", "")
            after[key] = p.detach().reshape(-1).tolist()
    golden = {"lr": LR, "beta": 0.04, "epsilon": 0.2, "max_completion_length": 8, "num_generations": 4,
              "pad_id": PAD, "prompts": prompts, "completions": completions, "rewards": rewards,
              "advantages": adv.tolist(), "old_logps": old, "ref_logps": ref, "steps": steps, "after": after}
    with open(os.path.join(HERE, "golden.json"), "w") as f:
        json.dump(golden, f)
    print(json.dumps({"steps": steps, "after_tensors": len(after)}))


if __name__ == "__main__":
    main()
