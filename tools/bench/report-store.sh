#!/usr/bin/env bash
# Benchmark of `darkscope report` at telescope scale (issue 3): a store of
# DAYS days (default 30) with SOURCES distinct sources per day (default
# 1,000,000), built by generating one capture per day (`darkscope generate`,
# a different seed each day, so sources partly recur) and replaying each into
# one store; then the report over the whole period, timed with hyperfine
# (or /usr/bin/time when hyperfine is missing), peak RSS from /usr/bin/time.
#
#   tools/bench/report-store.sh            # 30 days × 1 M sources
#   DAYS=7 SOURCES=200000 tools/bench/report-store.sh
#
# Work files go to tools/bench/work/ (ignored by git); the store is kept
# between runs (delete tools/bench/work/report-store to rebuild it).
set -euo pipefail
cd "$(dirname "$0")/../.."
DAYS=${DAYS:-30}
SOURCES=${SOURCES:-1000000}
PACKETS=${PACKETS:-$((SOURCES * 5 / 2))}
work=tools/bench/work/report-store-${DAYS}d-${SOURCES}
store=$work/store
bin=target/release/darkscope
cargo build --release --quiet
mkdir -p "$work"

if [ ! -d "$store/manifest.d" ] && [ ! -f "$store/manifest.json" ] || [ "$(ls "$store/coverage" 2>/dev/null | wc -l)" -lt "$DAYS" ]; then
    echo "building the store: $DAYS days × $SOURCES sources ($PACKETS packets a day)" >&2
    for i in $(seq 0 $((DAYS - 1))); do
        day=$(date -u -d "2024-01-01 + $i days" +%F)
        capture=$work/$day.pcap.zst
        [ -f "$capture" ] || "$bin" generate --out "$capture" --packets "$PACKETS" --sources "$SOURCES" \
            --days 1 --seed $((i + 1)) --start "$day" >/dev/null 2>&1
        "$bin" replay "$capture" --darknet 198.18.0.0/16 --store "$store" --sensor bench -q
        rm -f "$capture"
        echo "  $day stored" >&2
    done
fi
du -sh "$store" >&2

report=("$bin" report --store "$store" --format json --out "$work/report.json")
if command -v hyperfine >/dev/null 2>&1; then
    hyperfine --warmup 1 --runs "${RUNS:-3}" --export-markdown "$work/report-timing.md" "${report[*]}"
else
    for _ in 1 2 3; do /usr/bin/time -f "%e s" "${report[@]}"; done
fi
/usr/bin/time -f "peak RSS %M KB, %e s wall, %U s user, %S s system" "${report[@]}"
