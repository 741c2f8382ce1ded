#!/usr/bin/env bash
# Hostile floods (issue 15): what crafted keys and a spoofed-source flood do
# to a replay. (1) PACKETS SYNs from 65,536 sources crafted to collide in a
# table hashed on an address's low bits (all share their low 16 bits),
# against the same from 65,536 spread-out sources, timed with hyperfine
# (--threads 1 and 2): darkscope's tables hash with a per-run random seed
# (foldhash), so the ratio should be near 1. (2) FLOOD SYNs in one day,
# each from its own random IPv6 source: wall time and peak anonymous memory
# (RssAnon every 20 ms), without and with --store, and the unique sources
# the summary reports (they must equal FLOOD).
#
#   tools/bench/floods.sh                       # 10 M and 20 M packets
#   PACKETS=2000000 FLOOD=5000000 tools/bench/floods.sh
#
# Work files: tools/bench/work/floods/ (about 2.5 GB at the defaults).
set -euo pipefail
cd "$(dirname "$0")/../.."
. tools/bench/peak-rss.sh
PACKETS=${PACKETS:-10000000}
FLOOD=${FLOOD:-20000000}
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=target/release/darkscope
fi
work=tools/bench/work/floods
mkdir -p "$work"
for mode in colliding random4; do
    [ -f "$work/$mode-$PACKETS.pcap" ] || python3 tools/bench/flood.py "$work/$mode-$PACKETS.pcap" "$PACKETS" "$mode"
done
[ -f "$work/random6-$FLOOD.pcap" ] || python3 tools/bench/flood.py "$work/random6-$FLOOD.pcap" "$FLOOD" random6

echo "== crafted colliding sources vs spread-out ones, $PACKETS packets, 65,536 sources each"
for threads in 1 2; do
    hyperfine --warmup 1 --runs 5 -N \
        -n "colliding --threads $threads" \
        "$BIN replay $work/colliding-$PACKETS.pcap --darknet 198.18.0.0/15 --threads $threads -q" \
        -n "spread --threads $threads" \
        "$BIN replay $work/random4-$PACKETS.pcap --darknet 198.18.0.0/15 --threads $threads -q"
done

echo "== a spoofed-source flood: $FLOOD SYNs in a day, each from its own random IPv6 source"
for store in "" "--store $work/store"; do
    rm -rf "$work/store"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$BIN" replay "$work/random6-$FLOOD.pcap" --darknet 2001:db8::/32 $store --summary-json "$work/summary.json" \
        -q >/dev/null 2>&1 &
    peak_rss_anon $!
    end=$(date +%s.%N)
    sources=$(python3 -c "import json; print(json.load(open('$work/summary.json'))['unique_sources'])")
    printf 'replay %-28s %6.1f s  peak RssAnon %6d MiB  %5.0f bytes per source  unique sources %s\n' \
        "${store:-(no store)}" "$(echo "$end - $start" | bc)" $((PEAK / 1024)) \
        "$(echo "$PEAK * 1024 / $FLOOD" | bc)" "$sources"
    [ "$sources" = "$FLOOD" ] || { echo "floods: $sources unique sources, not $FLOOD" >&2; exit 1; }
done
