#!/usr/bin/env bash
# A long run of `darkscope capture` (issue 12): the veth pair of
# capture-ramp.sh, tcpreplay sending 60-byte frames at RATE packets/s for
# SECS seconds (looping tools/bench/frames60.py's million frames, 50,000
# sources: the day's tables stop growing after the first pass). Samples the
# daemon's RssAnon every second (/proc/PID/status) and prints it over
# time; then the packets sent and stored, libpcap's drops, and each flush's
# interval and duration (from the daemon's debug log).
#
#   tools/bench/capture-soak.sh                    # 350,000 packets/s for 10 minutes
#   RATE=100000 SECS=60 FLUSH=5 tools/bench/capture-soak.sh
#
# Work files: tools/bench/work/soak/. Needs root, tcpreplay and iproute2.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATE=${RATE:-350000}
SECS=${SECS:-600}
FLUSH=${FLUSH:-10}
work=tools/bench/work/soak
mkdir -p "$work"
cargo build --release --quiet
bin=$PWD/target/release/darkscope
frames=$work/frames60.pcap
[ -f "$frames" ] || python3 tools/bench/frames60.py "$frames" 1000000

send=ds-soak-s dark=ds-soak-d
cleanup() {
    ip netns del "$send" 2>/dev/null || true
    ip netns del "$dark" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$send"
ip netns add "$dark"
ip link add dsss0 type veth peer name dssd0
ip link set dsss0 netns "$send"
ip link set dssd0 netns "$dark"
for ns in "$send" "$dark"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$send" link set dsss0 up
ip -n "$dark" link set dssd0 up

rm -rf "$work/store"
ip netns exec "$dark" "$bin" capture --iface dssd0 --darknet 198.18.0.0/16 --store "$work/store" \
    --sensor soak --flush "$FLUSH" --log-level debug 2>"$work/daemon.log" &
pid=$!
until grep -q "capture started" "$work/daemon.log"; do sleep 0.1; done
echo "# capture soak, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $RATE packets/s for $SECS s, flush every $FLUSH s"
: >"$work/rss.txt"
(
    while kill -0 "$pid" 2>/dev/null; do
        awk -v t="$SECONDS" '/^RssAnon:/ {print t, $2}' "/proc/$pid/status" >>"$work/rss.txt" 2>/dev/null || true
        sleep 1
    done
) &
sampler=$!
count=$((RATE * SECS))
ip netns exec "$send" tcpreplay -i dsss0 -K --pps "$RATE" --loop $(((count + 999999) / 1000000)) --limit "$count" \
    "$frames" >"$work/tcpreplay.log" 2>&1
sleep 1
kill -TERM "$pid"
wait "$pid"
kill "$sampler" 2>/dev/null || true

sent=$(awk '/Actual:/ {print $2}' "$work/tcpreplay.log")
pps=$(awk '/Rated:/ {printf "%d", $6}' "$work/tcpreplay.log")
json=$("$bin" report --store "$work/store" --format json)
stored=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["packets"])' <<<"$json")
drops=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["capture_drops"])' <<<"$json")
echo "sent $sent at $pps packets/s; stored $stored; libpcap drops $drops; lost $((sent - stored))"
python3 - "$work/rss.txt" "$work/daemon.log" <<'PY'
import re, sys
from datetime import datetime
rss = [tuple(map(int, line.split())) for line in open(sys.argv[1]) if line.strip()]
start = rss[0][0]
print("RssAnon (MiB) by minute:", " ".join(f"{kb / 1024:.0f}" for t, kb in rss if (t - start) % 60 == 0))
minute = next((kb for t, kb in rss if t - start >= 60), rss[-1][1])
print(f"RssAnon: first {rss[0][1] / 1024:.0f} MiB, after 1 min {minute / 1024:.0f} MiB, "
      f"max {max(kb for _, kb in rss) / 1024:.0f} MiB, last {rss[-1][1] / 1024:.0f} MiB")
times, took = [], []
for line in open(sys.argv[2]):
    m = re.match(r"(\S+) DEBUG flushed .* in ([0-9.]+) s", line)
    if m:
        times.append(datetime.strptime(m.group(1), "%Y-%m-%dT%H:%M:%SZ"))
        took.append(float(m.group(2)))
gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:])]
print(f"flushes: {len(times)}; intervals {min(gaps):.0f}-{max(gaps):.0f} s (log lines to the second); "
      f"each took {min(took):.3f}-{max(took):.3f} s")
print("skipped flushes:", sum("flush skipped" in line for line in open(sys.argv[2])))
PY
