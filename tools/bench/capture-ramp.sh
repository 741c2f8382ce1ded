#!/usr/bin/env bash
# The highest rate at which `darkscope capture` loses nothing (issue 12):
# two network namespaces joined by a veth pair (made here, removed on exit),
# the daemon on the darknet end, tcpreplay sending 60-byte frames
# (tools/bench/frames60.py) from the other end at a ramp of rates, SECS
# seconds each. Per step: the rate asked, the rate tcpreplay reached, the
# packets stored (the report's total), libpcap's drops, the packets lost
# between the wire and the store, and the daemon's CPU seconds.
#
# On a small machine the sender (tcpreplay and the kernel's veth path, on
# the sending core) tops out before the daemon does. The last step
# therefore measures the daemon alone: it is stopped (SIGSTOP) while DRAIN
# packets fill its 512 MiB kernel ring at full speed, then let go (SIGCONT);
# the wall time until it is idle again, sampled every 10 ms from
# /proc/PID/stat, gives the rate its pipeline drains the ring at.
# Needs root, tcpreplay and iproute2.
#
#   tools/bench/capture-ramp.sh                     # 100k .. 1M pps, then full speed
#   RATES="200000 400000" SECS=10 tools/bench/capture-ramp.sh
#
# Work files: tools/bench/work/ramp/.
set -euo pipefail
cd "$(dirname "$0")/../.."
RATES=${RATES:-"100000 200000 400000 600000 800000 1000000 max drain"}
DRAIN=${DRAIN:-2000000}
SECS=${SECS:-5}
THREADS=${THREADS:-1}
work=tools/bench/work/ramp
mkdir -p "$work"
cargo build --release --quiet
bin=$PWD/target/release/darkscope
frames=$work/frames60.pcap
[ -f "$frames" ] || python3 tools/bench/frames60.py "$frames" 1000000

send=ds-ramp-s dark=ds-ramp-d
cleanup() {
    ip netns del "$send" 2>/dev/null || true
    ip netns del "$dark" 2>/dev/null || true
}
trap cleanup EXIT
cleanup
ip netns add "$send"
ip netns add "$dark"
ip link add dsrs0 type veth peer name dsrd0
ip link set dsrs0 netns "$send"
ip link set dsrd0 netns "$dark"
for ns in "$send" "$dark"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
ip -n "$send" link set dsrs0 up
ip -n "$dark" link set dsrd0 up

echo "# capture ramp, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(uname -r), --threads $THREADS, $SECS s a step"
printf "%10s %10s %10s %10s %8s %8s %8s\n" asked sent_pps sent stored drops lost cpu_s
for rate in $RATES; do
    rm -rf "$work/store"
    ip netns exec "$dark" "$bin" capture --iface dsrd0 --darknet 198.18.0.0/16 --store "$work/store" \
        --sensor ramp --flush 2 --threads "$THREADS" --buffer-mb 512 2>"$work/daemon.log" &
    pid=$!
    until grep -q "capture started" "$work/daemon.log"; do sleep 0.1; done
    case "$rate" in
        max | drain) speed=(--topspeed) count=$((SECS * 800000)) ;;
        *) speed=(--pps "$rate") count=$((SECS * rate)) ;;
    esac
    [ "$rate" = drain ] && count=$DRAIN && kill -STOP "$pid"
    loops=$(((count + 999999) / 1000000))
    ip netns exec "$send" tcpreplay -i dsrs0 -K "${speed[@]}" --loop "$loops" --limit "$count" "$frames" \
        >"$work/tcpreplay.log" 2>&1
    if [ "$rate" = drain ]; then
        ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
        start=$(date +%s.%N)
        kill -CONT "$pid"
        last=$(ticks) idle=0 busy_until=$start
        while [ "$idle" -lt 30 ]; do
            sleep 0.01
            now=$(ticks)
            if [ "$now" -gt "$last" ]; then idle=0 busy_until=$(date +%s.%N); else idle=$((idle + 1)); fi
            last=$now
        done
        drained=$(echo "$busy_until - $start" | bc)
    fi
    sleep 1
    cpu=$(awk '{print ($14 + $15) / 100}' "/proc/$pid/stat")
    kill -TERM "$pid"
    wait "$pid"
    sent=$(awk '/Actual:/ {print $2}' "$work/tcpreplay.log")
    pps=$(awk '/Rated:/ {printf "%d", $6}' "$work/tcpreplay.log")
    failed=$(awk '/Failed packets:/ {print $3}' "$work/tcpreplay.log")
    sent=$((sent - failed))
    json=$("$bin" report --store "$work/store" --format json)
    stored=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["packets"])' <<<"$json")
    drops=$(python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["capture_drops"])' <<<"$json")
    printf "%10s %10s %10s %10s %8s %8s %8s\n" "$rate" "$pps" "$sent" "$stored" "$drops" $((sent - stored)) "$cpu"
    if [ "$rate" = drain ]; then
        echo "# drain: $stored packets out of the ring in $drained s: $(echo "$stored / $drained" | bc) packets/s"
    fi
done
