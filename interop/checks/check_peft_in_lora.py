"""PEFT -> align4j, LoRA target matching: names, full paths, a regex, layers_to_transform /
layers_pattern, exclude_modules; `align4j merge` of an all-linear adapter (issue 8, defect 2)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import peft_in  # noqa: E402

if __name__ == "__main__":
    peft_in.run(["lora_names", "lora_all_linear", "lora_full_paths", "lora_regex", "lora_layers_pattern",
                 "lora_layers_int", "lora_exclude_list", "lora_exclude_regex"], merges=["lora_all_linear"])
