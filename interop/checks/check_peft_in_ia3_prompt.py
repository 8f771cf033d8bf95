"""PEFT -> align4j: IA3 (default targets per family, regex targets and feedforward_modules), prompt
tuning, P-tuning, prefix tuning (GQA llama, qwen3)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import peft_in  # noqa: E402

if __name__ == "__main__":
    peft_in.run(["ia3_default", "ia3_qwen3_default", "ia3_regex", "prompt_tuning", "p_tuning", "prefix_tuning",
                 "prefix_tuning_qwen3"])
