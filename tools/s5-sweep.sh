#!/usr/bin/env bash
# §5 items 1–3: how often D7, D8 and D13 happen per boot of the merged code
# (L6) as CPUs and memory grow.  Free backend (real threads), DEFERRED
# page_ext (§2.6: the only mode with concurrency), a workload whose
# secondary CPUs keep allocating and freeing (early pages too) while
# page_ext_init() runs.  Prints a Markdown table of means over SEEDS boots.
#   usage: tools/s5-sweep.sh [BOOTSIM] [SEEDS]
set -euo pipefail
bootsim=${1:-build/sim/bootsim}
seeds=${2:-5}
echo "| CPUs | memory | D7: tags overwritten by CLEAR | D8: WARNs in the window | D13: tracking pages leaked | boots |"
echo "|---:|---:|---:|---:|---:|---:|"
for cpus in 2 8 32 128; do
	for mem in 1G 16G 256G; do
		for seed in $(seq 1 "$seeds"); do
			"$bootsim" boot --cpus "$cpus" --mem "$mem" --page-ext deferred \
				--early-free-pct 30 --churn-free-pct 30 --churn-ops 2000 \
				--seed "$seed" --json --quiet 2>/dev/null || [ $? -eq 1 ]
		done | python3 -c '
import json, sys
d7 = d8 = d13 = n = 0
dec = json.JSONDecoder()
text = sys.stdin.read()
i = 0
while i < len(text):
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    d, i = dec.raw_decode(text, i)
    e = d["early"]
    d7 += e["clear_overwrote_tag"]
    d8 += sum(w["count"] for w in d["warnings"] if w["text"].startswith("alloc_tag was not set"))
    d13 += e["tracking_pages_accounted_at_free"]
    n += 1
print(f"| {sys.argv[1]} | {sys.argv[2]} | {d7/n:.2f} | {d8/n:.1f} | {d13/n:.2f} | {n} |")
' "$cpus" "$mem"
	done
done
