#!/usr/bin/python3
"""Generates the DiT GRADIENT golden cases by running the NVlabs/LongLive v1.0 reference models with autograd
on tiny random weights (CPU, float32): loss = sum(flow * R) for a fixed random R, then the gradient of every
weight, of the input latents and of the prompt embedding.

  bidirectional    WanModel (wan/modules/model.py), the teacher / critic, one timestep for all frames
  block_causal     CausalWanModel._forward_train with the block-causal mask (3 frames per block)
  teacher_forcing  CausalWanModel._forward_train with clean_x and aug_t (the teacher-forcing mask)
  cached_step      CausalWanModel._forward_inference with a KV cache: 2 clean blocks cached under no_grad,
                   then one block with grad (the Self-Forcing step); the cached keys/values are constants

v1.0's CausalWanModel._forward_train starts with `pass; raise NotImplementedError()` (LongLive trains through
the cached path) although the code after it is the complete Self-Forcing training forward. We run that code: the
function's source is taken with inspect, the two guard lines dropped, and it is compiled in the module's own
namespace. Nothing else is changed.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_dit_grad_cases.py [--out DIR]
Writes golden/dit_grad/<case>/{config.json, case.json, model.safetensors, inputs.safetensors,
expected.safetensors}; see docs/training-dit.md.
"""
import argparse
import contextlib
import inspect
import io
import json
import os
import sys
import textwrap

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refenv  # noqa: E402
import safetensors_io as st  # noqa: E402
from make_dit_cases import random_weights, wan_config_json  # noqa: E402

# head_dim 16 -> 8 complex RoPE pairs split 4/2/2
CONFIG = dict(model_type="t2v", patch_size=[1, 2, 2], text_len=10, in_dim=4, dim=32, ffn_dim=64,
              freq_dim=16, text_dim=24, out_dim=4, num_heads=2, num_layers=2, qk_norm=True,
              cross_attn_norm=True, eps=1e-6)
H, W = 4, 6            # 2 x 3 = 6 tokens per latent frame
FRAMES, BLOCK = 6, 3
PROMPT_ROWS = 7        # < text_len: the padding rows get no gradient


def unguarded_forward_train(cls):
    """CausalWanModel._forward_train without its `pass; raise NotImplementedError()` guard."""
    src = textwrap.dedent(inspect.getsource(cls._forward_train))
    lines = src.split("\n")
    out, dropped = [], 0
    for ln in lines:
        s = ln.strip()
        if dropped < 2 and s in ("pass", "raise NotImplementedError()") and not any(
                "if self.model_type" in x for x in out):
            dropped += 1
            continue
        out.append(ln)
    assert dropped == 2, "the guard of _forward_train was not found"
    mod = sys.modules[cls.__module__]
    ns = {}
    exec(compile("\n".join(out), mod.__file__, "exec"), mod.__dict__, ns)
    return ns["_forward_train"]


def inputs(seed, frames):
    g = torch.Generator().manual_seed(seed)
    lat = torch.randn(frames, CONFIG["in_dim"], H, W, generator=g)
    clean = torch.randn(frames, CONFIG["in_dim"], H, W, generator=g)
    prompt = torch.randn(PROMPT_ROWS, CONFIG["text_dim"], generator=g)
    r = torch.randn(frames, CONFIG["out_dim"], H, W, generator=g)
    return lat, clean, prompt, r


def build(cls, weights, **extra):
    model = cls(**dict(CONFIG, patch_size=tuple(CONFIG["patch_size"])), **extra)
    model.load_state_dict(weights, strict=True)
    return model.float()


def run_case(name, seed):
    from wan.modules.model import WanModel
    from wan.modules.causal_model import CausalWanModel
    weights = random_weights(CausalWanModel(**dict(CONFIG, patch_size=tuple(CONFIG["patch_size"]))), seed)
    fsl = (H // 2) * (W // 2)
    lat, clean, prompt, r = inputs(seed + 1, FRAMES)
    lat.requires_grad_(True)
    clean.requires_grad_(True)
    prompt.requires_grad_(True)
    case = {"mode": name, "frames": FRAMES, "height": H, "width": W, "num_frame_per_block": BLOCK,
            "prompt_rows": PROMPT_ROWS}
    ins = {"latents": lat, "prompt": prompt, "R": r}
    if name == "bidirectional":
        model = build(WanModel, weights)
        t = torch.full((FRAMES,), 750.0)
        out = model(x=[lat.permute(1, 0, 2, 3)], t=t[:1], context=[prompt], seq_len=FRAMES * fsl)[0]
    elif name in ("block_causal", "teacher_forcing"):
        model = build(CausalWanModel, weights)
        model.num_frame_per_block = BLOCK
        fwd = unguarded_forward_train(CausalWanModel)
        t = torch.tensor([937.5] * BLOCK + [625.0] * (FRAMES - BLOCK))
        kw = {}
        if name == "teacher_forcing":
            aug = torch.tensor([0.0] * BLOCK + [40.0] * (FRAMES - BLOCK))
            kw = dict(clean_x=clean.permute(1, 0, 2, 3).unsqueeze(0), aug_t=aug.unsqueeze(0))
            ins["clean"] = clean
            ins["clean_timesteps"] = aug
        out = fwd(model, lat.permute(1, 0, 2, 3).unsqueeze(0), t.unsqueeze(0), [prompt], FRAMES * fsl, **kw)[0]
    elif name == "cached_step":
        return run_cached(weights, seed, fsl, case)
    else:
        raise ValueError(name)
    ins["timesteps"] = t
    out = out.permute(1, 0, 2, 3)  # [C, F, H, W] -> [F, C, H, W]
    return finish(model, out, r, ins, case, weights)


def run_cached(weights, seed, fsl, case):
    """Two clean blocks into the KV cache without grad, then block 2 with grad (sink 3 frames, window 9)."""
    from wan.modules.causal_model import CausalWanModel
    window, sink = 9, 3
    with contextlib.redirect_stdout(io.StringIO()):
        model = build(CausalWanModel, weights, local_attn_size=window, sink_size=sink)
    frames = BLOCK
    lat, _, prompt, r = inputs(seed + 1, frames)
    lat.requires_grad_(True)
    prompt.requires_grad_(True)
    g = torch.Generator().manual_seed(seed + 5)
    prefill = torch.randn(2 * BLOCK, CONFIG["in_dim"], H, W, generator=g)
    heads, hd = CONFIG["num_heads"], CONFIG["dim"] // CONFIG["num_heads"]
    kv = [{"k": torch.zeros(1, window * fsl, heads, hd), "v": torch.zeros(1, window * fsl, heads, hd),
           "global_end_index": torch.tensor([0], dtype=torch.long),
           "local_end_index": torch.tensor([0], dtype=torch.long)} for _ in range(CONFIG["num_layers"])]
    cross = [{"k": torch.zeros(1, CONFIG["text_len"], heads, hd), "v": torch.zeros(1, CONFIG["text_len"], heads, hd),
              "is_init": False} for _ in range(CONFIG["num_layers"])]
    for blk in model.blocks:
        blk.self_attn.max_attention_size = window * fsl
    with torch.no_grad():
        for b in range(2):
            x = prefill[b * BLOCK:(b + 1) * BLOCK].permute(1, 0, 2, 3).unsqueeze(0)
            model(x, t=torch.zeros(1, BLOCK), context=[prompt.detach()], seq_len=frames * fsl, kv_cache=kv,
                  crossattn_cache=cross, current_start=b * BLOCK * fsl)
    # the cross-attention cache was filled from the detached prompt: let the step recompute it with grad
    for c in cross:
        c["is_init"] = False
    t = torch.full((BLOCK,), 833.3333129882812)
    out = model(lat.permute(1, 0, 2, 3).unsqueeze(0), t=t.unsqueeze(0), context=[prompt], seq_len=frames * fsl,
                kv_cache=kv, crossattn_cache=cross, current_start=2 * BLOCK * fsl)[0]
    out = out.permute(1, 0, 2, 3)
    case.update(frames=BLOCK, window=window, sink=sink, prefill_blocks=2, start_frame=2 * BLOCK)
    ins = {"latents": lat, "prompt": prompt, "R": r, "timesteps": t, "prefill": prefill}
    return finish(model, out, r, ins, case, weights)


def finish(model, out, r, ins, case, weights):
    loss = (out.double() * r.double()).sum()
    loss.backward()
    exp = {"flow": out.detach()}
    for n, p in model.named_parameters():
        assert p.grad is not None, n + " got no gradient"
        exp["grad." + n] = p.grad.detach().clone()
    for k in ("latents", "clean", "prompt"):
        if k in ins:
            exp["grad." + k] = ins[k].grad.detach().clone()
    return case, {k: v.detach().float() for k, v in ins.items()}, exp, weights


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    a = ap.parse_args()
    ref = os.environ.get("LONGLIVE_REF")
    if not ref:
        raise SystemExit("set LONGLIVE_REF to an exported NVlabs/LongLive v1.0 tree")
    refenv.install(ref)
    torch.set_num_threads(1)
    root = os.path.join(os.path.abspath(a.out), "dit_grad")
    for i, name in enumerate(["bidirectional", "block_causal", "teacher_forcing", "cached_step"]):
        case, ins, exp, weights = run_case(name, 3000 + 10 * i)
        d = os.path.join(root, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(wan_config_json(CONFIG), f, indent=2)
            f.write("\n")
        with open(os.path.join(d, "case.json"), "w") as f:
            json.dump(case, f, indent=2)
            f.write("\n")
        st.save(os.path.join(d, "model.safetensors"), weights)
        st.save(os.path.join(d, "inputs.safetensors"), ins)
        st.save(os.path.join(d, "expected.safetensors"), {k: v.float() for k, v in exp.items()})
        gmax = max(float(v.abs().max()) for k, v in exp.items() if k.startswith("grad."))
        print(f"{name:16s} |flow|max={exp['flow'].abs().max():.3f} max|grad|={gmax:.3f} "
              f"tensors={len(exp)}", flush=True)


if __name__ == "__main__":
    main()
