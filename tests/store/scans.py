"""An independent reading of DESIGN "Scan events" over captures read by
tshark, compared with the store's `scans` table read by DuckDB.

A probe is a darknet-inside packet (outer IPv4/IPv6 destination in the
darknet) that is not backscatter: TCP of flag class `syn` (SYN without ACK or
RST; ECE/CWR ignored) is `tcp_syn`, TCP of class `other` (no RST, no SYN) is
`tcp_other`, both with the flags captured; UDP with a destination port
(unfragmented or first fragment) is `udp`; ICMPv4 of a type other than 0, 3,
4, 5, 11, 12, 14, 16, 18 and ICMPv6 of a type other than 1, 2, 3, 4, 129 are
`icmp`, their port the ICMP type. The key is (outer source, traffic type,
port); a key's probes in time order split where two are more than 480 s
apart, and a piece is an event when it reached >= MIN_DSTS distinct
destinations. A tcp_syn event's tool is mirai when every packet's seq is its
IPv4 destination, else masscan when every IPv4 ID is (dst ^ dport ^ seq) &
0xffff, else zmap when every IPv4 ID is 54321 (IPv6 and other types: none).
tshark does not show the flags of a TCP header cut short of 20 bytes, which
DESIGN counts from 14; such probes are missed (the generator cuts at 2 or 4).

Usage: scans.py DARKNET_CIDR MIN_DSTS STORE_DIR CAPTURE...   or   scans.py --self-test
Prints JSON {"oracle": rows, "store": rows, "report": sums}; a row is [source, scan_type,
port, first_ns, last_ns, packets, darknet_addrs, tool]; the store's rows add
the day partition, whether it is the day of first_ns, and the source's
country. The sums are the report's "Scanners" section as DuckDB computes it
from the table (events, sources and packets in all, per day, type, tool and
source, with and without research scanners) and, from `source_ports`, the
wide-range sources per day (>= 100 and > 10 distinct (protocol, port))."""

import collections
import datetime
import glob
import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile

import duckdb

SEC = 10**9
TIMEOUT = 480 * SEC
BACKSCATTER = {"icmp": {0, 3, 4, 5, 11, 12, 14, 16, 18}, "icmpv6": {1, 2, 3, 4, 129}}
IPV6_CHAIN = {"ipv6.hopopts", "ipv6.routing", "ipv6.fraghdr", "ipv6.dstopts", "ah"}
FIELDS = ["frame.time_epoch", "frame.protocols", "ip.src", "ip.dst", "ip.id", "ipv6.src", "ipv6.dst", "tcp.flags",
          "tcp.dstport", "tcp.seq_raw", "udp.dstport", "icmp.type", "icmpv6.type"]


def ns(epoch):
    whole, _, frac = epoch.partition(".")
    return int(whole) * SEC + int((frac + "000000000")[:9])


def first(field):
    return field.split(",")[0]


def probes(darknet, captures):
    """{(source, scan_type, port): [(ns, dst, seq, ipv4_id)]} of every probe."""
    keys = collections.defaultdict(list)
    for capture in captures:
        args = ["tshark", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-o",
                "tcp.analyze_sequence_numbers:FALSE", "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a",
                "-E", "aggregator=,"]
        for f in FIELDS:
            args += ["-e", f]
        out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        for line in out.splitlines():
            t, layers, src4, dst4, ip_id, src6, dst6, flags, tcp_dport, seq, udp_dport, icmp4, icmp6 = line.split("\t")
            layers = layers.split(":")
            outer = next((i for i, p in enumerate(layers) if p in ("ip", "ipv6")), None)
            if outer is None:
                continue
            v4 = layers[outer] == "ip"
            src, dst = (first(src4), first(dst4)) if v4 else (first(src6), first(dst6))
            if not dst or ipaddress.ip_address(dst) not in darknet:
                continue
            rest = [p for p in layers[outer + 1:] if v4 or p not in IPV6_CHAIN]
            upper = rest[0] if rest else None
            if upper == "tcp" and flags:
                f = int(first(flags), 16)
                if f & 4:  # rst_ack, rst
                    continue
                kind, port = ("tcp_syn" if f & 2 and not f & 16 else "tcp_other" if not f & 2 else None), tcp_dport
                if kind is None:  # syn_ack
                    continue
            elif upper == "udp" and udp_dport:
                kind, port = "udp", udp_dport
            elif upper in BACKSCATTER and (icmp4 if upper == "icmp" else icmp6):
                kind, port = "icmp", icmp4 if upper == "icmp" else icmp6
                if int(first(port)) in BACKSCATTER[upper]:
                    continue
            else:
                continue
            ident = int(first(ip_id), 16) if v4 and ip_id else None
            keys[(src, kind, int(first(port)))].append((ns(t), dst, int(first(seq)) if seq else None, ident))
    return keys


def tool(kind, port, run):
    if kind != "tcp_syn" or any(ipaddress.ip_address(p[1]).version != 4 for p in run):
        return None
    for name, fits in (("mirai", lambda d, seq, ident: seq == d),
                       ("masscan", lambda d, seq, ident: ident == (d ^ port ^ seq) & 0xFFFF),
                       ("zmap", lambda d, seq, ident: ident == 54321)):
        if all(fits(int(ipaddress.ip_address(p[1])), p[2], p[3]) for p in run):
            return name
    return None


def oracle(darknet, min_dsts, captures):
    events = []
    for (source, kind, port), packets in probes(darknet, captures).items():
        packets.sort()
        runs = [[packets[0]]]
        for p in packets[1:]:
            if p[0] - runs[-1][-1][0] > TIMEOUT:
                runs.append([])
            runs[-1].append(p)
        for run in runs:
            dsts = len({p[1] for p in run})
            if dsts >= min_dsts:
                events.append([source, kind, port, run[0][0], run[-1][0], len(run), dsts, tool(kind, port, run)])
    return sorted(events, key=lambda e: e[:7])


def from_store(store):
    """(store rows, report sums) of STORE_DIR; no scans folder means no events."""
    con = duckdb.connect()
    report = {"events": 0, "sources": 0, "packets": 0, "per_day": [], "per_type": [], "per_tool": [],
              "top_sources": [], "research": [[0, 0], [0, 0]], "wide": []}
    stored = []
    if glob.glob(f"{store}/scans/**/*.parquet", recursive=True):
        table = f"read_parquet('{store}/scans/**/*.parquet', hive_partitioning = true)"
        org = "scanner"
        rows = con.execute(f"select source, scan_type, port, epoch_ns(first_seen), epoch_ns(last_seen), packets, "
                           f"darknet_addrs, tool, cast(day as varchar), country from {table}").fetchall()
        stored = sorted(([*r[:8], r[8], r[8] == datetime.datetime.fromtimestamp(r[3] // SEC, datetime.UTC).date()
                          .isoformat(), r[9]] for r in rows), key=lambda e: e[:7])
        events, sources, packets = con.execute(f"select count(*), count(distinct source), sum(packets) "
                                               f"from {table}").fetchone()
        report.update(events=events, sources=sources, packets=int(packets or 0))
        report["per_day"] = [[d, e, s, int(p)] for d, e, s, p in con.execute(
            f"select cast(day as varchar), count(*), count(distinct source), sum(packets) from {table} "
            f"group by day order by day").fetchall()]
        report["per_type"] = [[k, e, int(p)] for k, e, p in con.execute(
            f"select scan_type, count(*), sum(packets) from {table} group by scan_type order by scan_type").fetchall()]
        report["per_tool"] = [[t, e, s, int(p)] for t, e, s, p in con.execute(
            f"select coalesce(tool, 'none') t, count(*), count(distinct source), sum(packets) from {table} "
            f"group by t order by sum(packets) desc, t").fetchall()]
        report["top_sources"] = [[s, e, int(p), m] for s, e, p, m in con.execute(
            f"select source, count(*), sum(packets), max(darknet_addrs) from {table} "
            f"group by source order by sum(packets) desc, source").fetchall()]
        research = con.execute(f"select count(*) filter (where {org} is not null), "
                               f"coalesce(sum(packets) filter (where {org} is not null), 0), "
                               f"count(*) filter (where {org} is null), "
                               f"coalesce(sum(packets) filter (where {org} is null), 0) from {table}").fetchone()
        report["research"] = [[research[0], int(research[1])], [research[2], int(research[3])]]
    if glob.glob(f"{store}/source_ports/**/*.parquet", recursive=True):
        table = f"read_parquet('{store}/source_ports/**/*.parquet', hive_partitioning = true)"
        report["wide"] = [list(r) for r in con.execute(
            f"select cast(day as varchar), count(*) filter (where n >= 100), count(*) filter (where n > 10) "
            f"from (select day, source, count(distinct (proto, port)) n from {table} group by day, source) "
            f"group by day order by day").fetchall()]
    return stored, report


def self_test():
    """A hand-made nanosecond pcap (raw IPv4) whose events are worked out by hand."""
    def pkt(src, dst, proto, l4, ident=1, frag=0):
        return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0,
                           ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed) + l4

    def syn(src, dst, dport, seq, ident=1, flags=0x02):
        return pkt(src, dst, 6, struct.pack("!HHIIBBHHH", 40000, dport, seq, 0, 0x50, flags, 1024, 0, 0), ident)

    def udp(src, dst, dport, frag=0):
        return pkt(src, dst, 17, struct.pack("!HHHH", 40000, dport, 9, 0) + b"x", frag=frag)

    def icmp(src, dst, kind):
        return pkt(src, dst, 1, struct.pack("!BBHHH", kind, 0, 0, 1, 1))

    def a(n):
        return int(ipaddress.ip_address(n))

    T = 1704067200 * SEC + 123  # 2024-01-01T00:00:00.000000123Z
    A, B, C, D, E = "192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.4", "192.0.2.5"
    d1, d2, d3, d4 = "198.18.0.1", "198.18.0.2", "198.18.0.3", "198.18.1.4"
    frames = [
        # A, tcp/23, mirai: gap of exactly 480 s keeps .1 and .2 together; 480 s + 1 ns cuts; the
        # last piece has 2 packets but one destination, so it is no event.
        (T, syn(A, d1, 23, a(d1))), (T + 480 * SEC, syn(A, d2, 23, a(d2))),
        (T + 960 * SEC + 1, syn(A, d3, 23, a(d3))), (T + 961 * SEC, syn(A, d3, 23, a(d3))),
        (T + 100 * SEC, syn(A, d4, 23, a(d4), flags=0x12)),  # SYN+ACK: backscatter
        (T + 101 * SEC, syn(A, d4, 23, a(d4), flags=0x06)),  # SYN+RST: class rst
        (T + 102 * SEC, syn(A, "10.0.0.1", 23, a("10.0.0.1"))),  # outside the darknet
        # B, tcp/80, masscan IDs, one SYN with ECE+CWR; C, tcp/443, ZMap's ID; D: one of each, no tool.
        (T + 5, syn(B, d1, 80, 7, (a(d1) ^ 80 ^ 7) & 0xFFFF)),
        (T + 6, syn(B, d2, 80, 8, (a(d2) ^ 80 ^ 8) & 0xFFFF, 0xC2)),
        (T + 7, syn(C, d1, 443, 7, 54321)), (T + 8, syn(C, d2, 443, a(d2), 54321)),
        (T + 9, syn(D, d1, 22, a(d1))), (T + 10, syn(D, d2, 22, 9, 54321)),
        # D, FIN scan tcp/8080 (tcp_other); UDP/53 plus a non-first fragment (no port).
        (T + 11, syn(D, d1, 8080, 1, flags=0x01)), (T + 12, syn(D, d3, 8080, 1, flags=0x01)),
        (T + 13, udp(D, d1, 53)), (T + 14, udp(D, d2, 53)), (T + 15, udp(D, d3, 53, frag=0x0003)),
        # E, ICMP: echo requests (type 8) are probes, echo replies (type 0) backscatter.
        (T + 16, icmp(E, d1, 8)), (T + 17, icmp(E, d2, 8)), (T + 18, icmp(E, d1, 0)), (T + 19, icmp(E, d2, 0)),
    ]
    expected = [
        [A, "tcp_syn", 23, T, T + 480 * SEC, 2, 2, "mirai"],
        [B, "tcp_syn", 80, T + 5, T + 6, 2, 2, "masscan"],
        [C, "tcp_syn", 443, T + 7, T + 8, 2, 2, "zmap"],
        [D, "tcp_other", 8080, T + 11, T + 12, 2, 2, None],
        [D, "tcp_syn", 22, T + 9, T + 10, 2, 2, None],
        [D, "udp", 53, T + 13, T + 14, 2, 2, None],
        [E, "icmp", 8, T + 16, T + 17, 2, 2, None],
    ]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "self.pcap")
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 65535, 101))
            for t, frame in sorted(frames, key=lambda x: x[0]):
                f.write(struct.pack("<IIII", t // SEC, t % SEC, len(frame), len(frame)) + frame)
        got = oracle(ipaddress.ip_network("198.18.0.0/16"), 2, [path])
        assert got == expected, f"self-test oracle:\n{json.dumps(got)}\n!=\n{json.dumps(expected)}"
        assert oracle(ipaddress.ip_network("198.18.0.0/16"), 3, [path]) == [], "MIN_DSTS 3 keeps nothing"
        assert from_store(tmp)[0] == [] and from_store(tmp)[1]["events"] == 0, "no scans folder: no events"
    print("ok")


if __name__ == "__main__":
    if sys.argv[1:] == ["--self-test"]:
        self_test()
    else:
        darknet, min_dsts, store, captures = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4:]
        events = oracle(ipaddress.ip_network(darknet), min_dsts, captures)
        stored, report = from_store(store)
        print(json.dumps({"oracle": events, "store": stored, "report": report}))
