#!/usr/bin/env python3
"""Prints WIDE_BLOCKS for src/generate/geo.rs: per country, networks of the
bundled country database large enough for `generate --sources` up to
WIDE_MAX_SOURCES (12 M) at that country's share of COUNTRY_WEIGHTS.

    python3 -m venv /tmp/geovenv && /tmp/geovenv/bin/pip install maxminddb
    /tmp/geovenv/bin/python tools/make-geo-blocks.py > /tmp/wide.rs

For each country: the database's networks of that country with prefix
length 10..16 that overlap no block of BLOCKS, largest first (then by
address), until they hold 1.25 × its share of WIDE_MAX_SOURCES. For ZZ:
aligned /14s inside the largest gaps of the database's global unicast IPv4
space (addresses the database does not cover at all). Every block is then
checked: its first and last address look up to the listed country (ZZ: to
no record) and the network returned holds the whole block.
"""

import ipaddress
import pathlib
import re
import sys

import maxminddb

root = pathlib.Path(__file__).resolve().parent.parent
WIDE_MAX_SOURCES = 12_000_000
geo_rs = (root / "src" / "generate" / "geo.rs").read_text()
weights = {cc: int(w) for cc, w in re.findall(r'\(\*b"([A-Z]{2})", (\d+)\)', geo_rs)}
narrow = [
    ipaddress.ip_network(f"{a}.{b}.{c}.{d}/{p}")
    for a, b, c, d, p in re.findall(r"\(\[(\d+), (\d+), (\d+), (\d+)\], (\d+), \*b\"[A-Z]{2}\"\)", geo_rs)
]
assert sum(weights.values()) == 100 and narrow, "could not read COUNTRY_WEIGHTS and BLOCKS from geo.rs"

db = maxminddb.open_database(str(root / "data" / "geo" / "iptoasn-country.mmdb"))
by_country, gaps, end = {}, [], None
for net, rec in db:
    if net.version != 4:
        continue
    if end is not None and int(net.network_address) > end + 1:
        gaps.append((end + 1, int(net.network_address) - 1))
    end = int(net.broadcast_address)
    cc = rec.get("country_code") if isinstance(rec, dict) else None
    if cc in weights and 10 <= net.prefixlen <= 16 and not any(net.overlaps(n) for n in narrow):
        by_country.setdefault(cc, []).append(net)

chosen = []
for cc, w in weights.items():
    need = WIDE_MAX_SOURCES * w // 100 * 5 // 4
    if cc == "ZZ":
        nets = []
        for a, b in sorted(gaps, key=lambda g: (g[0] - g[1], g[0])):
            if not ipaddress.ip_address(a).is_global:
                continue
            first = (a + (1 << 18) - 1) >> 18 << 18
            while first + (1 << 18) - 1 <= b:
                nets.append(ipaddress.ip_network((first, 14)))
                first += 1 << 18
    else:
        nets = sorted(by_country.get(cc, []), key=lambda n: (n.prefixlen, int(n.network_address)))
    held = 0
    for net in nets:
        if held >= need:
            break
        chosen.append((net, cc))
        held += net.num_addresses
    assert held >= need, f"{cc}: only {held} addresses for {need}"

for net, cc in chosen:
    for addr in (net.network_address, net.broadcast_address):
        rec, plen = db.get_with_prefix_len(addr)
        got = rec.get("country_code") if isinstance(rec, dict) else None
        assert got == (None if cc == "ZZ" else cc), f"{net}: {addr} is {got}"
        assert plen <= net.prefixlen, f"{net}: {addr} lies in a /{plen} only"

print(f"// tools/make-geo-blocks.py: {len(chosen)} blocks, checked against the bundled database")
print("pub const WIDE_BLOCKS: &[([u8; 4], u8, [u8; 2])] = &[")
for net, cc in sorted(chosen, key=lambda c: (list(weights).index(c[1]), int(c[0].network_address))):
    octets = ", ".join(str(o) for o in net.network_address.packed)
    print(f'    ([{octets}], {net.prefixlen}, *b"{cc}"),')
print("];")
