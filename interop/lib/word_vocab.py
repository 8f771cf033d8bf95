"""The word-level vocabulary the step checks train on: special tokens, then words t<i> up to id 63.

`make_tokenizer(d)` writes a fast tokenizer (tokenizer.json + tokenizer_config.json) that transformers and
align4j both load; `TEMPLATE` is the tiny chat template of the SFT checks.
"""
import json

SPECIALS = ["<pad>", "</s>", "USER", "ASSISTANT", "NL"]
TEMPLATE = ("{%- for m in messages -%}{%- if m['role'] == 'user' -%}USER {{ m['content'] }} ASSISTANT "
            "{% else -%}{{ m['content'] }} {{ eos_token }} {% endif -%}{%- endfor -%}")


def words(ids):
    return " ".join(f"t{i}" for i in ids)


def make_tokenizer(d, template=None, specials=SPECIALS):
    """Writes the tokenizer into folder d; with `template`, as its chat template."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    vocab = {s: i for i, s in enumerate(specials)}
    vocab.update({f"t{i}": i for i in range(len(specials), 64)})
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<pad>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.add_special_tokens(specials)
    tok.save(str(d / "tokenizer.json"))
    config = {"tokenizer_class": "PreTrainedTokenizerFast", "eos_token": "</s>", "pad_token": "<pad>"}
    if template is not None:
        config["chat_template"] = template
    (d / "tokenizer_config.json").write_text(json.dumps(config))
