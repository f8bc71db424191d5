#!/usr/bin/python3
"""Generates the Wan-VAE golden cases by RUNNING the NVlabs/LongLive v1.0 reference
(wan/modules/vae.py WanVAE_ through utils/wan_wrapper.py WanVAEWrapper) on tiny random weights,
on the CPU, in float32.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_vae_cases.py [--out DIR]
Writes vae/decode/ and vae/encode/ under DIR (default src/test/resources/golden). See docs/golden.md.
"""
import argparse
import contextlib
import io
import json
import os
import sys

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refenv  # noqa: E402
import safetensors_io as st  # noqa: E402

# Tiny but structurally the real one: 4 levels (3 resamples, 8x space), temporal [F, T, T],
# 2 residual blocks, middle attention; dims enc 4,4,8,8,8 / dec 8,8,8,8,4 (channel halving and
# 1x1 shortcuts both occur).
VAE_CONFIG = dict(dim=4, z_dim=4, dim_mult=[1, 2, 2, 2], num_res_blocks=2, attn_scales=[],
                  temperal_downsample=[False, True, True])
SEED = 800


def random_vae(seed):
    from wan.modules.vae import WanVAE_
    model = WanVAE_(**VAE_CONFIG, dropout=0.0)
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for name, p in sorted(model.state_dict().items()):
        if name.endswith(".gamma"):
            t = 1.0 + 0.2 * torch.randn(p.shape, generator=g)
        elif name.endswith(".bias"):
            t = 0.05 * torch.randn(p.shape, generator=g)
        elif name.endswith(".weight") and p.dim() >= 2:
            fan_in = int(torch.tensor(p.shape[1:]).prod())
            # keep the decoder's output mostly inside the [-1, 1] clamp
            gain = 0.8 if name in ("decoder.head.2.weight",) else 1.0
            t = torch.randn(p.shape, generator=g) * (gain / fan_in ** 0.5)
        else:
            raise ValueError("no init rule for " + name)
        sd[name] = t.float()
    model.load_state_dict(sd, strict=True)
    return model.eval(), sd


def wrapper_for(model, mean, std):
    """The reference WanVAEWrapper around our model (its __init__ loads a 1.3B checkpoint)."""
    import utils.wan_wrapper as ww
    real = ww._video_vae
    ww._video_vae = lambda **kw: model
    try:
        w = ww.WanVAEWrapper()
    finally:
        ww._video_vae = real
    # The wrapper hard-codes the 16 published constants; the tiny z_dim gets its own.
    w.mean, w.std = mean.clone(), std.clone()
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    a = ap.parse_args()
    ref = os.environ.get("LONGLIVE_REF")
    if not ref:
        raise SystemExit("set LONGLIVE_REF to an exported NVlabs/LongLive v1.0 tree")
    refenv.install(ref)
    torch.set_num_threads(1)
    z, f, h, w = VAE_CONFIG["z_dim"], 4, 3, 4
    model, sd = random_vae(SEED)
    g = torch.Generator().manual_seed(SEED + 1)
    mean = torch.randn(z, generator=g) * 0.5
    std = 0.5 + 1.5 * torch.rand(z, generator=g)
    latents = torch.randn(z, f, h, w, generator=g)
    video_in = (torch.rand(3, 1 + 4 * (f - 2), 8 * h, 8 * w, generator=g) * 2 - 1)
    wr = wrapper_for(model, mean, std)

    def decode():
        with torch.no_grad():
            # wrapper layout [B, F, C, H, W] -> out [B, T, 3, 8H, 8W]
            v = wr.decode_to_pixel(latents.permute(1, 0, 2, 3).unsqueeze(0), use_cache=False)
        return v[0].permute(1, 0, 2, 3).contiguous()  # [3, T, 8H, 8W]

    def encode():
        with torch.no_grad():
            mu = wr.encode_to_latent(video_in.unsqueeze(0))  # [B, F, C, H, W]
        return mu[0].permute(1, 0, 2, 3).contiguous()  # [z, F', H, W]

    video = decode()
    assert torch.equal(video, decode()), "decode not reproducible"
    mu = encode()
    assert torch.equal(mu, encode()), "encode not reproducible"
    assert torch.isfinite(video).all() and torch.isfinite(mu).all()
    clamped = float(((video.abs() >= 1.0)).float().mean())
    print(f"decode: latents {list(latents.shape)} -> video {list(video.shape)} std={video.std():.3f} "
          f"clamped={clamped:.1%}")
    print(f"encode: video {list(video_in.shape)} -> mu {list(mu.shape)} std={mu.std():.3f}")

    # float64 check: same reference code in double precision
    model64, _ = random_vae(SEED)
    model64.double()
    wr64 = wrapper_for(model64, mean.double(), std.double())
    with torch.no_grad():
        v64 = wr64.decode_to_pixel(latents.double().permute(1, 0, 2, 3).unsqueeze(0))[0].permute(1, 0, 2, 3)
        m64 = wr64.encode_to_latent(video_in.double().unsqueeze(0))[0].permute(1, 0, 2, 3)
    rel = lambda x, y: float((x.double() - y).abs().max() / y.abs().max())
    print(f"rel(f32 vs f64): decode {rel(video, v64):.2e}, encode {rel(mu, m64):.2e}")

    root = os.path.abspath(a.out)
    for case, inputs, expected in (
            ("decode", {"latents": latents, "mean": mean, "std": std}, {"video": video}),
            ("encode", {"video": video_in, "mean": mean, "std": std}, {"mu": mu})):
        d = os.path.join(root, "vae", case)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "vae_config.json"), "w") as fh:
            json.dump(VAE_CONFIG, fh, indent=2)
            fh.write("\n")
        st.save(os.path.join(d, "vae.safetensors"), sd)
        st.save(os.path.join(d, "inputs.safetensors"), inputs)
        st.save(os.path.join(d, "expected.safetensors"), expected)
    print("vae/decode, vae/encode written")


if __name__ == "__main__":
    main()
