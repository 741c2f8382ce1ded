#!/usr/bin/env bash
# Late days cost what they hold (issue 17, defect 3): one generated day of
# SOURCES sources, replayed alone and then followed by a record of the next
# day (which closes the day) and STRAYS stray records dated to the STRAYS
# days before it (newest first: every one opens a late day). Prints each run's wall time and peak
# anonymous memory (RssAnon sampled every 20 ms) and checks the runs'
# unique sources and days against the generator's ground truth; fails when
# the strays add more than a quarter to the peak.
#
#   tools/bench/late-days.sh                  # 400 k sources, 150 strays
#   SOURCES=1000000 STRAYS=60 tools/bench/late-days.sh
#   BIN=/path/to/an/older/darkscope tools/bench/late-days.sh
#
# Work files: tools/bench/work/late-days/.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/peak-rss.sh
SOURCES=${SOURCES:-400000}
STRAYS=${STRAYS:-150}
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/darkscope
fi
work=tools/bench/work/late-days
mkdir -p "$work"
day=$work/day-$SOURCES.pcap
strays=$work/day-$SOURCES-strays-$STRAYS.pcap
[ -f "$day" ] || "$BIN" generate --out "$day" --packets $((2 * SOURCES)) --sources "$SOURCES" --days 1 \
    --start 2024-06-01 >/dev/null
[ -f "$strays" ] || python3 tools/bench/late_strays.py "$day" "$strays" "$STRAYS"
truth=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['unique_sources'])" "$day.truth.json")

run() { # capture, expected unique sources, expected days
    cat "$1" >/dev/null # into the page cache
    local start end
    start=$(date +%s.%N)
    "$BIN" replay "$1" --darknet 198.18.0.0/16 -q --summary-json "$work/summary.json" &
    peak_rss_anon $!
    end=$(date +%s.%N)
    read -r sources days < <(python3 -c "import json,sys; v = json.load(open(sys.argv[1])); print(v['unique_sources'], len(v['days']))" "$work/summary.json")
    awk -v f="$(basename "$1")" -v s="$start" -v e="$end" -v kb="$PEAK" -v u="$sources" -v d="$days" \
        'BEGIN {printf "%-40s %6.2f s  peak RssAnon %7.1f MiB  %d sources, %d days\n", f, e - s, kb / 1024, u, d}'
    [ "$sources" = "$2" ] && [ "$days" = "$3" ] || { echo "late-days.sh: expected $2 sources and $3 days" >&2; exit 1; }
}
echo "$BIN, $(nproc) CPUs, $(date -u +%F)"
run "$day" "$truth" 1
alone=$PEAK
run "$strays" $((truth + STRAYS + 1)) $((STRAYS + 2))
# The strays hold a few hundred bytes each: allow a quarter more for noise.
[ "$PEAK" -le $((alone * 5 / 4)) ] || { echo "late-days.sh: the late days took $PEAK KiB, the day alone $alone KiB" >&2; exit 1; }
