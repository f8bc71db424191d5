#!/usr/bin/env bash
# Drift over long single-prompt videos (issue 7's "10 minutes: the last minute within 5 % of the first, no freezing"):
#   tools/train/drift.sh MODEL OUT_DIR [SCRIPTS] [SECONDS] [SEED]
# The scripts are `world script --seed SEED --count SCRIPTS --length SECONDS --segments 1 --max-objects 1` (default
# 4 × 600 s from seed 101, the set docs/training-stages.md reports on); script i is generated with noise seed i.
# Per script it prints the first and the last minute's adherence and sharpness, every minute's adherence, and the
# frozen frames; then the means over the scripts. One script is not enough: on the shipped model single minutes of one
# video move by up to ±13 % around its mean, which is more than the 5 % the target allows.
# A rerun keeps what is scored, so OUT_DIR must be new (or emptied) when MODEL changes. Writes OUT_DIR/drift.json.
set -euo pipefail
model="${1:?usage: drift.sh MODEL OUT_DIR [SCRIPTS] [SECONDS] [SEED]}"; out="${2:?}"
n="${3:-4}"; secs="${4:-600}"; seed="${5:-101}"
for v in "$n" "$secs" "$seed"; do
  [[ "$v" =~ ^[0-9]+$ ]] || { echo "drift.sh: SCRIPTS, SECONDS and SEED must be non-negative integers, got '$v'" >&2; exit 2; }
done
[ "$n" -ge 1 ] || { echo "drift.sh: SCRIPTS must be at least 1" >&2; exit 2; }
[ "$secs" -ge 120 ] || { echo "drift.sh: SECONDS must be at least 120 (a first and a last minute), got $secs" >&2; exit 2; }
[ -d "$model" ] || { echo "drift.sh: no model directory $model" >&2; exit 2; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"; ll="$here/longlive"
mkdir -p "$out"
script="$out/drift.jsonl"
"$ll" world script -o "$script" --seed "$seed" --count "$n" --length "$secs" --segments 1 --max-objects 1 >/dev/null
for i in $(seq 1 "$n"); do
  [ -f "$out/drift-$i.json" ] && continue     # scored by an earlier run into the same OUT_DIR
  "$ll" generate --model "$model" --script "$script" --line "$i" --seed "$i" --out "$out/drift-$i.mp4" --quiet \
    2> "$out/drift-$i.log"
  "$ll" eval "$out/drift-$i.mp4" --script "$script" --line "$i" --json "$out/drift-$i.json" > /dev/null 2>&1
done
python3 - "$out" "$n" <<'PY'
import json, sys
out, n = sys.argv[1], int(sys.argv[2])
def mean(xs):
    xs = [x for x in xs if x is not None and x == x]
    return sum(xs) / len(xs) if xs else float("nan")
def change(a, b): return 100 * (b / a - 1) if a else float("nan")
rows = []
print("script | adherence first minute | last minute | change | sharpness first | last | change | frozen | adherence per minute")
print("---|---:|---:|---:|---:|---:|---:|---:|---")
for i in range(1, n + 1):
    d = json.load(open(f"{out}/drift-{i}.json"))
    a = d["drift"]["adherence"]["bins"]
    s = d["drift"].get("sharpness", {}).get("bins", [])     # absent when no object was ever found
    k = max(1, int(60 / d["drift"]["adherence"]["binSeconds"]))
    r = dict(adh_first=mean(a[:k]), adh_last=mean(a[-k:]), sharp_first=mean(s[:k]), sharp_last=mean(s[-k:]),
             frozen=d["summary"]["frozenFrames"], minutes=[mean(a[j:j + k]) for j in range(0, len(a), k)])
    rows.append(r)
    print(f"{i} | {r['adh_first']:.3f} | {r['adh_last']:.3f} | {change(r['adh_first'], r['adh_last']):+.1f} % | "
          f"{r['sharp_first']:.3f} | {r['sharp_last']:.3f} | {change(r['sharp_first'], r['sharp_last']):+.1f} % | "
          f"{r['frozen']} | " + " ".join(f"{m:.3f}" for m in r["minutes"]))
m = {key: mean([r[key] for r in rows]) for key in ["adh_first", "adh_last", "sharp_first", "sharp_last"]}
m["frozen"] = sum(r["frozen"] for r in rows)
within = sum(1 for r in rows if abs(change(r["adh_first"], r["adh_last"])) <= 5)
print(f"mean | {m['adh_first']:.3f} | {m['adh_last']:.3f} | {change(m['adh_first'], m['adh_last']):+.1f} % | "
      f"{m['sharp_first']:.3f} | {m['sharp_last']:.3f} | {change(m['sharp_first'], m['sharp_last']):+.1f} % | "
      f"{m['frozen']} | adherence within 5 % on {within} of {n} scripts")
json.dump(dict(scripts=rows, mean=m, within_5_percent=within), open(f"{out}/drift.json", "w"), indent=1)
PY
