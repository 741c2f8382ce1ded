#!/usr/bin/env bash
# The --alerts reading rate: 1 M Suricata EVE alerts (and 100 k flow events
# skipped), every alert from a new random source (the worst case for the
# counting tables), beside a capture of 100 packets. Usage:
#   tools/bench/alerts.sh            # needs hyperfine and python3
set -euo pipefail
cd "$(dirname "$0")/../.."
work=tools/bench/work
mkdir -p "$work"
cargo build --release --quiet
[ -f "$work/eve1m.json" ] || python3 tools/bench/eve.py 1000000 "$work/eve1m.json"
[ -f "$work/tiny.pcap" ] || target/release/darkscope generate --out "$work/tiny.pcap" --packets 100 --days 1 --sources 10 >/dev/null
hyperfine -N --warmup 1 --runs 5 \
    "target/release/darkscope replay $work/tiny.pcap --darknet 198.18.0.0/16 -q" \
    "target/release/darkscope replay $work/tiny.pcap --darknet 198.18.0.0/16 --alerts $work/eve1m.json -q"
