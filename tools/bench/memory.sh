#!/usr/bin/env bash
# A telescope-scale day (issue 4): one `darkscope generate` day with
# SOURCES distinct sources, replayed into a store. Prints the wall time, the
# peak anonymous memory (RssAnon, sampled from /proc/PID/status every 20 ms:
# the mapped input file does not count) and checks the run's unique sources
# against the generator's ground truth and DuckDB's count(distinct source)
# over the stored table (when .venv has DuckDB: see tests/requirements.txt).
#
#   tools/bench/memory.sh                        # 12 M packets, 10 M sources
#   PACKETS=3000000 SOURCES=2500000 tools/bench/memory.sh
#
# Work files: tools/bench/work/ (the capture is kept between runs).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/peak-rss.sh
PACKETS=${PACKETS:-12000000}
SOURCES=${SOURCES:-10000000}
THREADS=${THREADS:-2}
work=tools/bench/work/memory
mkdir -p "$work"
cargo build --release --quiet
bin=target/release/darkscope
capture=$work/day-$SOURCES.pcap
[ -f "$capture" ] || "$bin" generate --out "$capture" --packets "$PACKETS" --sources "$SOURCES" --days 1 >/dev/null
cat "$capture" >/dev/null # into the page cache
rm -rf "$work/store"

start=$(date +%s.%N)
"$bin" replay "$capture" --darknet 198.18.0.0/16 -q --threads "$THREADS" \
    --store "$work/store" --sensor bench --summary-json "$work/summary.json" &
peak_rss_anon $!
peak=$PEAK
end=$(date +%s.%N)

got=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['unique_sources'])" "$work/summary.json")
want=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['summary']['unique_sources'])" "$capture.truth.json")
echo "capture:        $capture ($PACKETS packets, $SOURCES sources, one day)"
awk -v s="$start" -v e="$end" 'BEGIN {printf "wall:           %.1f s (replay --store, --threads '"$THREADS"')\n", e - s}'
awk -v kb="$peak" -v n="$SOURCES" 'BEGIN {printf "peak RssAnon:   %.2f GiB (%.0f bytes per source)\n", kb / 1048576, kb * 1024 / n}'
echo "unique sources: $got (truth: $want)"
if [ -x .venv/bin/python ] && .venv/bin/python -c "import duckdb" 2>/dev/null; then
    stored=$(.venv/bin/python -c "import duckdb,sys; db = duckdb.connect(); db.execute('set enable_progress_bar = false'); print(db.sql(f\"select count(distinct source) from read_parquet('{sys.argv[1]}/sources/*/*.parquet')\").fetchall()[0][0])" "$work/store")
    echo "DuckDB:         $stored distinct sources in the stored table"
    [ "$stored" = "$want" ] || { echo "memory.sh: DuckDB's count differs from the truth" >&2; exit 1; }
fi
[ "$got" = "$want" ] || { echo "memory.sh: unique sources differ from the truth" >&2; exit 1; }
