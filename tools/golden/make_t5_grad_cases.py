#!/usr/bin/python3
"""Generates the umT5 encoder GRADIENT golden cases by running the NVlabs/LongLive v1.0 reference
(wan/modules/t5.py T5Encoder, then utils/wan_wrapper.py WanTextEncoder.forward's zeroing of the rows
past each prompt's length, written out-of-place so autograd accepts it) on tiny random weights, on the CPU, in float32, with autograd:

    loss = sum(prompt_embeds * R)      (R: a fixed random tensor, "grad_output")

and records d loss / d every weight (the gradients a training step accumulates).

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_t5_grad_cases.py [--out DIR]
Writes t5_grad/per_layer_pos/ and t5_grad/shared_pos/ under DIR (default src/test/resources/golden):
  t5_config.json, t5.safetensors (state-dict names), inputs.safetensors (token_ids, mask i64 [B, L];
  grad_output f32 [B, L, dim]), expected.safetensors (text_embeds f32 [B, L, dim] and grad.<name> for
  every state-dict tensor).
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
from make_t5_cases import BASE, random_encoder  # noqa: E402  (same tiny config and weight init)

CASES = [("per_layer_pos", False, 910),
         ("shared_pos", True, 911)]
SEQ = 24


def masks(vocab, g):
    """Three sequences: 17 tokens then padding, no padding at all, and a mask with a hole (not a prefix)."""
    ids = torch.randint(1, vocab, (3, SEQ), generator=g)
    mask = torch.zeros(3, SEQ, dtype=torch.long)
    mask[0, :17] = 1
    mask[1, :] = 1
    mask[2, :5] = 1
    mask[2, 7:12] = 1
    ids[0, 17:] = 0
    return ids, mask


def embeds(model, ids, mask):
    """The reference T5Encoder, then WanTextEncoder.forward's zeroing of rows >= count(mask > 0).

    WanTextEncoder does the zeroing in place on views of the output (u[v:] = 0.0), which autograd refuses; a
    0/1 row factor is the same function (the outputs are finite) with the same gradient (0 for those rows).
    """
    seq_lens = mask.gt(0).sum(dim=1).long()
    out = model(ids, mask)
    keep = (torch.arange(ids.shape[1])[None, :] < seq_lens[:, None]).to(out.dtype)
    return out * keep[:, :, None]


def grads(model, ids, mask, r):
    model.zero_grad(set_to_none=True)
    for p in model.parameters():
        p.requires_grad_(True)
    out = embeds(model, ids, mask)
    (out * r).sum().backward()
    return out.detach(), {n: p.grad.detach().clone() for n, p in model.named_parameters()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    a = ap.parse_args()
    ref = os.environ.get("LONGLIVE_REF")
    if not ref:
        raise SystemExit("set LONGLIVE_REF to an exported NVlabs/LongLive v1.0 tree")
    refenv.install(ref)
    torch.set_num_threads(1)
    root = os.path.abspath(a.out)
    for name, shared, seed in CASES:
        cfg = dict(BASE, shared_pos=shared)
        model, sd = random_encoder(cfg, shared, seed)
        g = torch.Generator().manual_seed(seed + 1)
        ids, mask = masks(cfg["vocab_size"], g)
        r = torch.randn(ids.shape[0], SEQ, cfg["dim"], generator=g)
        out, gr = grads(model, ids, mask, r)
        assert set(gr) == set(sd), sorted(set(sd) ^ set(gr))
        m64, _ = random_encoder(cfg, shared, seed)
        out64, gr64 = grads(m64.double(), ids, mask, r.double())
        worst = max(float((gr[n].double() - gr64[n]).abs().max() / gr64[n].abs().max().clamp_min(1e-30))
                    for n in gr)
        print(f"{name}: text_embeds {list(out.shape)}, {len(gr)} gradients, "
              f"worst rel(f32 vs f64)={worst:.2e}")
        d = os.path.join(root, "t5_grad", name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "t5_config.json"), "w") as fh:
            json.dump(cfg, fh, indent=2)
            fh.write("\n")
        st.save(os.path.join(d, "t5.safetensors"), sd)
        st.save(os.path.join(d, "inputs.safetensors"), {"token_ids": ids, "mask": mask, "grad_output": r})
        exp = {"text_embeds": out}
        exp.update({"grad." + n: t.float() for n, t in gr.items()})
        st.save(os.path.join(d, "expected.safetensors"), exp)
    print("t5 gradient cases written")


if __name__ == "__main__":
    main()
