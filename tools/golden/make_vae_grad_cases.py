#!/usr/bin/python3
"""Generates the Wan-VAE GRADIENT golden case by running the NVlabs/LongLive v1.0 reference
(wan/modules/vae.py WanVAE_) under torch autograd on tiny random weights, on the CPU, in float32.

The reference has no working training forward (WanVAE_.forward calls encode without its `scale` and encode
returns only mu), so this script spells out what it would be with the reference's own modules and caches:
encode in chunks 1, 4, 4, ... exactly as WanVAE_.encode (the feature caches carry gradients: they are clones,
not detaches), moments = conv1(out), mu, log_var = chunk(2), z = mu + exp(0.5 log_var) * eps (reparameterize),
recon = WanVAE_.decode(z) with mean 0 / std 1 (one latent frame at a time, as the reference decodes).
Loss = sum(recon * R) + sum(mu * A) + sum(log_var * B) with fixed random R, A, B, so every gradient path
(decoder, reparameterization, both moment halves, encoder) is exercised without non-smooth ops.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_vae_grad_cases.py [--out DIR]
Writes vae_grad/small/ under DIR (default src/test/resources/golden). See docs/training-vae.md.
"""
import argparse
import json
import os
import sys

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refenv  # noqa: E402
import safetensors_io as st  # noqa: E402

# Tiny, structurally the real one: 4 levels, temporal [F, T, T], 1x1 shortcuts, channel halving on upsampling,
# attention in both middles. (attn_scales must stay empty: the reference Encoder3d/Decoder3d call every stack
# layer with feature caches, which AttentionBlock.forward does not take, so attention outside the middle fails.)
VAE_CONFIG = dict(dim=4, z_dim=3, dim_mult=[1, 2, 2, 2], num_res_blocks=1, attn_scales=[],
                  temperal_downsample=[False, True, True])
SEED = 900
FRAMES, H, W = 5, 16, 24


def random_vae(seed, dtype):
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
            t = torch.randn(p.shape, generator=g) / fan_in ** 0.5
        else:
            raise ValueError("no init rule for " + name)
        sd[name] = t.float()
    model.load_state_dict(sd, strict=True)
    return model.to(dtype).eval(), sd


def train_forward(model, video, eps):
    """The whole-clip training forward with the reference modules and caches (see the module docstring)."""
    model.clear_cache()
    t = video.shape[2]
    out = None
    for i in range(1 + (t - 1) // 4):
        model._enc_conv_idx = [0]
        chunk = video[:, :, :1] if i == 0 else video[:, :, 1 + 4 * (i - 1):1 + 4 * i]
        o = model.encoder(chunk, feat_cache=model._enc_feat_map, feat_idx=model._enc_conv_idx)
        out = o if out is None else torch.cat([out, o], 2)
    mu, log_var = model.conv1(out).chunk(2, dim=1)
    z = mu + torch.exp(0.5 * log_var) * eps
    zd = VAE_CONFIG["z_dim"]
    recon = model.decode(z, [torch.zeros(zd, dtype=z.dtype), torch.ones(zd, dtype=z.dtype)])
    return recon, mu, log_var


def run(dtype, video, eps, r, a, b):
    model, sd = random_vae(SEED, dtype)
    recon, mu, log_var = train_forward(model, video.to(dtype), eps.to(dtype))
    loss = (recon * r.to(dtype)).sum() + (mu * a.to(dtype)).sum() + (log_var * b.to(dtype)).sum()
    model.zero_grad()
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in model.named_parameters()}
    return sd, recon.detach(), mu.detach(), log_var.detach(), grads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    args = ap.parse_args()
    ref = os.environ.get("LONGLIVE_REF")
    if not ref:
        raise SystemExit("set LONGLIVE_REF to an exported NVlabs/LongLive v1.0 tree")
    refenv.install(ref)
    torch.set_num_threads(1)
    g = torch.Generator().manual_seed(SEED + 1)
    zd, lf = VAE_CONFIG["z_dim"], 1 + (FRAMES - 1) // 4
    video = torch.rand(1, 3, FRAMES, H, W, generator=g) * 2 - 1
    eps = torch.randn(1, zd, lf, H // 8, W // 8, generator=g)
    r = torch.randn(1, 3, FRAMES, H, W, generator=g)
    a = torch.randn(1, zd, lf, H // 8, W // 8, generator=g)
    b = torch.randn(1, zd, lf, H // 8, W // 8, generator=g)
    sd, recon, mu, log_var, grads = run(torch.float32, video, eps, r, a, b)
    _, recon64, _, _, grads64 = run(torch.float64, video, eps, r, a, b)
    rel = lambda x, y: float((x.double() - y).abs().max() / y.abs().max())
    worst = max(rel(grads[n], grads64[n]) for n in grads)
    print(f"recon {list(recon.shape)} std={recon.std():.3f}; mu {list(mu.shape)}; {len(grads)} gradients; "
          f"rel(f32 vs f64): recon {rel(recon, recon64):.2e}, worst gradient {worst:.2e}")
    assert set(grads) == set(sd), "every parameter must get a gradient"
    d = os.path.join(os.path.abspath(args.out), "vae_grad", "small")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "vae_config.json"), "w") as fh:
        json.dump(VAE_CONFIG, fh, indent=2)
        fh.write("\n")
    st.save(os.path.join(d, "vae.safetensors"), sd)
    st.save(os.path.join(d, "inputs.safetensors"),
            {"video": video[0], "eps": eps[0], "d_recon": r[0], "d_mu": a[0], "d_log_var": b[0]})
    expected = {"recon": recon[0], "mu": mu[0], "log_var": log_var[0]}
    expected.update({"grad." + n: t for n, t in grads.items()})
    st.save(os.path.join(d, "expected.safetensors"), expected)
    print("vae_grad/small written")


if __name__ == "__main__":
    main()
