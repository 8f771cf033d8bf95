"""Tiny checkpoints made and run by transformers itself, for the model cross-checks and the goldens.

make(dir, family, rope=..., ...) builds a random-weight model with transformers' own classes, gives
every tensor a spread that makes it matter (norm gains around 1, biases around 0, matrices large
enough that attention is not uniform), and saves it with save_pretrained (transformers 5 layout:
rope_parameters, dtype). to_v4_layout(dir) rewrites config.json as transformers 4 wrote it
(top-level rope_theta, rope_scaling, torch_dtype). logprobs(dir, ids, dtype) is transformers'
own forward: log p(ids[t] | ids[:t]) for t >= 1.
"""
import json
import os

import torch

CLASSES = {
    "llama": ("LlamaConfig", "LlamaForCausalLM"),
    "mistral": ("MistralConfig", "MistralForCausalLM"),
    "qwen2": ("Qwen2Config", "Qwen2ForCausalLM"),
    "qwen3": ("Qwen3Config", "Qwen3ForCausalLM"),
}


def make(out, family, rope=None, seed=0, vocab=64, hidden=32, layers=2, heads=4, kv_heads=2, head_dim=None,
         intermediate=48, max_pos=64, tie=False, scale=0.3, **extra):
    """Saves a transformers-made checkpoint to out; rope is a rope_parameters dict (rope_theta included)."""
    import transformers
    cfg_cls = getattr(transformers, CLASSES[family][0])
    model_cls = getattr(transformers, CLASSES[family][1])
    kw = dict(vocab_size=vocab, hidden_size=hidden, intermediate_size=intermediate, num_hidden_layers=layers,
              num_attention_heads=heads, num_key_value_heads=kv_heads, max_position_embeddings=max_pos,
              tie_word_embeddings=tie, rms_norm_eps=1e-6)
    if head_dim is not None:
        kw["head_dim"] = head_dim
    if rope is not None:
        kw["rope_parameters"] = dict(rope)
    kw.update(extra)
    torch.manual_seed(seed)
    model = model_cls(cfg_cls(**kw))
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1 + 0.2 * torch.randn(p.shape, generator=g))
            elif name.endswith(".bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=g))
            else:
                p.copy_(scale * torch.randn(p.shape, generator=g))
    model.save_pretrained(out)
    return out


def to_v4_layout(d, type_key="rope_type"):
    """Rewrites d/config.json in the transformers 4 layout; type_key 'type' gives the older spelling."""
    path = os.path.join(d, "config.json")
    with open(path) as f:
        cfg = json.load(f)
    rp = dict(cfg.pop("rope_parameters", None) or {})
    cfg["rope_theta"] = rp.pop("rope_theta", 10000.0)
    rtype = rp.pop("rope_type", rp.pop("type", "default"))
    cfg["rope_scaling"] = None if rtype == "default" else {type_key: rtype, **rp}
    if "dtype" in cfg:
        cfg["torch_dtype"] = cfg.pop("dtype")
    cfg["transformers_version"] = "4.51.3"
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2)


def load(d, dtype=torch.float32, attn="eager"):
    """transformers' model from d; attn "sdpa" keeps float64 softmax in float64 (eager's is float32)."""
    from transformers import AutoModelForCausalLM
    m = AutoModelForCausalLM.from_pretrained(d, dtype=dtype, attn_implementation=attn)
    return m.eval()


def rmsnorm_in_input_dtype(model):
    """Makes every RMSNorm compute in its input's dtype: transformers' own always computes in float32,
    which limits a float64 reference to float32 accuracy. Same formula otherwise."""
    for mod in model.modules():
        if type(mod).__name__.endswith("RMSNorm"):
            def fwd(x, m=mod):
                return m.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + m.variance_epsilon))
            mod.forward = fwd
    return model


def logprobs(d, ids, dtype=torch.float32, model=None):
    """transformers' log p(ids[t] | ids[:t]), t = 1..n-1, as float64 numbers (computed in dtype)."""
    m = model if model is not None else load(d, dtype)
    with torch.no_grad():
        x = torch.tensor([ids])
        logits = m(input_ids=x).logits.float()
        lp = torch.log_softmax(logits[0, :-1], -1).gather(-1, x[0, 1:, None])[:, 0]
    return lp.double().tolist()


def word_tokenizer(d, vocab):
    """Writes a whitespace word-level tokenizer.json (t0 .. t{vocab-1}) so `align4j logprobs` gets exact ids."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    tok = Tokenizer(models.WordLevel({f"t{i}": i for i in range(vocab)}, unk_token="t0"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.save(os.path.join(d, "tokenizer.json"))
    with open(os.path.join(d, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "PreTrainedTokenizerFast", "unk_token": "t0"}, f)


def ids_text(ids):
    return " ".join(f"t{i}" for i in ids)
