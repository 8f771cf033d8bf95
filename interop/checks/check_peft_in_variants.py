"""PEFT -> align4j, LoRA variants: rank_pattern / alpha_pattern, rsLoRA, DoRA (llama; qwen2 with q/k/v
biases); modules_to_save of lm_head, embed_tokens and RMS norms (model.norm; every norm by PEFT's plain suffix
'norm'), tied embeddings or not; `align4j merge` carries the modules_to_save weights (issue 8, defect 3)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import peft_in  # noqa: E402

if __name__ == "__main__":
    peft_in.run(["lora_rank_alpha_pattern", "lora_rslora", "dora", "dora_rslora_pattern_qwen2", "mts_lm_head",
                 "mts_embed", "tied_mts_lm_head", "tied_mts_embed", "tied_mts_both", "tied_mts_norm", "mts_every_norm"],
                merges=["mts_lm_head", "mts_embed", "tied_mts_norm", "mts_every_norm"])
