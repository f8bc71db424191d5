#!/usr/bin/python3
"""Generates the training golden cases (src/test/resources/golden/train/) with CPU torch 1.13:

- optim_beta0 / optim_beta09: torch.optim.AdamW (betas (0, 0.999) as LongLive trains, and (0.9, 0.999)),
  weight decay 0.01, 5 steps on two small tensors with per-step gradients and learning rates, each step
  preceded by torch.nn.utils.clip_grad_norm_ (max norm chosen so that some steps clip and some do not) and
  followed by the EMA update of the reference's utils/distributed.py EMA_FSDP.update (decay 0.99).
- dmd: the reference's model/dmd.py DMD.compute_distribution_matching_loss and _compute_kl_grad RUN on fixed
  fake / real-cond / real-uncond predictions (stand-in score networks return them), CFG 3.0, shift 5, a gradient
  mask, raw timesteps [0, 3, 517, 999] (covers both clamps); plus d loss / d x from autograd.
- flow: utils/scheduler.py FlowMatchScheduler (shift 5, sigma_min 0, extra_one_step, set_timesteps(1000,
  training=True)) as WanDiffusionWrapper builds it: timesteps, sigmas, training weights, add_noise, and the
  Self-Forcing CausalDiffusion.generator_loss flow-matching loss (per-frame MSE times training_weight) with its
  gradient w.r.t. the predicted flow.
- critic: the DMD critic loss of model/dmd.py with denoising_loss_type flow: x0 from the critic's flow
  prediction (WanDiffusionWrapper._convert_flow_pred_to_x0), back to flow (_convert_x0_to_flow_pred) and
  utils/loss.py FlowPredLoss against (noise - x); gradient w.r.t. the critic's flow prediction.

Usage:  LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/golden/make_train_cases.py [--out DIR]
"""
import argparse
import os
import sys
import types

import torch

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import refenv  # noqa: E402
import safetensors_io as st  # noqa: E402

torch.set_num_threads(1)


def optim_case(betas, seed):
    g = torch.Generator().manual_seed(seed)
    shapes = {"blocks.0.w": (4, 5), "blocks.0.b": (7,)}
    params = {n: torch.randn(s, generator=g).requires_grad_(True) for n, s in shapes.items()}
    out = {f"init.{n}": p.detach().clone() for n, p in params.items()}
    opt = torch.optim.AdamW(list(params.values()), lr=1e-2, betas=betas, eps=1e-8, weight_decay=0.01)
    shadow = {n: p.detach().clone().float() for n, p in params.items()}
    decay, max_norm = 0.99, 3.0
    lrs = [1e-2, 5e-3, 2e-2, 1e-3, 1e-2]
    scales = [0.3, 2.0, 0.1, 5.0, 1.0]   # gradient sizes: some steps clip at max_norm 3, some do not
    norms = []
    for step, (lr, sc) in enumerate(zip(lrs, scales)):
        for gi in opt.param_groups:
            gi["lr"] = lr
        for n, p in params.items():
            p.grad = torch.randn(p.shape, generator=g) * sc
            out[f"step{step}.grad.{n}"] = p.grad.detach().clone()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(params.values()), max_norm)))
        opt.step()
        with torch.no_grad():
            for n, p in params.items():
                shadow[n].mul_(decay).add_(p.detach().float(), alpha=1. - decay)   # EMA_FSDP.update
        for n, p in params.items():
            out[f"step{step}.value.{n}"] = p.detach().clone()
            out[f"step{step}.ema.{n}"] = shadow[n].clone()
            out[f"step{step}.exp_avg.{n}"] = opt.state[p]["exp_avg"].clone()
            out[f"step{step}.exp_avg_sq.{n}"] = opt.state[p]["exp_avg_sq"].clone()
    out["lr"] = torch.tensor(lrs, dtype=torch.float64)
    out["norm"] = torch.tensor(norms, dtype=torch.float64)
    meta = {"beta1": str(betas[0]), "beta2": str(betas[1]), "eps": "1e-08", "weight_decay": "0.01",
            "ema_decay": str(decay), "max_norm": str(max_norm), "steps": str(len(lrs))}
    return out, meta


def make_scheduler():
    from utils.scheduler import FlowMatchScheduler
    s = FlowMatchScheduler(shift=5.0, sigma_min=0.0, extra_one_step=True)   # as WanDiffusionWrapper
    s.set_timesteps(1000, training=True)
    return s


def dmd_case(seed):
    import pipeline
    pipeline.SelfForcingTrainingPipeline = object   # only referenced by type annotations in model/dmd.py
    from model.dmd import DMD
    g = torch.Generator().manual_seed(seed)
    shape = (4, 6, 2, 3, 4)  # [B, F, C, H, W]
    x = torch.randn(shape, generator=g)
    fake = torch.randn(shape, generator=g)
    real_c = x + 0.3 * torch.randn(shape, generator=g)
    real_u = x + 0.5 * torch.randn(shape, generator=g)
    raw = torch.tensor([0, 3, 517, 999], dtype=torch.long)
    mask = torch.ones(shape, dtype=torch.bool)
    mask[:, :3] = False
    cond, uncond = {"which": "cond"}, {"which": "uncond"}
    seen = {}

    def fake_score(noisy_image_or_video, conditional_dict, timestep):
        seen["timestep"] = timestep.clone()
        return None, fake

    def real_score(noisy_image_or_video, conditional_dict, timestep):
        return None, (real_c if conditional_dict is cond else real_u)

    self = types.SimpleNamespace(
        fake_score=fake_score, real_score=real_score, fake_guidance_scale=0.0, real_guidance_scale=3.0,
        ts_schedule=False, ts_schedule_max=False, min_score_timestep=0, num_train_timestep=1000,
        timestep_shift=5.0, min_step=20, max_step=980, num_frame_per_block=3, scheduler=make_scheduler(),
        _get_timestep=lambda lo, hi, b, f, nb, uniform_timestep: raw[:, None].repeat(1, f))  # long, as torch.randint
    self._compute_kl_grad = types.MethodType(DMD._compute_kl_grad, self)
    xr = x.clone().requires_grad_(True)
    loss, _ = DMD.compute_distribution_matching_loss(self, xr, cond, uncond, gradient_mask=mask)
    loss.backward()
    grad, _ = DMD._compute_kl_grad(self, None, x, seen["timestep"], cond, uncond)
    return {"x": x, "fake": fake, "real_cond": real_c, "real_uncond": real_u, "raw_timestep": raw.double(),
            "mask": mask.float(), "timestep": seen["timestep"].double(), "grad": grad,
            "loss": loss.detach().reshape(1), "dloss_dx": xr.grad.double()}, {"guidance": "3.0", "shift": "5.0"}


def flow_case(seed):
    s = make_scheduler()
    g = torch.Generator().manual_seed(seed)
    b, f = 2, 6
    clean = torch.randn((b, f, 2, 3, 4), generator=g)
    noise = torch.randn((b, f, 2, 3, 4), generator=g)
    index = torch.tensor([[0, 0, 0, 999, 999, 999], [250, 250, 250, 731, 731, 731]])   # block-constant (3 frames)
    timestep = s.timesteps[index]
    noisy = s.add_noise(clean.flatten(0, 1), noise.flatten(0, 1), timestep.flatten(0, 1)).unflatten(0, (b, f))
    target = s.training_target(clean, noise, timestep)
    flow = (target + 0.4 * torch.randn(target.shape, generator=g)).requires_grad_(True)
    # Self-Forcing model/diffusion.py CausalDiffusion.generator_loss, from the MSE on
    loss = torch.nn.functional.mse_loss(flow.float(), target.float(), reduction='none').mean(dim=(2, 3, 4))
    weight = s.training_weight(timestep).unflatten(0, (b, f))
    loss = (loss * weight).mean()
    loss.backward()
    return {"timesteps": s.timesteps, "sigmas": s.sigmas, "weights": s.linear_timesteps_weights,
            "clean": clean, "noise": noise, "index": index.double(), "timestep": timestep, "noisy": noisy,
            "flow": flow.detach(), "weight": weight, "loss": loss.detach().reshape(1), "dloss_dflow": flow.grad}, {}


def critic_case(seed):
    from utils.loss import get_denoising_loss
    from utils.wan_wrapper import WanDiffusionWrapper
    s = make_scheduler()
    g = torch.Generator().manual_seed(seed)
    b, f = 2, 3
    x = torch.randn((b, f, 2, 3, 4), generator=g)
    noise = torch.randn((b, f, 2, 3, 4), generator=g)
    t = torch.tensor([[20.0] * f, [873.0] * f])
    xt = s.add_noise(x.flatten(0, 1), noise.flatten(0, 1), t.flatten(0, 1)).unflatten(0, (b, f))
    v = ((noise - x) + 0.5 * torch.randn(x.shape, generator=g)).requires_grad_(True)
    holder = types.SimpleNamespace(scheduler=s)
    x0 = WanDiffusionWrapper._convert_flow_pred_to_x0(holder, v.flatten(0, 1), xt.flatten(0, 1), t.flatten(0, 1))
    flow_pred = WanDiffusionWrapper._convert_x0_to_flow_pred(s, x0, xt.flatten(0, 1), t.flatten(0, 1))
    loss = get_denoising_loss("flow")()(x=x.flatten(0, 1), x_pred=x0, noise=noise.flatten(0, 1), noise_pred=None,
                                        alphas_cumprod=None, timestep=t.flatten(0, 1), flow_pred=flow_pred)
    loss.backward()
    return {"x": x, "noise": noise, "timestep": t, "xt": xt, "flow": v.detach(), "x0": x0.unflatten(0, (b, f)),
            "loss": loss.detach().reshape(1), "dloss_dflow": v.grad}, {}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "src", "test", "resources", "golden"))
    args = ap.parse_args()
    refenv.install(os.environ.get("LONGLIVE_REF", "/tmp/ref"))
    out = os.path.join(args.out, "train")
    os.makedirs(out, exist_ok=True)
    cases = {"optim_beta0": lambda: optim_case((0.0, 0.999), 700),
             "optim_beta09": lambda: optim_case((0.9, 0.999), 701),
             "dmd": lambda: dmd_case(702), "flow": lambda: flow_case(703), "critic": lambda: critic_case(704)}
    for name, fn in cases.items():
        tensors, meta = fn()
        meta = dict(meta, format="1", case=name)
        st.save(os.path.join(out, name + ".safetensors"), {k: v.contiguous() for k, v in tensors.items()}, meta)
        loss = tensors.get("loss")
        print(f"{name}: {len(tensors)} tensors" + (f", loss {float(loss[0]):.6g}" if loss is not None else ""))


if __name__ == "__main__":
    main()
