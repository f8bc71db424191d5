#!/usr/bin/python3
"""Generates the DiT golden cases by RUNNING the NVlabs/LongLive v1.0 reference code
(CausalWanModel / causal_model_infinity, WanDiffusionWrapper, CausalInferencePipeline,
InteractiveCausalInferencePipeline) on tiny random weights, on the CPU, in float32.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_dit_cases.py [--out DIR] [--check]
  LONGLIVE_REF: a tree exported with
      git -C /work/.mirror/NVlabs+LongLive/repo archive v1.0 | tar -x -C /tmp/ref
  --out:   golden root (default src/test/resources/golden); writes dit/<case>/ and dit_debug/<case>/
  --check: also re-run every case in float64 and print how far the f32 result is from it.
Everything is seeded: two runs write byte-identical files. See docs/golden.md for the format.
"""
import argparse
import contextlib
import io
import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep tools/golden free of __pycache__
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refenv  # noqa: E402
import safetensors_io as st  # noqa: E402

# ------------------------------------------------------------------ tiny model configs
# A: head_dim 20 -> 10 complex pairs split 4/3/3 (uneven, like the real 22/21/21).
CONFIG_A = dict(model_type="t2v", patch_size=[1, 2, 2], text_len=16, in_dim=4, dim=40, ffn_dim=96,
                freq_dim=32, text_dim=32, out_dim=4, num_heads=2, num_layers=2, qk_norm=True,
                cross_attn_norm=True, eps=1e-6)
# B: more heads and layers, other text/freq sizes: head_dim 8 -> 4 pairs split 2/1/1.
CONFIG_B = dict(CONFIG_A, dim=32, ffn_dim=80, num_heads=4, num_layers=3, text_dim=24, freq_dim=16,
                text_len=12)
# C: smallest, for the schedule-variant cases.
CONFIG_C = dict(CONFIG_A, dim=24, ffn_dim=48, num_heads=2, num_layers=2, text_dim=16, freq_dim=16,
                text_len=8)
LATENT_HW = (4, 6)  # -> 2 x 3 = 6 tokens per latent frame with patch (1, 2, 2)
# Cases with another latent size: the long one uses 1 token per frame to stay small on disk.
CASE_LATENT_HW = {"relative_rope_past_table": (2, 2)}

BASE_SCHEDULE = {"num_frame_per_block": 3, "denoising_step_list": [1000, 750, 500, 250],
                 "warp_denoising_step": True, "timestep_shift": 5.0, "local_attn_size": 12,
                 "sink_size": 3, "switch_frame_indices": [], "global_sink": True, "context_noise": 0}

# name, model config, seed, frames, schedule overrides, rope mode
# Cases sharing a seed share weights, noise and prompts (frames/prompt count sliced), so they
# can be compared with each other: no_switch / switch_global_sink / switch_no_global_sink.
CASES = [
    ("no_switch", CONFIG_A, 100, 30, {}, "absolute"),
    ("switch_global_sink", CONFIG_A, 100, 30, {"switch_frame_indices": [18]}, "absolute"),
    ("switch_no_global_sink", CONFIG_A, 100, 30,
     {"switch_frame_indices": [18], "global_sink": False}, "absolute"),
    ("two_switches", CONFIG_A, 200, 33, {"switch_frame_indices": [9, 21]}, "absolute"),
    ("global_attention", CONFIG_A, 300, 21,
     {"local_attn_size": -1, "switch_frame_indices": [12]}, "absolute"),
    ("rolled_window", CONFIG_B, 400, 36, {"local_attn_size": 9, "sink_size": 3}, "absolute"),
    ("rolled_window_switch", CONFIG_B, 400, 36,
     {"local_attn_size": 9, "sink_size": 3, "switch_frame_indices": [20], "global_sink": False},
     "absolute"),
    ("relative_rope", CONFIG_A, 500, 45, {}, "relative"),
    ("relative_rope_switch", CONFIG_A, 500, 30, {"switch_frame_indices": [18]}, "relative"),
    ("switch_not_on_block_boundary", CONFIG_A, 600, 45, {"switch_frame_indices": [40]},
     "absolute"),
    # Schedule variants beyond the shipped configs (the replay format allows them).
    ("three_steps_no_warp_no_sink", CONFIG_C, 1000, 18,
     {"denoising_step_list": [1000, 500, 250], "warp_denoising_step": False, "timestep_shift": 3.0,
      "local_attn_size": 6, "sink_size": 0}, "absolute"),
    ("blocks_of_two_context_noise", CONFIG_C, 1100, 16,
     {"num_frame_per_block": 2, "local_attn_size": 8, "sink_size": 2, "context_noise": 50,
      "switch_frame_indices": [9], "global_sink": False}, "absolute"),
    # Past the 1024-position RoPE table: only the relative mode can generate this.
    ("relative_rope_past_table", CONFIG_C, 1200, 1032, {"switch_frame_indices": [1025]}, "relative"),
]


class AttrDict(dict):
    """OmegaConf-like: attribute access plus ** unpacking."""

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k)


def wan_config_json(cfg):
    out = {"_class_name": "WanModel"}
    out.update(cfg)
    return out


# ------------------------------------------------------------------ weights and inputs
def random_weights(model, seed):
    """Random weights that keep activations O(1) and make every parameter matter."""
    g = torch.Generator().manual_seed(seed)
    sd = {}
    for name, p in sorted(model.state_dict().items()):
        shape = p.shape
        if name.endswith("modulation"):
            t = torch.randn(shape, generator=g) * 0.3
        elif name.endswith(("norm_q.weight", "norm_k.weight", "norm3.weight")):
            t = 1.0 + 0.2 * torch.randn(shape, generator=g)
        elif name.endswith(".bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        elif name.endswith(".weight") and len(shape) >= 2:
            fan_in = int(torch.tensor(shape[1:]).prod())
            gain = 0.5 if name.startswith("time_projection") else 1.0
            t = torch.randn(shape, generator=g) * (gain / fan_in ** 0.5)
        else:
            raise ValueError("no init rule for " + name)
        sd[name] = t.float()
    return sd


def random_inputs(cfg, seed, frames, prompts, steps, frames_per_block, hw=LATENT_HW):
    h, w = hw
    c = cfg["in_dim"]
    g = torch.Generator().manual_seed(seed + 1)
    noise = torch.randn(frames, c, h, w, generator=g)
    g = torch.Generator().manual_seed(seed + 2)
    step_noise = torch.randn(frames // frames_per_block, steps - 1, frames_per_block, c, h, w,
                             generator=g)
    g = torch.Generator().manual_seed(seed + 3)
    embeds = torch.zeros(prompts, cfg["text_len"], cfg["text_dim"])
    for p in range(prompts):
        n = int(torch.randint(cfg["text_len"] // 2, cfg["text_len"], (1,), generator=g))
        embeds[p, :n] = torch.randn(n, cfg["text_dim"], generator=g)
    return noise, embeds, step_noise


# ------------------------------------------------------------------ running the reference
class FakeTextEncoder(torch.nn.Module):
    """Returns the given embeddings for prompt 'prompt<i>' (rows past the length already 0)."""

    def __init__(self, embeds):
        super().__init__()
        self.embeds = embeds

    def forward(self, text_prompts):
        return {"prompt_embeds": torch.stack([self.embeds[int(p[len("prompt"):])]
                                              for p in text_prompts])}


class FakeVae(torch.nn.Module):
    """The golden data are latents; decoding is not part of these cases."""

    def decode_to_pixel(self, latent, use_cache=False):
        return latent

    decode_to_pixel_chunk = decode_to_pixel


def make_pipeline(cfg, weights, sched, rope_mode, interactive, embeds, dtype, hw=LATENT_HW):
    from utils.wan_wrapper import WanDiffusionWrapper
    from pipeline.causal_inference import CausalInferencePipeline
    from pipeline.interactive_causal_inference import InteractiveCausalInferencePipeline

    def build(cls, local_attn_size, sink_size):
        kw = dict(cfg, patch_size=tuple(cfg["patch_size"]))
        model = cls(**kw, local_attn_size=local_attn_size, sink_size=sink_size)
        model.load_state_dict(weights, strict=True)
        return model

    refenv.set_pretrained_builder(build)
    model_kwargs = AttrDict(local_attn_size=sched["local_attn_size"],
                            timestep_shift=sched["timestep_shift"], sink_size=sched["sink_size"])
    if rope_mode == "relative":
        model_kwargs["use_infinite_attention"] = True
    args = AttrDict(denoising_step_list=sched["denoising_step_list"],
                    warp_denoising_step=sched["warp_denoising_step"],
                    num_frame_per_block=sched["num_frame_per_block"], model_kwargs=model_kwargs,
                    context_noise=sched["context_noise"], global_sink=sched["global_sink"])
    with contextlib.redirect_stdout(io.StringIO()):
        generator = WanDiffusionWrapper(model_name="tiny", is_causal=True, **model_kwargs)
        generator.model.to(dtype)
        cls = InteractiveCausalInferencePipeline if interactive else CausalInferencePipeline
        kwargs = dict(generator=generator, text_encoder=FakeTextEncoder(embeds), vae=FakeVae())
        pipe = cls(args, "cpu", **kwargs)
    # The pipeline hard-codes the 1.3B geometry (30 blocks, 1560 tokens per frame, cache heads
    # [12, 128]); these are the same quantities for the tiny model.
    pipe.num_transformer_blocks = cfg["num_layers"]
    pipe.frame_seq_length = (hw[0] // cfg["patch_size"][1]) * (hw[1] // cfg["patch_size"][2])
    heads, head_dim = cfg["num_heads"], cfg["dim"] // cfg["num_heads"]
    init_kv = pipe._initialize_kv_cache

    def init_kv_tiny(*a, **kw):
        real_zeros = torch.zeros

        def zeros(shape, **zkw):
            shape = list(shape)
            if shape[-2:] == [12, 128]:
                shape[-2:] = [heads, head_dim]
            return real_zeros(shape, **zkw)

        torch.zeros = zeros
        try:
            init_kv(*a, **kw)
        finally:
            torch.zeros = real_zeros

    pipe._initialize_kv_cache = init_kv_tiny
    return pipe


@contextlib.contextmanager
def draws_from(queue):
    """Every torch.randn_like call of the pipeline takes the next given tensor (same shape)."""
    real = torch.randn_like

    def given(like, **kw):
        if not queue:
            raise AssertionError("the pipeline drew more noise than given")
        t = queue.pop(0)
        assert tuple(t.shape) == tuple(like.shape), (t.shape, like.shape)
        return t.to(like.dtype).clone()

    torch.randn_like = given
    try:
        yield
    finally:
        torch.randn_like = real
    if queue:
        raise AssertionError(f"{len(queue)} given noise draws were not used")


def run_case(cfg, weights, sched, rope_mode, noise, embeds, step_noise, dtype=torch.float32):
    switches = sched["switch_frame_indices"]
    interactive = len(switches) > 0
    pipe = make_pipeline(cfg, weights, sched, rope_mode, interactive, embeds.to(dtype), dtype,
                         tuple(noise.shape[2:]))
    queue = [step_noise[b, i] for b in range(step_noise.shape[0]) for i in range(step_noise.shape[1])]
    x = noise.to(dtype).unsqueeze(0)
    with torch.no_grad(), draws_from(queue), contextlib.redirect_stdout(io.StringIO()):
        if interactive:
            prompts = [["prompt%d" % p] for p in range(len(switches) + 1)]
            _, latents = pipe.inference(x, text_prompts_list=prompts, switch_frame_indices=switches,
                                        return_latents=True)
        else:
            _, latents = pipe.inference(x, text_prompts=["prompt0"], return_latents=True)
    return latents[0]


# ------------------------------------------------------------------ debug forwards
def capture_forward(model, store, prefix=""):
    """Forward hooks saving the named intermediates of one model call into store."""
    hooks = []

    def save(name, fn):
        return lambda mod, inp, out: store.__setitem__(prefix + name, fn(out).detach().clone())

    hooks.append(model.patch_embedding.register_forward_hook(
        save("patch_emb", lambda o: o.flatten(2).transpose(1, 2)[0])))
    hooks.append(model.text_embedding.register_forward_hook(save("text_emb", lambda o: o[0])))
    hooks.append(model.time_embedding.register_forward_hook(save("e", lambda o: o)))
    hooks.append(model.time_projection.register_forward_hook(
        save("e0", lambda o: o.unflatten(1, (6, model.dim)))))
    for i, blk in enumerate(model.blocks):
        hooks.append(blk.register_forward_hook(save("block_out_%d" % i,
                                                    lambda o: (o[0] if isinstance(o, tuple) else o)[0])))
    hooks.append(model.head.register_forward_hook(save("head_out", lambda o: o[0].flatten(0, 1))))
    return hooks


def debug_pipeline(cfg, weights, sched, embeds):
    pipe = make_pipeline(cfg, weights, sched, "absolute", False, embeds, torch.float32)
    with contextlib.redirect_stdout(io.StringIO()):
        pipe._initialize_kv_cache(batch_size=1, dtype=torch.float32, device="cpu",
                                  kv_cache_size_override=sched["local_attn_size"] * pipe.frame_seq_length)
        pipe._initialize_crossattn_cache(batch_size=1, dtype=torch.float32, device="cpu")
        pipe.generator.model.local_attn_size = sched["local_attn_size"]
        pipe._set_all_modules_max_attention_size(sched["local_attn_size"])
    return pipe


def forward_call(pipe, x, t, cond, start_frame):
    flow, x0 = pipe.generator(noisy_image_or_video=x.unsqueeze(0), conditional_dict=cond,
                              timestep=t.unsqueeze(0), kv_cache=pipe.kv_cache1,
                              crossattn_cache=pipe.crossattn_cache,
                              current_start=start_frame * pipe.frame_seq_length)
    return flow[0], x0[0]


def make_debug_cases(root, seed=700):
    cfg, sched = CONFIG_A, dict(BASE_SCHEDULE)
    weights = random_weights(build_plain(cfg), seed)
    noise, embeds, _ = random_inputs(cfg, seed, 6, 1, 2, 3)
    pipe = debug_pipeline(cfg, weights, sched, embeds)
    steps = pipe.denoising_step_list  # warped float32 timesteps [1000, 937.5, 833.33, 625]
    cond = {"prompt_embeds": embeds[:1]}
    meta = {"local_attn_size": sched["local_attn_size"], "sink_size": sched["sink_size"],
            "num_frame_per_block": 3}

    # single_forward: one block, a different timestep per frame, empty cache.
    x, t = noise[:3], steps[:3].clone()
    store = {}
    hooks = capture_forward(pipe.generator.model, store)
    with torch.no_grad():
        flow, x0 = forward_call(pipe, x, t, cond, 0)
    for h in hooks:
        h.remove()
    store.update(output=flow, x0=x0)
    d = os.path.join(root, "dit_debug", "single_forward")
    write_case_dir(d, cfg, dict(meta, calls=[{"x": "x", "t": "t", "start_frame": 0}]),
                   {"x": x, "t": t, "context": embeds[0]}, store, "forward.json")

    # cached_forward: block 0 then block 1 through the same KV cache (block 1 attends to the
    # cached keys of block 0).
    pipe = debug_pipeline(cfg, weights, sched, embeds)
    x_a, x_b = noise[:3], noise[3:]
    t_a = torch.full((3,), float(steps[1]))
    t_b = torch.full((3,), float(steps[2]))
    with torch.no_grad():
        out_a, _ = forward_call(pipe, x_a, t_a, cond, 0)
        fsl = pipe.frame_seq_length
        cache = {}
        for i, c in enumerate(pipe.kv_cache1):
            cache["cache_k_%d" % i] = c["k"][0, :3 * fsl].clone()
            cache["cache_v_%d" % i] = c["v"][0, :3 * fsl].clone()
        store = {}
        hooks = capture_forward(pipe.generator.model, store)
        out_b, x0_b = forward_call(pipe, x_b, t_b, cond, 3)
        for h in hooks:
            h.remove()
    store.update(cache)
    store.update(output_call0=out_a, output_call1=out_b, x0_call1=x0_b)
    d = os.path.join(root, "dit_debug", "cached_forward")
    write_case_dir(d, cfg, dict(meta, calls=[{"x": "x_call0", "t": "t_call0", "start_frame": 0},
                                             {"x": "x_call1", "t": "t_call1", "start_frame": 3}]),
                   {"x_call0": x_a, "t_call0": t_a, "x_call1": x_b, "t_call1": t_b,
                    "context": embeds[0]}, store, "forward.json")
    return weights


def build_plain(cfg):
    from wan.modules.causal_model import CausalWanModel
    return CausalWanModel(**dict(cfg, patch_size=tuple(cfg["patch_size"])))


# ------------------------------------------------------------------ writing
def write_case_dir(d, cfg, sched, inputs, expected, sched_name="schedule.json", weights=None):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(wan_config_json(cfg), f, indent=2)
        f.write("\n")
    with open(os.path.join(d, sched_name), "w") as f:
        json.dump(sched, f, indent=2)
        f.write("\n")
    if weights is not None:
        st.save(os.path.join(d, "model.safetensors"), weights)
    st.save(os.path.join(d, "inputs.safetensors"), {k: v.float() for k, v in inputs.items()})
    st.save(os.path.join(d, "expected.safetensors"), {k: v.float() for k, v in expected.items()})


def rel_err(a, b):
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    ap.add_argument("--check", action="store_true", help="compare with a float64 run")
    ap.add_argument("--only", default=None, help="comma-separated case names")
    a = ap.parse_args()
    ref = os.environ.get("LONGLIVE_REF")
    if not ref:
        raise SystemExit("set LONGLIVE_REF to an exported NVlabs/LongLive v1.0 tree")
    refenv.install(ref)
    torch.set_num_threads(1)
    root = os.path.abspath(a.out)
    only = set(a.only.split(",")) if a.only else None
    results = {}
    for name, cfg, seed, frames, over, rope in CASES:
        if only and name not in only:
            continue
        sched = dict(BASE_SCHEDULE, **over)
        if rope == "relative":
            sched["rope_mode"] = "relative"
        prompts = len(sched["switch_frame_indices"]) + 1
        weights = random_weights(build_plain(cfg), seed)
        noise, embeds, step_noise = random_inputs(cfg, seed, frames, 3, len(sched["denoising_step_list"]),
                                                  sched["num_frame_per_block"],
                                                  CASE_LATENT_HW.get(name, LATENT_HW))
        embeds = embeds[:prompts]
        lat = run_case(cfg, weights, sched, rope, noise, embeds, step_noise)
        assert torch.isfinite(lat).all(), name
        again = run_case(cfg, weights, sched, rope, noise, embeds, step_noise)
        assert torch.equal(lat, again), name + ": two runs differ"
        msg = f"{name:30s} F={frames:2d} |lat|max={lat.abs().max():.3f} std={lat.std():.3f}"
        if a.check:
            w64 = {k: v.double() for k, v in weights.items()}
            lat64 = run_case(cfg, w64, sched, rope, noise.double(), embeds.double(), step_noise.double(),
                             dtype=torch.float64)
            msg += f" rel(f32 vs f64)={rel_err(lat, lat64):.2e}"
        print(msg, flush=True)
        results[name] = lat
        write_case_dir(os.path.join(root, "dit", name), cfg, sched,
                       {"noise": noise, "prompt_embeds": embeds, "step_noise": step_noise},
                       {"latents": lat}, weights=weights)
    if not only or "debug" in only:
        w = make_debug_cases(root)
        st.save(os.path.join(root, "dit_debug", "single_forward", "model.safetensors"), w)
        st.save(os.path.join(root, "dit_debug", "cached_forward", "model.safetensors"), w)
        print("dit_debug/single_forward, dit_debug/cached_forward written")

    def cmp(x, y, frames=None):
        if x in results and y in results:
            a_, b_ = results[x], results[y]
            n = min(a_.shape[0], b_.shape[0])
            print(f"max|{x} - {y}| = {(a_[:n] - b_[:n]).abs().max():.4f}", flush=True)
    cmp("switch_global_sink", "switch_no_global_sink")
    cmp("switch_global_sink", "no_switch")
    if "switch_global_sink" in results and "no_switch" in results:
        d = (results["switch_global_sink"][:18] - results["no_switch"][:18]).abs().max()
        print(f"  (frames before the switch: max diff {d:.2e}, must be 0)")
    cmp("rolled_window", "rolled_window_switch")
    cmp("relative_rope", "relative_rope_switch")


if __name__ == "__main__":
    main()
