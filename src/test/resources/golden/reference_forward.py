#!/usr/bin/env python3
"""Independent numpy reference of the Hugging Face decoder forward (Llama/Mistral/Qwen2/Qwen3).

The goldens GoldenLogitsTest reads now come from transformers itself (transformers_forward.py); this
independent implementation is kept as a second reference: interop/checks/check_model_goldens.py shows it
agrees with transformers within 5e-6 (its RoPE is float64, transformers' tables float32).

Written from transformers' modeling_llama / modeling_qwen2 / modeling_qwen3 semantics, in float64,
sharing no code with align4j. For each checkpoint directory given, it reads config.json and
model.safetensors (parsed here with the stdlib + numpy), runs the fixed id sequences below and
writes <dir>/golden_logits.json: {"ids": [[...]], "logits": [[[...]]]}.

Usage: python3 reference_forward.py DIR [DIR ...]   (numpy required)
"""
import json
import math
import struct
import sys

import numpy as np

IDS = [[1, 7, 3, 60, 22, 9, 41, 5], [2, 2, 33, 17, 8]]

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        raw = data[base + b:base + e]
        if info["dtype"] == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16
            arr = u16.view(np.float32)
        else:
            arr = np.frombuffer(raw, dtype=np.dtype(DTYPES[info["dtype"]]).newbyteorder("<"))
        out[name] = arr.astype(np.float64).reshape(info["shape"])
    return out


def rms_norm(x, w, eps):
    var = np.mean(x * x, axis=-1, keepdims=True)
    return w * (x / np.sqrt(var + eps))


def inv_freq(cfg, dim):
    base = cfg.get("rope_theta", 10000.0)
    f = 1.0 / (base ** (np.arange(0, dim, 2, dtype=np.float64) / dim))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        wl = 2 * math.pi / f
        scaled = np.where(wl > lo_wl, f / factor, f)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = (wl >= hi_wl) & (wl <= lo_wl)
        f = np.where(medium, smoothed, scaled)
    return f


def rotate_half(x):
    h = x.shape[-1] // 2
    return np.concatenate([-x[..., h:], x[..., :h]], axis=-1)


def forward(cfg, w, ids):
    t = len(ids)
    hid = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads", nh)
    hd = cfg.get("head_dim") or hid // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    qk_norm = cfg["model_type"] == "qwen3"
    x = w["model.embed_tokens.weight"][ids]                       # [T, H]
    freqs = np.outer(np.arange(t, dtype=np.float64), inv_freq(cfg, hd))
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)                           # [T, D]
    causal = np.triu(np.full((t, t), -np.inf), k=1)

    def lin(name, v):
        y = v @ w[name + ".weight"].T
        if name + ".bias" in w:
            y = y + w[name + ".bias"]
        return y

    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}"
        h = rms_norm(x, w[p + ".input_layernorm.weight"], eps)
        q = lin(p + ".self_attn.q_proj", h).reshape(t, nh, hd).transpose(1, 0, 2)
        k = lin(p + ".self_attn.k_proj", h).reshape(t, nkv, hd).transpose(1, 0, 2)
        v = lin(p + ".self_attn.v_proj", h).reshape(t, nkv, hd).transpose(1, 0, 2)
        if qk_norm:
            q = rms_norm(q, w[p + ".self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + ".self_attn.k_norm.weight"], eps)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        g = nh // nkv
        k = np.repeat(k, g, axis=0)
        v = np.repeat(v, g, axis=0)
        s = q @ k.transpose(0, 2, 1) / math.sqrt(hd) + causal
        s = s - s.max(-1, keepdims=True)
        a = np.exp(s)
        a = a / a.sum(-1, keepdims=True)
        o = (a @ v).transpose(1, 0, 2).reshape(t, nh * hd)
        x = x + lin(p + ".self_attn.o_proj", o)
        h = rms_norm(x, w[p + ".post_attention_layernorm.weight"], eps)
        gate = lin(p + ".mlp.gate_proj", h)
        up = lin(p + ".mlp.up_proj", h)
        x = x + lin(p + ".mlp.down_proj", gate / (1 + np.exp(-gate)) * up)
    x = rms_norm(x, w["model.norm.weight"], eps)
    head = w["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else w["lm_head.weight"]
    return x @ head.T


def main():
    for d in sys.argv[1:]:
        with open(f"{d}/config.json") as f:
            cfg = json.load(f)
        w = read_safetensors(f"{d}/model.safetensors")
        logits = [forward(cfg, w, ids).tolist() for ids in IDS]
        with open(f"{d}/golden_logits.json", "w") as f:
            json.dump({"ids": IDS, "logits": logits}, f)
        print(d, "ok")


if __name__ == "__main__":
    main()
