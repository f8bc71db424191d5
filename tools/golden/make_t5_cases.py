#!/usr/bin/python3
"""Generates the umT5 encoder golden cases by RUNNING the NVlabs/LongLive v1.0 reference
(wan/modules/t5.py T5Encoder inside utils/wan_wrapper.py WanTextEncoder.forward, which zeroes the
rows past each prompt's length) on tiny random weights, on the CPU, in float32.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_t5_cases.py [--out DIR]
Writes t5/shared_pos/ and t5/per_layer_pos/ under DIR (default src/test/resources/golden).
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

# dim_attn != dim and 3 heads catch projection-shape mix-ups; 16 buckets over 24 positions reach
# the logarithmic buckets (max_exact 4 per direction).
BASE = dict(vocab_size=64, dim=32, dim_attn=24, dim_ffn=48, num_heads=3, num_layers=2,
            num_buckets=16)
CASES = [("per_layer_pos", False, 900),  # umT5-XXL layout: a relative bias table per layer
         ("shared_pos", True, 901)]
LENGTHS = [17, 9]  # tokens per sequence (rest padding, id 0, mask 0)
SEQ = 24


def random_encoder(cfg, shared_pos, seed):
    from wan.modules.t5 import T5Encoder
    torch.manual_seed(seed)  # the constructor's own init draws from the global generator
    model = T5Encoder(vocab=cfg["vocab_size"], dim=cfg["dim"], dim_attn=cfg["dim_attn"],
                      dim_ffn=cfg["dim_ffn"], num_heads=cfg["num_heads"],
                      num_layers=cfg["num_layers"], num_buckets=cfg["num_buckets"],
                      shared_pos=shared_pos, dropout=0.1).eval()
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for name, p in sorted(model.state_dict().items()):
        if name.endswith("norm1.weight") or name.endswith("norm2.weight") or name == "norm.weight":
            t = 1.0 + 0.2 * torch.randn(p.shape, generator=g)
        elif name == "token_embedding.weight" or name.endswith("pos_embedding.embedding.weight"):
            t = torch.randn(p.shape, generator=g)
        elif name.endswith(".weight"):
            t = torch.randn(p.shape, generator=g) / p.shape[1] ** 0.5
        else:
            raise ValueError("no init rule for " + name)
        sd[name] = t.float()
    model.load_state_dict(sd, strict=True)
    return model, sd


class GivenTokenizer:
    def __init__(self, ids, mask):
        self.ids, self.mask = ids, mask

    def __call__(self, texts, return_mask=True, add_special_tokens=True):
        return self.ids.clone(), self.mask.clone()


def encode(model, ids, mask):
    """Runs the reference WanTextEncoder.forward (its __init__ loads the XXL checkpoint)."""
    from utils.wan_wrapper import WanTextEncoder
    enc = WanTextEncoder.__new__(WanTextEncoder)
    torch.nn.Module.__init__(enc)
    enc.text_encoder = model
    enc.tokenizer = GivenTokenizer(ids, mask)
    with torch.no_grad():
        return enc(["given"] * ids.shape[0])["prompt_embeds"]


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
    outs = {}
    for name, shared, seed in CASES:
        cfg = dict(BASE, shared_pos=shared)
        model, sd = random_encoder(cfg, shared, seed)
        g = torch.Generator().manual_seed(seed + 1)
        ids = torch.zeros(len(LENGTHS), SEQ, dtype=torch.long)
        mask = torch.zeros(len(LENGTHS), SEQ, dtype=torch.long)
        for b, n in enumerate(LENGTHS):
            ids[b, :n] = torch.randint(1, cfg["vocab_size"], (n,), generator=g)
            mask[b, :n] = 1
        out = encode(model, ids, mask)
        assert torch.equal(out, encode(model, ids, mask)), "not reproducible"
        assert torch.isfinite(out).all()
        m64, _ = random_encoder(cfg, shared, seed)
        o64 = encode(m64.double(), ids, mask)
        rel = float((out.double() - o64).abs().max() / o64.abs().max())
        print(f"{name}: text_embeds {list(out.shape)} std={out[mask.bool()].std():.3f} "
              f"rel(f32 vs f64)={rel:.2e}")
        outs[name] = out
        d = os.path.join(root, "t5", name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "t5_config.json"), "w") as fh:
            json.dump(cfg, fh, indent=2)
            fh.write("\n")
        st.save(os.path.join(d, "t5.safetensors"), sd)
        st.save(os.path.join(d, "inputs.safetensors"), {"token_ids": ids, "mask": mask})
        st.save(os.path.join(d, "expected.safetensors"), {"text_embeds": out})
    print("t5 cases written")


if __name__ == "__main__":
    main()
