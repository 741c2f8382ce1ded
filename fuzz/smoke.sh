#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a few seconds (the CI smoke run),
# seeded from ../shared/corpus's small captures (and the seeds it writes); a crash fails the run and
# its input is left in fuzz/artifacts/<target>/. Longer runs:
#   fuzz/smoke.sh 3600          # an hour per target
#   cargo fuzz run -s none captures fuzz/corpus/captures -- -runs=10000000
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
targets=(captures decode cidr scanners config part alerts)
mkdir -p fuzz/corpus/captures
if [ -d ../shared/corpus ] && [ -z "$(ls -A fuzz/corpus/captures)" ]; then
    mapfile -t seeds < <(find ../shared/corpus -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -size -64k | sort)
    for f in "${seeds[@]:0:400}"; do
        cp "$f" "fuzz/corpus/captures/$(printf '%s' "$f" | sha256sum | cut -c1-16)"
    done
fi
# config: a byte for the command (replay, capture, report), then TOML.
mkdir -p fuzz/corpus/config
if [ -z "$(ls -A fuzz/corpus/config)" ]; then
    printf '\001iface = ["eth1"]\ndarknet = ["198.18.0.0/15"]\nstore = "/srv/store"\nflush = 60\nbuffer-mb = 512\n' \
        > fuzz/corpus/config/capture
    printf '\000darknet = ["198.18.0.0/16", "2001:db8::/32"]\nexclude = ["198.18.0.0/24"]\nthreads = 2\nreplace = true\n' \
        > fuzz/corpus/config/replay
    printf '\002store = "s"\nperiod = "2024-01-01..2024-01-31"\nformat = "json"\ntop = 20\n' > fuzz/corpus/config/report
fi
# alerts: a byte (even: alert lines, odd: a --methods mapping), then text.
mkdir -p fuzz/corpus/alerts
if [ -z "$(ls -A fuzz/corpus/alerts)" ]; then
    printf '\000{"timestamp":"2024-01-02T03:04:05.123456+0900","event_type":"alert","src_ip":"203.0.113.9","dest_ip":"198.18.0.1","dest_port":23,"proto":"TCP","alert":{"gid":1,"signature_id":2001219,"rev":3,"signature":"ET SCAN Potential SSH Scan","category":"Attempted Information Leak","severity":2}}\n{"event_type":"flow"}\n' \
        > fuzz/corpus/alerts/eve
    printf '\000{"timestamp":"24/01/02-13:59:31.123456","proto":"UDP","src_ap":"[2001:db8::1]:5","dst_ap":"198.18.0.6:161","rule":"1:1417:18","msg":"PROTOCOL-SNMP request udp","class":"x","priority":2}\n{"seconds":1704203971,"proto":"ICMP","src_addr":"1.2.3.4","dst_addr":"5.6.7.8","sid":9}\n' \
        > fuzz/corpus/alerts/snort
    printf '\001[[method]]\nname = "RDP"\nsids = [1, "2-9"]\nsignatures = ["(?i)terminal serv"]\n' > fuzz/corpus/alerts/methods
fi
cargo fuzz build -s none
# part: the target writes its store's files as seeds on its first run.
mkdir -p fuzz/corpus/part
if [ -z "$(ls -A fuzz/corpus/part)" ]; then
    export DARKSCOPE_FUZZ_PART_SEEDS=fuzz/corpus/part
fi
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "fuzz: $t for ${seconds} s" >&2
    # A crash makes cargo fuzz fail, and with it (pipefail) this script.
    cargo fuzz run -s none "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" 2>&1 \
        | { grep -E '^Done|SUMMARY|panicked' >&2 || true; }
done
