#!/usr/bin/python3
"""Writes src/test/resources/text/relative_buckets.txt: the reference T5RelativeEmbedding._relative_position_bucket
(bidirectional, max_dist 128) for num_buckets 32 (umT5-XXL), 16 and 8 at relative positions -700..700, so the
Java buckets are tested over the whole range a 512-token prompt reaches (the golden t5 cases only reach +-23).

Usage: LONGLIVE_REF=/tmp/ref /usr/bin/python3 tools/tokenizer/make_bucket_fixture.py   (an exported v1.0 tree, as
for tools/golden; needs python3-torch). The module is executed without its tokenizer import and with the
CUDA default device replaced by the CPU (T5EncoderModel's default argument calls torch.cuda at import).
"""
import os

import torch

ref = os.environ.get('LONGLIVE_REF', '/tmp/ref')
src = open(os.path.join(ref, 'wan', 'modules', 't5.py')).read()
src = src.replace('from .tokenizers import HuggingfaceTokenizer', '').replace(
    'device=torch.cuda.current_device(),', "device='cpu',")
g = {}
exec(compile(src, 't5.py', 'exec'), g)
lines = ['# num_buckets, then the bucket of each relative position (key - query) from -700 to 700']
for nb in (32, 16, 8):
    b = g['T5RelativeEmbedding'](nb, 1, bidirectional=True)._relative_position_bucket(torch.arange(-700, 701))
    lines.append(f'{nb} ' + ' '.join(str(int(x)) for x in b))
out = os.path.join(os.path.dirname(__file__), '..', '..', 'src', 'test', 'resources', 'text', 'relative_buckets.txt')
with open(out, 'w') as f:
    f.write('\n'.join(lines) + '\n')
print('wrote', os.path.normpath(out))
