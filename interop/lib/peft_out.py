"""align4j -> PEFT (run by check_peft_out_lora.py and check_peft_out_other.py): adapters `align4j sft` trains (LoRA, rsLoRA, DoRA, QLoRA, IA3, prompt tuning,
P-tuning, prefix tuning; a few steps at a high learning rate on a tiny model and a tiny dataset) load
with PEFT's `PeftModel.from_pretrained` and give the log-probs align4j gives with `--adapter`."""
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from a4j import WORK, cli, report  # noqa: E402
import peft_cases as pc  # noqa: E402
import torch  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

TOL = 1e-5
WORDS = ["<unk>", "<s>", "</s>"] + [f"w{i}" for i in range(61)]   # 64 ids, as the base's vocabulary

TYPES = {
    "lora": dict(finetuning_type="lora", lora_rank=4, lora_alpha=8, lora_target="all"),
    "rslora": dict(finetuning_type="lora", lora_rank=4, lora_alpha=8, lora_target="q_proj,v_proj,down_proj",
                   use_rslora=True),
    "dora": dict(finetuning_type="lora", lora_rank=2, lora_alpha=4, lora_target="all", use_dora=True),
    "qlora": dict(finetuning_type="lora", lora_rank=2, lora_alpha=4, lora_target="all", quantization_bit=4),
    "ia3": dict(finetuning_type="ia3"),
    "prompt_tuning": dict(finetuning_type="prompt_tuning", num_virtual_tokens=4),
    "p_tuning": dict(finetuning_type="p_tuning", num_virtual_tokens=3, encoder_hidden_size=8),
    "prefix_tuning": dict(finetuning_type="prefix_tuning", num_virtual_tokens=3),
}


def tokenizer(out):
    """A word-level tokenizer over WORDS, in Hugging Face's files (align4j's sft needs one)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    tok = Tokenizer(models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(str(out / "tokenizer.json"))
    (out / "tokenizer_config.json").write_text(json.dumps({
        "tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
        "pad_token": "</s>", "add_bos_token": False, "model_max_length": 64,
        # align4j sft needs a chat template even for plain-text data (AssistantMasker requires one)
        "chat_template": "{% for m in messages %}{{ m['content'] }} {% endfor %}"}))


def main(names):
    WORK.mkdir(parents=True, exist_ok=True)
    base = pc.make_base("llama", WORK / "llama")
    tokenizer(base)
    data = WORK / "train.jsonl"
    data.write_text("".join(json.dumps({"text": " ".join(f"w{(i * 7 + j * 3) % 61}" for j in range(10))}) + "\n"
                            for i in range(8)))
    ids = WORK / "ids.jsonl"
    pc.write_ids(ids)
    base_lp = pc.model_logprobs(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32).eval())
    for name in names:
        keys = TYPES[name]
        out = WORK / f"sft-{name}"
        recipe = dict(model_name_or_path=str(base), dataset=str(data), formatting="text", cutoff_len=32,
                      per_device_train_batch_size=4, learning_rate=0.05, lr_scheduler_type="constant", max_steps=3,
                      seed=7, output_dir=str(out), **keys)
        cfg = WORK / f"{name}.json"
        cfg.write_text(json.dumps(recipe))   # YAML is a superset of JSON
        try:
            cli("sft", "--config", cfg)
            adapter = out / "adapter"
            got = pc.read_align4j(cli("logprobs", "--model", base, "--adapter", adapter, "--input", ids))
            want = pc.peft_logprobs(base, adapter)
            moved = pc.max_diff(got, base_lp)
            report(f"peft_out/{name}", pc.max_diff(got, want), TOL,
                   f"align4j sft adapter: PeftModel.from_pretrained vs align4j logprobs --adapter (trained: {moved:.2g}"
                   " from base)", passed=pc.max_diff(got, want) <= TOL and moved > 1e-3)
        except Exception as e:  # noqa: BLE001
            print(e, file=sys.stderr)
            report(f"peft_out/{name}", float("nan"), TOL, str(e).splitlines()[-1][:200], passed=False)
            continue
        if name in GENERATE:
            generate(name, base, out / "adapter")


GENERATE = ("lora", "prefix_tuning")
PROMPT = "w5 w12 w19 w26"


def generate(name, base, adapter):
    """`align4j generate --adapter` (greedy) continues a prompt as PEFT's generate does."""
    import peft
    from transformers import AutoTokenizer
    try:
        got = cli("generate", "--model", base, "--adapter", adapter, "--prompt", PROMPT, "--max-new-tokens", 8).strip()
        tok = AutoTokenizer.from_pretrained(base)
        model = peft.PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base, dtype=torch.float32), adapter)
        x = tok(PROMPT, return_tensors="pt")
        y = model.eval().generate(**x, max_new_tokens=8, do_sample=False, pad_token_id=tok.pad_token_id)
        want = (PROMPT + tok.decode(y[0, x["input_ids"].shape[1]:], skip_special_tokens=True)).strip()
        same = got.split() == want.split()
        report(f"peft_out/generate/{name}", 0.0 if same else 1.0, 0.0,
               f"greedy continuation: align4j '{got}' vs PEFT '{want}'", passed=same)
    except Exception as e:  # noqa: BLE001
        print(e, file=sys.stderr)
        report(f"peft_out/generate/{name}", float("nan"), 0.0, str(e).splitlines()[-1][:200], passed=False)


if __name__ == "__main__":
    main(sys.argv[1:] or list(TYPES))
