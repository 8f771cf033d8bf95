"""align4j -> PEFT: LoRA, rsLoRA, DoRA and QLoRA adapters `align4j sft` trains load with
PeftModel.from_pretrained and give align4j's log-probs."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))
import peft_out  # noqa: E402

if __name__ == "__main__":
    peft_out.main(["lora", "rslora", "dora", "qlora"])
