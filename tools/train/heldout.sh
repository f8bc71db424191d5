#!/usr/bin/env bash
# A model's adherence on held-out switching scripts, beside the two ceilings every model lives under:
#   tools/train/heldout.sh MODEL OUT_DIR [SCRIPTS] [SECONDS]
# The scripts are `world script --seed 5 --count SCRIPTS --length SECONDS --segments 4 --max-objects 1` (default 8 × 20 s,
# the set docs/training-stages.md reports on; small seeds are never training scripts). Three videos per script:
#   truth  the script's ground-truth render (what the detector in `eval` scores a perfect video at),
#   vae    that render encoded and decoded by MODEL's VAE (`train vae-check`): no generator can beat its VAE,
#   model  MODEL generating the script with the KV-recache at every switch (the shipped behaviour).
# Each goes through `eval`; the table gives the mean adherence and the mean per attribute. A rerun keeps what is scored,
# so OUT_DIR must be new (or emptied) when MODEL changes. Script i is generated with noise seed i + SEED_OFFSET
# (default 0): another offset measures how much of a score is the draw of the noise.
set -euo pipefail
model="${1:?usage: heldout.sh MODEL OUT_DIR [SCRIPTS] [SECONDS]}"; out="${2:?}"; n="${3:-8}"; secs="${4:-20}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; ll="$here/longlive"
mkdir -p "$out"
script="$out/heldout.jsonl"
"$ll" world script -o "$script" --seed 5 --count "$n" --length "$secs" --segments 4 --max-objects 1 >/dev/null
score() { # name line
  "$ll" eval "$out/$1.mp4" --script "$script" --line "$2" --json "$out/$1.json" > /dev/null 2>&1
}
for i in $(seq 1 "$n"); do
  if [ ! -f "$out/truth-$i.json" ]; then
    "$ll" world render "$script" --line "$i" --size 64 -o "$out/truth-$i.mp4" > /dev/null 2>&1; score "truth-$i" "$i"
  fi
  if [ ! -f "$out/vae-$i.json" ]; then
    "$ll" train vae-check "$script" --line "$i" --vae "$model" -o "$out/vae-$i.mp4" > "$out/vae-$i.log" 2>&1
    score "vae-$i" "$i"
  fi
  if [ ! -f "$out/model-$i.json" ]; then
    "$ll" generate --model "$model" --script "$script" --line "$i" --seed "$((i + ${SEED_OFFSET:-0}))" --out "$out/model-$i.mp4" --quiet \
      2> "$out/model-$i.log"
    score "model-$i" "$i"
  fi
done
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
attrs = ["color", "shape", "size", "motion", "background", "count"]
def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None
res = {}
print("video | adherence | " + " | ".join(attrs) + " | per script")
print("---|---:|" + "---:|" * len(attrs) + "---")
for kind in ["truth", "vae", "model"]:
    sums = [json.load(open(f"{out}/{kind}-{i}.json"))["summary"] for i in range(1, n + 1)]
    row = {"adherence": mean([s["adherence"] for s in sums]),
           "by_attribute": {a: mean([s["adherenceByAttribute"].get(a) for s in sums]) for a in attrs},
           "per_script": [s["adherence"] for s in sums]}
    res[kind] = row
    cells = " | ".join("–" if row["by_attribute"][a] is None else f"{row['by_attribute'][a]:.2f}" for a in attrs)
    print(f"{kind} | {row['adherence']:.3f} | {cells} | " + " / ".join(f"{x:.2f}" for x in row["per_script"]))
json.dump(res, open(f"{out}/heldout.json", "w"), indent=1)
PY
