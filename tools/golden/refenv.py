"""Makes the NVlabs/LongLive v1.0 sources importable on a CPU-only, old (Debian) torch.

Only imports that the golden runs do not exercise, or that cannot run on this machine, are
replaced, each by a SMALL stand-in; the reference's model classes, cache logic, scheduler and
inference loops run unmodified. What is stubbed and why:

- utils.memory and wan/modules/t5.py call torch.cuda.current_device() at import time (no GPU
  here): utils.memory is replaced, and current_device answers the CPU device.
- torch.compile / torch.nn.attention.flex_attention: absent from torch 1.13. flex_attention is
  only used by the reference in training (no KV cache); the stand-in BlockMask keeps the mask_mod
  and flex_attention evaluates it densely, so the semantics are kept anyway.
- wan.modules.attention: the reference calls flash-attn (CUDA only) or, without it, casts q/k/v to
  bfloat16 for torch's SDPA (absent in 1.13). We compute the same softmax(q k^T / sqrt(d)) v in
  the input dtype (f32), so the golden data is the exact-math f32 result (the reference on GPU
  runs this in bf16).
- diffusers ModelMixin/ConfigMixin/register_to_config: only the nn.Module behaviour is needed.
  from_pretrained is replaced by a hook that returns the model the script built.
- torch.nn.functional.scaled_dot_product_attention (torch >= 2.0, used by the VAE's attention):
  the same math in the input dtype.
- einops (not packaged in Debian): the few patterns the reference uses.
- wan.modules.tokenizers: needs transformers/ftfy; the golden runs pass embeddings directly.
- Packages `wan`, `wan.modules`, `pipeline` get an empty __init__ so that importing one file
  does not import the whole project (image2video, training pipelines, ...).
"""
import math
import os
import sys
import types

import torch
import torch.nn as nn


def _module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


def _package(name, path):
    m = _module(name)
    m.__path__ = [path]
    return m


# ---------------------------------------------------------------- dense attention (f32)
def dense_attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0., softmax_scale=None,
                    q_scale=None, causal=False, window_size=(-1, -1), deterministic=False,
                    dtype=None, version=None, fa_version=None):
    """q [B, Lq, N, D], k/v [B, Lk, N, D] -> [B, Lq, N, D]; plain softmax attention."""
    assert q_lens is None, "golden runs never pass q_lens"
    assert not causal and tuple(window_size) == (-1, -1) and dropout_p == 0.
    if k_lens is not None:
        assert all(int(x) == k.shape[1] for x in k_lens), "k_lens padding not exercised"
    if q_scale is not None:
        q = q * q_scale
    scale = softmax_scale if softmax_scale is not None else 1.0 / math.sqrt(q.shape[-1])
    qt, kt, vt = (t.transpose(1, 2) for t in (q, k, v))  # [B, N, L, D]
    s = torch.matmul(qt, kt.transpose(-1, -2)) * scale
    p = torch.softmax(s, dim=-1)
    return torch.matmul(p, vt).transpose(1, 2).contiguous()


def _sdpa(q, k, v, attn_mask=None, dropout_p=0.0, is_causal=False):
    """q/k/v [..., L, D] -> softmax(q k^T / sqrt(D)) v (no mask, no dropout in the golden runs)."""
    assert attn_mask is None and dropout_p == 0.0 and not is_causal
    s = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(q.shape[-1])
    return torch.matmul(torch.softmax(s, dim=-1), v)


class BlockMask:
    """Stand-in for torch's BlockMask: remembers mask_mod and evaluates it densely."""

    def __init__(self, mask_mod, q_len, kv_len, device):
        self.mask_mod, self.q_len, self.kv_len, self.device = mask_mod, q_len, kv_len, device

    def dense(self):
        q = torch.arange(self.q_len, device=self.device).view(-1, 1)
        kv = torch.arange(self.kv_len, device=self.device).view(1, -1)
        return self.mask_mod(None, None, q, kv).expand(self.q_len, self.kv_len)


def create_block_mask(mask_mod, B, H, Q_LEN, KV_LEN, _compile=False, device="cpu"):
    return BlockMask(mask_mod, Q_LEN, KV_LEN, device)


def flex_attention(query, key, value, block_mask=None, **_):
    """query/key/value [B, N, L, D] (flex layout)."""
    s = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(query.shape[-1])
    if block_mask is not None:
        s = s.masked_fill(~block_mask.dense(), float("-inf"))
    return torch.matmul(torch.softmax(s, dim=-1), value)


# ---------------------------------------------------------------- diffusers stand-ins
_PRETRAINED = {}


class ModelMixin(nn.Module):
    @classmethod
    def from_pretrained(cls, path, **kwargs):
        # The golden script registers a builder; it gets the kwargs the wrapper passes.
        return _PRETRAINED["builder"](cls, **kwargs)


class ConfigMixin:
    pass


def register_to_config(fn):
    return fn


# ---------------------------------------------------------------- einops stand-in
def _rearrange(x, pattern, **sizes):
    p = " ".join(pattern.split())
    if p in ("b c t h w -> (b t) c h w",):
        b, c, t, h, w = x.shape
        return x.permute(0, 2, 1, 3, 4).reshape(b * t, c, h, w)
    if p in ("(b t) c h w -> b c t h w", "(b t) c h w-> b c t h w"):
        t = sizes["t"]
        bt, c, h, w = x.shape
        return x.reshape(bt // t, t, c, h, w).permute(0, 2, 1, 3, 4)
    raise NotImplementedError("einops stand-in: pattern not supported: " + pattern)


def _repeat(x, pattern, **sizes):
    if " ".join(pattern.split()) == "n d -> b n d":
        return x.unsqueeze(0).expand(sizes["b"], *x.shape)
    raise NotImplementedError("einops stand-in: pattern not supported: " + pattern)


def install(ref_root):
    """Puts the reference tree on sys.path with the stand-ins above. Returns the root."""
    ref_root = os.path.abspath(ref_root)
    if not os.path.isfile(os.path.join(ref_root, "wan", "modules", "causal_model.py")):
        raise SystemExit(f"{ref_root} is not an exported NVlabs/LongLive v1.0 tree "
                         "(expected wan/modules/causal_model.py)")
    if ref_root not in sys.path:
        sys.path.insert(0, ref_root)
    # t5.py evaluates torch.cuda.current_device() in a default argument at import time.
    if not torch.cuda.is_available():
        torch.cuda.current_device = lambda: torch.device("cpu")
    if not hasattr(torch.nn.functional, "scaled_dot_product_attention"):
        # torch >= 2.0 API used by the VAE's AttentionBlock; same math, input dtype.
        torch.nn.functional.scaled_dot_product_attention = _sdpa
    if not hasattr(torch, "compile"):
        torch.compile = lambda fn, **kw: fn
    _module("torch.nn.attention")
    _module("torch.nn.attention.flex_attention", create_block_mask=create_block_mask,
            flex_attention=flex_attention, BlockMask=BlockMask)
    torch.nn.attention = sys.modules["torch.nn.attention"]
    _module("diffusers")
    _module("diffusers.configuration_utils", ConfigMixin=ConfigMixin,
            register_to_config=register_to_config)
    _module("diffusers.models")
    _module("diffusers.models.modeling_utils", ModelMixin=ModelMixin)
    _module("einops", rearrange=_rearrange, repeat=_repeat)
    cpu = torch.device("cpu")
    _package("utils", os.path.join(ref_root, "utils"))
    _module("utils.memory", cpu=cpu, gpu=cpu, gpu_complete_modules=[],
            get_cuda_free_memory_gb=lambda *a, **k: 0.0,
            DynamicSwapInstaller=object,
            move_model_to_device_with_memory_preservation=lambda *a, **k: None,
            log_gpu_memory=lambda *a, **k: None)
    _package("wan", os.path.join(ref_root, "wan"))
    _package("wan.modules", os.path.join(ref_root, "wan", "modules"))
    _module("wan.modules.attention", attention=dense_attention, flash_attention=dense_attention,
            FLASH_ATTN_2_AVAILABLE=False, FLASH_ATTN_3_AVAILABLE=False)
    _module("wan.modules.tokenizers", HuggingfaceTokenizer=None)
    _package("pipeline", os.path.join(ref_root, "pipeline"))
    return ref_root


def set_pretrained_builder(fn):
    _PRETRAINED["builder"] = fn
