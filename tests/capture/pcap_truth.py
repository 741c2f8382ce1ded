"""Counts what a darknet sensor should store for classic pcap files, read
independently of darkscope (DESIGN.md's definitions, IPv4 over Ethernet or
802.1Q, as `darkscope generate` writes): per source, per (source, port),
per port, each source's distinct ports and darknet addresses, unique
sources. Usage: pcap_truth.py DARKNET_CIDR FILE...; prints one JSON object.
"""

import ipaddress
import json
import struct
import sys
from collections import Counter, defaultdict

darknet = ipaddress.ip_network(sys.argv[1])
sources = Counter()
ports = Counter()
source_ports = Counter()
port_sets = defaultdict(set)
addr_sets = defaultdict(set)
records = other = 0

for path in sys.argv[2:]:
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    order = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    link = struct.unpack(order + "I", data[20:24])[0] & 0xFFFF
    assert link == 1, f"{path}: link type {link}, only Ethernet is counted here"
    at = 24
    while at + 16 <= len(data):
        caplen = struct.unpack(order + "I", data[at + 8:at + 12])[0]
        frame = data[at + 16:at + 16 + caplen]
        at += 16 + caplen
        records += 1
        off, ethertype = 14, struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0
        while ethertype in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
            ethertype = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
        ip = frame[off:]
        if ethertype != 0x0800 or len(ip) < 20 or ip[0] >> 4 != 4:
            other += 1
            continue
        src, dst = ipaddress.ip_address(ip[12:16]), ipaddress.ip_address(ip[16:20])
        if dst not in darknet:
            other += 1
            continue
        s = str(src)
        sources[s] += 1
        addr_sets[s].add(str(dst))
        proto, ihl = ip[9], (ip[0] & 0xF) * 4
        frag_offset = struct.unpack(">H", ip[6:8])[0] & 0x1FFF
        l4 = ip[ihl:]
        if proto in (6, 17) and frag_offset == 0 and len(l4) >= 4:
            key = f"{'tcp' if proto == 6 else 'udp'}/{struct.unpack('>H', l4[2:4])[0]}"
            ports[key] += 1
            source_ports[f"{s} {key}"] += 1
            port_sets[s].add(key)

print(json.dumps({
    "records": records,
    "other": other,
    "packets": sum(sources.values()),
    "sources": sources,
    "ports": ports,
    "source_ports": source_ports,
    "distinct_ports": {s: len(p) for s, p in port_sets.items()},
    "distinct_addrs": {s: len(a) for s, a in addr_sets.items()},
    "unique_sources": len(sources),
}))
