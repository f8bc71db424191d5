#!/usr/bin/env bash
# The paper's claims at this project's scale (docs/training-stages.md, "The paper's claims"):
#   tools/train/claims.sh MODEL_LONG MODEL_NO_LONG OUT_DIR [SCRIPTS] [SECONDS] [DRIFT_SECONDS] [DRIFT_SEED]
# MODEL_LONG: a model after streaming long tuning (train long); MODEL_NO_LONG: the same before it (train dmd).
# Held-out scripts: `world script` seeds 5.. (small integers are never training scripts). Every video goes through
# `generate` and `eval`; the tables are printed and written to OUT_DIR/claims.json. A rerun keeps what is scored.
# DRIFT_SEED picks the one-prompt drift script (`world script --seed`): 100 (the default) is a small violet star on
# black, 102 a huge turquoise star on sliding stripes — drift can only be measured on an object the model draws.
# The drift videos go through tools/train/drift.sh into OUT_DIR/drift-long/ and OUT_DIR/drift-nolong/ (DRIFT_SECONDS
# >= 120); for drift over four scripts instead of one, run drift.sh itself.
set -euo pipefail
long="${1:?usage: claims.sh MODEL_LONG MODEL_NO_LONG OUT_DIR [SCRIPTS] [SECONDS] [DRIFT_SECONDS] [DRIFT_SEED]}"
nolong="${2:?}"; out="${3:?}"; n="${4:-3}"; secs="${5:-20}"; drift="${6:-600}"; dseed="${7:-100}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; ll="$here/longlive"
mkdir -p "$out"
"$ll" world script -o "$out/heldout.jsonl" --seed 5 --count "$n" --length "$secs" --segments 4 --max-objects 1 >/dev/null
run() { # name model script line extra-args...
  local name=$1 model=$2 script=$3 line=$4; shift 4
  [ -f "$out/$name.json" ] && return 0      # scored by an earlier run into the same OUT_DIR
  "$ll" generate --model "$model" --script "$script" --line "$line" --seed "$line" --out "$out/$name.mp4" --quiet "$@" \
    2> "$out/$name.log"
  "$ll" eval "$out/$name.mp4" --script "$script" --line "$line" --json "$out/$name.json" --html "$out/$name.html" \
    > /dev/null 2>&1
}
for i in $(seq 1 "$n"); do
  for mode in RECACHE KEEP CLEAR; do run "switch-$mode-$i" "$long" "$out/heldout.jsonl" "$i" --switch-mode "$mode"; done
  run "attn-sink-$i" "$long" "$out/heldout.jsonl" "$i"
  run "attn-nosink-$i" "$long" "$out/heldout.jsonl" "$i" --sink 0
  run "attn-global-$i" "$long" "$out/heldout.jsonl" "$i" --window -1
done
# drift: one script (DRIFT_SEED, noise seed 1) per model through drift.sh, which scores every minute
"$here/tools/train/drift.sh" "$long" "$out/drift-long" 1 "$drift" "$dseed" > /dev/null
"$here/tools/train/drift.sh" "$nolong" "$out/drift-nolong" 1 "$drift" "$dseed" > /dev/null
python3 - "$out" "$n" <<'PY'
import json, re, sys
out, n = sys.argv[1], int(sys.argv[2])
def ev(name): return json.load(open(f"{out}/{name}.json"))
def fps(name):
    m = re.search(r"\(([0-9.]+) frames/s", open(f"{out}/{name}.log").read()); return float(m.group(1)) if m else float("nan")
def mean(xs): xs = [x for x in xs if x == x]; return sum(xs) / len(xs) if xs else float("nan")
res = {}
print("switch mode | adherence | frames to new attributes | max jump | subject consistency")
for mode in ["RECACHE", "KEEP", "CLEAR"]:
    e = [ev(f"switch-{mode}-{i}")["summary"] for i in range(1, n + 1)]
    r = dict(adherence=mean([x["adherence"] for x in e]), latency=mean([x["meanSwitchLatency"] for x in e]),
             jump=mean([x["maxSwitchJump"] for x in e]), consistency=mean([x["subjectConsistency"] for x in e]))
    res["switch_" + mode] = r
    print(f"{mode} | {r['adherence']:.3f} | {r['latency']:.1f} | {r['jump']:.3f} | {r['consistency']:.3f}")
print("attention | adherence | sharpness | noise | subject consistency | background consistency | frames/s")
for name, label in [("sink", "window + sink"), ("nosink", "window alone"), ("global", "global (long window)")]:
    e = [ev(f"attn-{name}-{i}")["summary"] for i in range(1, n + 1)]
    r = dict(adherence=mean([x["adherence"] for x in e]), sharpness=mean([x["sharpness"] for x in e]),
             noise=mean([x["noise"] for x in e]), subject=mean([x["subjectConsistency"] for x in e]),
             background=mean([x["backgroundConsistency"] for x in e]), fps=mean([fps(f"attn-{name}-{i}") for i in range(1, n + 1)]))
    res["attention_" + name] = r
    print(f"{label} | {r['adherence']:.3f} | {r['sharpness']:.3f} | {r['noise']:.2f} | {r['subject']:.3f} | {r['background']:.3f} | {r['fps']:.1f}")
print("long tuning | adherence first minute | last minute | sharpness first | last | frozen frames")
for name in ["long", "nolong"]:
    r = json.load(open(f"{out}/drift-{name}/drift.json"))["mean"]    # written by drift.sh
    res["drift_" + name] = r
    print(f"{'with' if name == 'long' else 'without'} | {r['adh_first']:.3f} | {r['adh_last']:.3f} | {r['sharp_first']:.3f} | {r['sharp_last']:.3f} | {r['frozen']}")
json.dump(res, open(f"{out}/claims.json", "w"), indent=1)
PY
