#!/usr/bin/env bash
# Training throughput at 1 vs 2 threads, side by side on the same inputs (README, "Training throughput").
#   tools/train/threads-bench.sh WORK_DIR        (~4 minutes on 2 cores; quality of the tiny runs is irrelevant)
set -euo pipefail
work="${1:?usage: threads-bench.sh WORK_DIR}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; ll="$here/longlive"
mkdir -p "$work"
for t in 1 2; do
  echo "== train vae, $t thread(s): s/step over steps 21-40"
  "$ll" train vae --out "$work/vae$t" --crop 32 --batch 4 --chroma-weight 2 --steps 40 --log-every 20 --save-every 1000 \
    --eval-clips 2 --stats-clips 2 --threads "$t" 2>&1 | grep -E "step +40/"
done
for t in 1 2; do
  echo "== train teacher, $t thread(s): encoding 128 clips, then steps/s"
  "$ll" train teacher --vae "$work/vae1" -o "$work/teacher$t" --clips 128 --eval-clips 2 --steps 400 --print-every 200 \
    --checkpoint-every 100000 --threads "$t" 2>&1 | grep -E "encoded 128|step 400"
done
for t in 1 2; do
  echo "== train ode, $t thread(s): 16 teacher trajectories"
  "$ll" train ode --teacher "$work/teacher1/teacher" -o "$work/ode$t" --pairs 16 --steps 1 --print-every 1 \
    --checkpoint-every 100000 --threads "$t" 2>&1 | grep -E "ode pairs: 16/16"
done
