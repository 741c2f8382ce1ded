#!/usr/bin/env bash
# darkscope against the peers on one `darkscope generate` capture, in one run
# (issue 4): tcpdump -w /dev/null, libtrace's tracestats, nfpcapd + nfdump
# -s dstport/packets, argus + racluster, tshark on a 1 M-packet cut, and the
# C reference tools/../shared/tools/limit_portcount.c (-S: ports and packets
# per source), and `openssl dgst -sha256`: the hash the store records of
# every input (DESIGN's input manifest), a floor under any --store run.
# Prints wall time (median of RUNS runs; tools slower than 10 s run once),
# M packets/s, peak RSS and each tool's time as a multiple of darkscope's,
# and writes the table to tools/bench/results/<date>.md with the machine
# described.
#
#   tools/bench/peers.sh                      # 10 M packets, 250 k sources, 7 days
#   PACKETS=1000000 RUNS=5 tools/bench/peers.sh
#
# Needs: tcpdump libtrace-tools nfdump argus-server argus-client tshark gcc openssl
# (Debian packages: sudo apt-get install -y tcpdump libtrace-tools nfdump
# argus-server argus-client tshark gcc openssl). Work files: tools/bench/work/.
set -euo pipefail
cd "$(dirname "$0")/../.."
PACKETS=${PACKETS:-10000000}
SOURCES=${SOURCES:-250000}
DAYS=${DAYS:-7}
RUNS=${RUNS:-3}
work=tools/bench/work/peers
mkdir -p "$work" tools/bench/results
for tool in tcpdump tracestats nfpcapd nfdump argus racluster tshark editcap gcc openssl; do
    command -v "$tool" >/dev/null || { echo "peers.sh: $tool is missing (see the header for the packages)" >&2; exit 2; }
done
cargo build --release --quiet
bin=target/release/darkscope
capture=$work/telescope-$PACKETS.pcap
[ -f "$capture" ] || "$bin" generate --out "$capture" --packets "$PACKETS" --sources "$SOURCES" --days "$DAYS" >/dev/null
cut=$work/telescope-1m.pcap
[ -f "$cut" ] || editcap -r "$capture" "$cut" 1-1000000
ref=$work/limit_portcount
[ -x "$ref" ] || gcc -O2 -march=native -o "$ref" ../shared/tools/limit_portcount.c -lpthread
cat "$capture" "$cut" >/dev/null # into the page cache

names=() cmds=() walls=() counts=() rsss=() runs_done=()
darkscope_wall=""
# measure NAME PACKETS_IN_INPUT COMMAND: median wall and peak RSS over the runs.
measure() {
    local name=$1 packets=$2 cmd=$3 times=() rss=0 runs=$RUNS i timing=$work/time.txt
    for ((i = 0; i < runs; i++)); do
        /usr/bin/time -o "$timing" -f "%e %M" bash -c "$cmd" >/dev/null 2>&1 \
            || { echo "peers.sh: failed: $cmd" >&2; exit 1; }
        local wall kb
        read -r wall kb <"$timing"
        times+=("$wall")
        [ "$kb" -gt "$rss" ] && rss=$kb
        if [ "$i" -eq 0 ] && awk "BEGIN {exit !($wall > 10)}"; then runs=1; fi
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}')
    [ "$name" = "darkscope replay" ] && darkscope_wall=$median
    names+=("$name") cmds+=("$cmd") walls+=("$median") counts+=("$packets") rsss+=("$rss") runs_done+=("$runs")
    echo "  $name: $median s" >&2
}

darknet=198.18.0.0/16
echo "measuring on $capture ($PACKETS packets)" >&2
measure "darkscope replay" "$PACKETS" "$bin replay $capture --darknet $darknet -q"
measure "darkscope replay --threads 1" "$PACKETS" "$bin replay $capture --darknet $darknet -q --threads 1"
measure "darkscope replay --store" "$PACKETS" "rm -rf $work/store && $bin replay $capture --darknet $darknet -q --store $work/store --sensor bench"
measure "limit_portcount -S (C reference)" "$PACKETS" "$ref -S $capture"
measure "openssl dgst -sha256 (a store's input hash)" "$PACKETS" "openssl dgst -sha256 $capture"
measure "tcpdump -w /dev/null" "$PACKETS" "tcpdump -nr $capture -w /dev/null"
measure "tracestats (libtrace)" "$PACKETS" "tracestats pcapfile:$capture"
measure "nfpcapd + nfdump -s dstport/packets" "$PACKETS" "rm -rf $work/nf && mkdir -p $work/nf && nfpcapd -r $capture -w $work/nf && nfdump -R $work/nf -s dstport/packets -n 10"
measure "argus + racluster (proto, dport)" "$PACKETS" "argus -r $capture -w $work/a.argus && racluster -r $work/a.argus -n -m proto dport -s proto dport pkts | sort -k3 -nr | head"
measure "tshark fields (1 M cut)" 1000000 "tshark -n -r $cut -T fields -e tcp.dstport -e udp.dstport | sort | uniq -c | sort -rn | head"

date=$(date -u +%F)
out=tools/bench/results/$date.md
{
    echo "# darkscope and its peers, $date"
    echo
    echo "Machine: $(lscpu | awk -F: '/Model name/ {gsub(/^ +/, "", $2); print $2}'), $(nproc) cores,"
    echo "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM, $(uname -sr), $(. /etc/os-release && echo "$PRETTY_NAME")."
    echo "Capture: \`darkscope generate --packets $PACKETS --sources $SOURCES --days $DAYS\` ($(stat -c %s "$capture") bytes), page cache warm."
    echo "Versions: $($bin --version), $(tcpdump --version 2>&1 | head -1), $(dpkg-query -W -f '${Package} ${Version}, ' libtrace-tools nfdump argus-server argus-client tshark 2>/dev/null | sed "s/, $//")."
    echo "Wall: median of $RUNS whole-process runs (tools over 10 s: one run); peak RSS from /usr/bin/time (a mapped input counts)."
    echo
    echo "| tool | wall (s) | M packets/s | peak RSS (MiB) | × darkscope replay's time | runs |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: |"
    for i in "${!names[@]}"; do
        # A 1 M cut is compared per packet.
        awk -v n="${names[$i]}" -v w="${walls[$i]}" -v p="${counts[$i]}" -v r="${rsss[$i]}" -v d="$darkscope_wall" \
            -v all="$PACKETS" -v runs="${runs_done[$i]}" \
            'BEGIN { ratio = (w / p) / (d / all); printf "| %s | %.2f | %.2f | %.0f | %.2f | %d |\n", n, w, p / w / 1e6, r / 1024, ratio, runs }'
    done
    echo
    echo "Commands (F = the capture, C = the 1 M cut):"
    echo
    for i in "${!names[@]}"; do
        local_cmd=${cmds[$i]//$capture/F}
        echo "* ${names[$i]}: \`${local_cmd//$cut/C}\`"
    done
} >"$out"
cat "$out"
