#!/usr/bin/python3
"""Writes src/test/resources/text/umt5_tiny_bf16.pth: the golden t5/per_layer_pos weights saved the way Wan ships
models_t5_umt5-xxl-enc-bf16.pth (torch.save of the T5Encoder state dict in bfloat16, zip format), so the Java
loader's pickle + bf16 path is tested on a real torch file.

Usage (Debian: apt-get install -y python3-torch):  cd /work/main && /usr/bin/python3 tools/tokenizer/make_pth_fixture.py
"""
import os
import sys

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'golden'))
import safetensors_io as st  # noqa: E402

ROOT = os.path.join(HERE, '..', '..', 'src')
src = os.path.join(ROOT, 'test', 'resources', 'golden', 't5', 'per_layer_pos', 't5.safetensors')
out = os.path.join(ROOT, 'test', 'resources', 'text', 'umt5_tiny_bf16.pth')
tensors = st.load(src)
sd = {k: v.to(torch.bfloat16).contiguous() for k, v in tensors.items()}
torch.save(sd, out)
print(f'{len(sd)} tensors -> {os.path.normpath(out)} ({os.path.getsize(out)} bytes)')
