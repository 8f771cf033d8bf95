"""align4j -> PEFT: an RL policy that also trains its own copy of the final norm (`additional_target:
model.norm`, PEFT's modules_to_save; issue 12, session 5) loads with `PeftModel.from_pretrained` and gives the
log-probs `align4j logprobs --adapter` gives, on a tiny Qwen3-tokenizer model with tied embeddings (as the
demo's). `align4j ppo` trains it for two steps with a large learning rate on the norm copy (PPO: the critic's
values make the advantages non-zero even where every reward is equal); the copy must have moved from the
base's gain, and with the adapter disabled PEFT's model must be the base (the reference stays exact).
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
from a4j import WORK, cli, report  # noqa: E402
import peft_cases as pc  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
TOL = 1e-5


def main():
    import torch
    from peft import PeftModel
    from safetensors.torch import load_file
    from transformers import AutoModelForCausalLM

    WORK.mkdir(parents=True, exist_ok=True)
    model = WORK / "rl_norm_model"
    if not (model / "config.json").exists():
        cli("tiny", "--family", "qwen3", "--hidden", "32", "--intermediate", "64", "--layers", "2", "--heads", "2",
            "--kv-heads", "1", "--tie", "--tokenizer", ROOT / "recipes/assets/tokenizers/qwen3", "--out", model)
    data = WORK / "rl_norm_incident.jsonl"
    cli("data", "incident", "--out", data, "--examples", "8")
    out = WORK / "rl_norm_ppo"
    recipe = WORK / "rl_norm_ppo.yaml"
    recipe.write_text(
        f"model_name_or_path: {model}\ndataset: {data}\nreward: incident_judge\nmax_completion_length: 4\n"
        f"prompts_per_rollout: 4\nper_device_train_batch_size: 4\nnum_mini_batches: 1\nnum_iterations: 1\n"
        f"max_steps: 2\nlora_rank: 4\nlora_alpha: 8\nlearning_rate: 1.0e-3\nadditional_target: model.norm\n"
        f"additional_target_learning_rate: 0.5\nsave_steps: 0\neval_steps: 0\noutput_dir: {out}\n")
    cli("ppo", "--config", recipe, "--device", "cpu")
    adapter = out / "adapter"
    cfg = json.loads((adapter / "adapter_config.json").read_text())
    copy = load_file(str(adapter / "adapter_model.safetensors"))["base_model.model.model.norm.weight"]
    gain = load_file(str(model / "model.safetensors"))["model.norm.weight"]
    moved = float((copy - gain).abs().max())

    ids = WORK / "rl_norm_ids.jsonl"
    pc.write_ids(ids)
    got = pc.read_align4j(cli("logprobs", "--model", model, "--adapter", adapter, "--input", ids))
    base = AutoModelForCausalLM.from_pretrained(model, dtype=torch.float32)
    base_lp = pc.model_logprobs(base.eval())
    pm = PeftModel.from_pretrained(base, adapter).eval()
    want = pc.model_logprobs(pm)
    with pm.disable_adapter():
        off = pc.model_logprobs(pm)
    d = pc.max_diff(got, want)
    report("rl_norm_out/ppo_policy", d, TOL,
           f"align4j ppo additional_target=model.norm: PeftModel.from_pretrained vs align4j logprobs --adapter; "
           f"modules_to_save {cfg.get('modules_to_save')}, norm copy moved {moved:.3g} from the base's gain",
           passed=d <= TOL and moved > 1e-3 and cfg.get("modules_to_save") == ["model.norm"])
    report("rl_norm_out/reference_is_base", pc.max_diff(off, base_lp), 0.0,
           "PEFT with the adapter disabled (the reference): the base's log-probs exactly")


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
