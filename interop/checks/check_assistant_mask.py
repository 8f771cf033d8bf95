"""align4j's assistant masks equal transformers' return_assistant_tokens_mask.

transformers computes the mask from the {% generation %} tags of trl's *_training.jinja templates;
align4j's AssistantMasker ignores those tags and derives the assistant spans from the template itself
(generation-prompt prefix up to the first end-of-turn token). For every training template, over the
conversations in chat_cases.MASK_CONVERSATIONS, both sides tokenise the same rendering with the family's
tokenizer; ids must be equal. One result line per template: max_diff = number of tokens whose mask
differs (ids differing count as all tokens).

Two differences are by design and documented (AssistantMasker's class comment): align4j trains on what
the model writes after the generation prompt, through its end-of-turn token. TRL's training templates
sometimes also tag the role header (DeepSeek's <｜Assistant｜>, GPT-OSS's <|start|>assistant<|channel|>...)
or the text after the end-of-turn token (Qwen's and Gemma's "\n"), or the empty think block that Qwen3.5+
templates insert. A template passes when the masks are equal, or when they differ only that way: align4j
marks no token TRL does not, and inside each of TRL's spans align4j's tokens are one contiguous run, TRL's
extra tokens lying at the span's head (before the run) or tail (after it). The detail says which.
Templates of families without their own tokenizer here (Phi-3, Cohere, GLM, ...: rendered with Qwen3's
vocabulary, whose end-of-turn token they never emit; DiffusionGemma's Gemma 4 turn format, which the Gemma 3
tokenizer's <end_of_turn> never ends) are not compared: AssistantMasker needs the family's
stop tokens.
"""
import sys

from transformers import AutoTokenizer

import chat_cases as cc
from a4j import WORK, report

GENERIC_SPECIAL = {"bos_token": "<s>", "eos_token": "</s>"}


def spans(mask):
    """Contiguous runs of ones as [start, end)."""
    out, start = [], None
    for i, v in enumerate(list(mask) + [0]):
        if v and start is None:
            start = i
        elif not v and start is not None:
            out.append((start, i))
            start = None
    return out


def by_design(hf_mask, a4j_mask):
    """align4j's ones lie inside TRL's spans, one contiguous run per span (TRL's extras at head/tail)."""
    if any(a and not h for h, a in zip(hf_mask, a4j_mask)):
        return False
    return all(len(spans(a4j_mask[s:e])) <= 1 for s, e in spans(hf_mask)) and \
        all(any(a4j_mask[s:e]) for s, e in spans(hf_mask))


def main():
    toks = cc.tokenizers()
    hf = {}
    jobs = []   # (template, conversation, expected (ids, mask) or error, request)
    for tname, path in cc.trl_templates().items():
        if not tname.endswith("_training"):
            continue
        source = path.read_text(encoding="utf-8")
        fam = cc.family_tokenizer(tname, toks)
        if fam == "qwen3" and not tname.startswith("qwen"):
            cc.log(f"{tname}: no tokenizer of this family here; masks not compared")
            continue
        if tname.startswith("diffusion_gemma"):
            # Gemma 4's turn format (<|turn>...<turn|>): the Gemma 3 tokenizer here never emits its stop token
            cc.log(f"{tname}: Gemma 4 format, no Gemma 4 tokenizer here; masks not compared")
            continue
        if fam not in hf:
            hf[fam] = AutoTokenizer.from_pretrained(str(toks[fam]))
        special = {} if fam != "qwen3" or tname.startswith("qwen") else GENERIC_SPECIAL
        for conv in cc.MASK_CONVERSATIONS:
            msgs, _, tools, kw = cc.CONVERSATIONS[conv]
            try:
                out = hf[fam].apply_chat_template(msgs, tools=tools, chat_template=source, tokenize=True,
                                                  return_dict=True, return_assistant_tokens_mask=True,
                                                  strftime_now=cc.fixed_strftime, **special, **kw)
                expected = ("mask", (list(out["input_ids"]), list(out["assistant_masks"])))
            except Exception as e:  # noqa: BLE001 - compared with align4j's
                expected = ("error", f"{type(e).__name__}: {e}")
            jobs.append((tname, conv, expected, cc.request(msgs, False, tools, kw, tokenizer=str(toks[fam]),
                                                           template=str(path), special_tokens=special,
                                                           assistant_mask=True)))
    got = cc.run_align4j_chat([j[3] for j in jobs], WORK, "assistant_mask")
    by_template = {}
    by_design_tokens = {}
    for (tname, conv, (kind, exp), _), row in zip(jobs, got):
        if kind == "error":
            diff, why = (0, "") if "error" in row else (1, f"hf raised {exp[:100]!r}")
        elif "error" in row:
            diff, why = len(exp[0]), f"a4j raised {row['error'][:200]!r}"
        elif row["input_ids"] != exp[0]:
            diff, why = len(exp[0]), "ids differ"
        else:
            bad = [i for i, (a, b) in enumerate(zip(exp[1], row["assistant_masks"])) if a != b]
            diff = len(bad)
            why = f"{len(bad)} tokens, first at {bad[0]}" if bad else ""
            if bad and by_design(exp[1], row["assistant_masks"]):
                by_design_tokens.setdefault(tname, 0)
                by_design_tokens[tname] += diff
                diff = 0
            if bad:
                tok = hf[cc.family_tokenizer(tname, toks)]
                i = bad[0]
                cc.log(f"  near: {tok.convert_ids_to_tokens(exp[0][max(0, i - 3):i + 4])} hf "
                       f"{exp[1][max(0, i - 3):i + 4]} a4j {row['assistant_masks'][max(0, i - 3):i + 4]}")
        if diff:
            cc.log(f"MISMATCH {tname} {conv}: {why}")
        by_template.setdefault(tname, []).append((conv, diff, kind, sum(exp[1]) if kind == "mask" else 0))
    for tname, results in by_template.items():
        bad = [c for c, d, _, _ in results if d]
        n_assist = sum(a for _, _, _, a in results)
        raised = sum(1 for _, _, k, _ in results if k == "error")
        detail = (f"{len(results) - len(bad)}/{len(results)} conversations equal ({n_assist} assistant tokens, "
                  f"{raised} raise in transformers)" + (f"; differ: {', '.join(bad)}" if bad else ""))
        if tname in by_design_tokens:
            detail += (f"; by design: TRL also tags {by_design_tokens[tname]} header/after-end-of-turn tokens"
                       " that align4j leaves out")
        report(f"assistant_mask {tname}", sum(d for _, d, _, _ in results), 0, detail)
    return 0


if __name__ == "__main__":
    sys.exit(main())
