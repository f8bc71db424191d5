#!/usr/bin/env bash
# A model's adherence on held-out switching scripts, beside the two ceilings every model lives under:
#   tools/train/heldout.sh MODEL OUT_DIR [SCRIPTS] [SECONDS]
# The scripts are `world script --seed 5 --count SCRIPTS --length SECONDS --segments 4 --max-objects 1` (default 8 × 20 s,
# the set docs/training-stages.md reports on; small seeds are never training scripts). Three videos per script:
#   truth  the script's ground-truth render (what the detector in `eval` scores a perfect video at),
#   vae    that render encoded and decoded by MODEL's VAE (`train vae-check`): no generator can beat its VAE,
#   model  MODEL generating the script with the KV-recache at every switch (the shipped behaviour), once per draw.
# Each goes through `eval`; the table gives the mean adherence and the mean per attribute, per draw and over the draws.
# SIZE (default 64) is the frame size of the truth and vae videos: set it to the model's own (model.json) when that
# is not 64 (the model videos always come out at the model's size).
# A rerun keeps what is scored, so OUT_DIR must be new (or emptied) when MODEL changes.
# Draws: script i is generated with noise seed i + offset, for each offset in SEED_OFFSETS (default "0 100 200";
# SEED_OFFSET=k alone means the one draw k). The draw moves the eight-script mean by up to 0.04
# (docs/training-stages.md, "How much of a score is the noise"), so models are compared on the mean of three.
set -euo pipefail
model="${1:?usage: heldout.sh MODEL OUT_DIR [SCRIPTS] [SECONDS]}"; out="${2:?}"; n="${3:-8}"; secs="${4:-20}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; ll="$here/longlive"
offsets="${SEED_OFFSETS:-${SEED_OFFSET:-0 100 200}}"
size="${SIZE:-64}"
[[ "$size" =~ ^[0-9]+$ ]] && [ $((size % 8)) -eq 0 ] || { echo "heldout.sh: SIZE must be a multiple of 8, got '$size'" >&2; exit 2; }
for o in $offsets; do
  [[ "$o" =~ ^[0-9]+$ ]] || { echo "heldout.sh: SEED_OFFSETS must be non-negative integers, got '$o'" >&2; exit 2; }
done
mkdir -p "$out"
script="$out/heldout.jsonl"
"$ll" world script -o "$script" --seed 5 --count "$n" --length "$secs" --segments 4 --max-objects 1 >/dev/null
score() { # name line
  "$ll" eval "$out/$1.mp4" --script "$script" --line "$2" --json "$out/$1.json" > /dev/null 2>&1
}
for i in $(seq 1 "$n"); do
  if [ ! -f "$out/truth-$i.json" ]; then
    "$ll" world render "$script" --line "$i" --size "$size" -o "$out/truth-$i.mp4" > /dev/null 2>&1; score "truth-$i" "$i"
  fi
  if [ ! -f "$out/vae-$i.json" ]; then
    "$ll" train vae-check "$script" --line "$i" --vae "$model" --size "$size" -o "$out/vae-$i.mp4" > "$out/vae-$i.log" 2>&1
    score "vae-$i" "$i"
  fi
  for o in $offsets; do
    v="model-s$o-$i"  # the summary below reads these names
    if [ ! -f "$out/$v.json" ]; then
      "$ll" generate --model "$model" --script "$script" --line "$i" --seed "$((i + o))" --out "$out/$v.mp4" --quiet \
        2> "$out/$v.log"
      score "$v" "$i"
    fi
  done
done
python3 - "$out" "$n" $offsets <<'PY'
import json, sys
out, n, offsets = sys.argv[1], int(sys.argv[2]), [int(o) for o in sys.argv[3:]]
attrs = ["color", "shape", "size", "motion", "background", "count"]
def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None
res = {}
print("video | adherence | " + " | ".join(attrs) + " | per script")
print("---|---:|" + "---:|" * len(attrs) + "---")
def stem(o, i):  # the videos' names above
    return f"model-s{o}-{i}"
def table_row(label, sums, per_script=None):
    row = {"adherence": mean([s["adherence"] for s in sums]),
           "by_attribute": {a: mean([s["adherenceByAttribute"].get(a) for s in sums]) for a in attrs},
           "per_script": per_script or [s["adherence"] for s in sums]}
    cells = " | ".join("–" if row["by_attribute"][a] is None else f"{row['by_attribute'][a]:.2f}" for a in attrs)
    print(f"{label} | {row['adherence']:.3f} | {cells} | " + " / ".join(f"{x:.2f}" for x in row["per_script"]))
    return row
def load(name):
    return json.load(open(f"{out}/{name}.json"))["summary"]
for kind in ["truth", "vae"]:
    res[kind] = table_row(kind, [load(f"{kind}-{i}") for i in range(1, n + 1)])
draws = {}
for o in offsets:
    label = "model" if len(offsets) == 1 else f"model, seeds {1 + o}–{n + o}"
    draws[str(o)] = table_row(label, [load(stem(o, i)) for i in range(1, n + 1)])
if len(offsets) > 1:
    # every script on every draw weighs the same, so this is the mean of the draws' means
    res["model"] = table_row(f"model, mean of {len(offsets)} draws",
                             [load(stem(o, i)) for o in offsets for i in range(1, n + 1)],
                             [mean([load(stem(o, i))["adherence"] for o in offsets]) for i in range(1, n + 1)])
    res["model"]["per_draw"] = {o: d["adherence"] for o, d in draws.items()}
else:
    res["model"] = draws[str(offsets[0])]
res["seed_offsets"] = offsets
json.dump(res, open(f"{out}/heldout.json", "w"), indent=1)
PY
