#!/usr/bin/env bash
# Builds the fuzz targets and runs each for a few seconds (the CI smoke run),
# seeded from ../shared/corpus's small captures; a crash fails the run and
# its input is left in fuzz/artifacts/<target>/. Longer runs:
#   fuzz/smoke.sh 3600          # an hour per target
#   cargo fuzz run -s none captures fuzz/corpus/captures -- -runs=10000000
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-20}"
targets=(captures decode cidr scanners)
mkdir -p fuzz/corpus/captures
if [ -d ../shared/corpus ] && [ -z "$(ls -A fuzz/corpus/captures)" ]; then
    mapfile -t seeds < <(find ../shared/corpus -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) \
        -size -64k | sort)
    for f in "${seeds[@]:0:400}"; do
        cp "$f" "fuzz/corpus/captures/$(printf '%s' "$f" | sha256sum | cut -c1-16)"
    done
fi
cargo fuzz build -s none
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "fuzz: $t for ${seconds} s" >&2
    # A crash makes cargo fuzz fail, and with it (pipefail) this script.
    cargo fuzz run -s none "$t" "fuzz/corpus/$t" -- -max_total_time="$seconds" 2>&1 \
        | { grep -E '^Done|SUMMARY|panicked' >&2 || true; }
done
