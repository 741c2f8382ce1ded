"""An independent reading of DESIGN "DoS attacks" over captures read by
tshark, compared with the store's `attacks` table read by DuckDB.

Backscatter per DESIGN: TCP with RST+ACK, RST or SYN+ACK (victim: the
source, victim port: the TCP source port); ICMP types 0, 14, 16, 18 (victim:
the source); ICMP errors 3, 4, 5, 11, 12 (victim: the quoted destination,
port: the quoted destination port). The vector is (victim, attacked
protocol): TCP, the quoted protocol of an error, else ICMP. Each vector's
packets in time order split where two are more than TIMEOUT apart; a piece
is an attack with >= MIN packets, lasting >= 60 s and, for rsdos, >= 30
packets in one of the windows [first + 10k s, first + 10k s + 60 s).

Usage: attacks.py PROFILE DARKNET_CIDR STORE_DIR CAPTURE...
Prints JSON {"oracle": rows, "store": rows, "report": sums}; a row is [victim, proto,
first_ns, last_ns, packets, bytes, peak, victim_ports, darknet_addrs]; the
store's rows add the day partition, whether it is the day of first_ns, and
the victim's country. The sums are the report's section 11 as DuckDB
computes it from the table: attacks, victims and packets in all, per day
(of the partition) and per victim."""

import collections
import datetime
import ipaddress
import json
import subprocess
import sys

import duckdb

profile, darknet, store, captures = sys.argv[1], ipaddress.ip_network(sys.argv[2]), sys.argv[3], sys.argv[4:]
MIN_PACKETS, MIN_WINDOW = {"rsdos": (25, 30), "moore": (100, 0)}[profile]
SEC = 10**9
TIMEOUT, DURATION, WINDOW, SLIDE = 300 * SEC, 60 * SEC, 60 * SEC, 10 * SEC
PROTO_NAMES = {1: "icmp", 6: "tcp", 17: "udp"}
FIELDS = ["frame.time_epoch", "ip.src", "ip.dst", "ip.len", "ip.proto", "tcp.flags", "tcp.srcport", "icmp.type",
          "udp.dstport", "tcp.dstport"]


def ns(epoch):
    whole, _, frac = epoch.partition(".")
    return int(whole) * SEC + int((frac + "000000000")[:9])


vectors = collections.defaultdict(list)
for capture in captures:
    args = ["tshark", "-r", capture, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=a", "-E",
            "aggregator=,"]
    for f in FIELDS:
        args += ["-e", f]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        t, src, dst, length, proto, flags, sport, icmp_type, udp_dport, tcp_dport = line.split("\t")
        if not dst:
            continue
        srcs, dsts, lengths, protos = src.split(","), dst.split(","), length.split(","), proto.split(",")
        if ipaddress.ip_address(dsts[0]) not in darknet:
            continue
        outer = int(protos[0])
        if outer == 6 and flags:
            f = int(flags, 16)
            rst, syn, ack = f & 4, f & 2, f & 16
            if not (rst or (syn and ack)):
                continue
            victim, attacked, port = srcs[0], 6, int(sport) if sport else None
        elif outer == 1 and icmp_type:
            kind = int(icmp_type.split(",")[0])
            if kind in (0, 14, 16, 18):
                victim, attacked, port = srcs[0], 1, None
            elif kind in (3, 4, 5, 11, 12) and len(dsts) > 1:
                victim, attacked = dsts[1], int(protos[1])
                quoted = udp_dport or tcp_dport
                port = int(quoted.split(",")[0]) if quoted else None
            else:
                continue
        else:
            continue
        vectors[(victim, attacked)].append((ns(t), int(lengths[0]), port, dsts[0]))


def judge(victim, proto, run):
    first, last = run[0][0], run[-1][0]
    if len(run) < MIN_PACKETS or last - first < DURATION:
        return None
    peak, start = 0, first
    while start <= last:
        peak = max(peak, sum(1 for p in run if start <= p[0] < start + WINDOW))
        start += SLIDE
    if peak < MIN_WINDOW:
        return None
    ports = {p[2] for p in run if p[2] is not None}
    return [victim, PROTO_NAMES.get(proto, f"ip/{proto}"), first, last, len(run), sum(p[1] for p in run), peak,
            len(ports), len({p[3] for p in run})]


oracle = []
for (victim, proto), packets in vectors.items():
    packets.sort()
    run = [packets[0]]
    for p in packets[1:]:
        if p[0] - run[-1][0] > TIMEOUT:
            oracle.append(judge(victim, proto, run))
            run = []
        run.append(p)
    oracle.append(judge(victim, proto, run))
oracle = sorted(a for a in oracle if a)

con = duckdb.connect()
rows = con.execute(
    f"select victim, proto, epoch_ns(first_seen), epoch_ns(last_seen), packets, bytes, peak_packets_per_minute, "
    f"victim_ports, darknet_addrs, cast(day as varchar), country from "
    f"read_parquet('{store}/attacks/**/*.parquet', hive_partitioning = true) order by all").fetchall()
stored = sorted([*r[:9], r[9], r[9] == datetime.datetime.fromtimestamp(r[2] // SEC, datetime.UTC).date().isoformat(),
                 r[10]] for r in rows)
source = f"read_parquet('{store}/attacks/**/*.parquet', hive_partitioning = true)"
attacks, victims, packets = con.execute(f"select count(*), count(distinct victim), sum(packets) from {source}").fetchone()
per_day = con.execute(f"select cast(day as varchar), count(*), count(distinct victim), sum(packets) from {source} "
                      f"group by day order by day").fetchall()
per_victim = con.execute(f"select victim, count(*), sum(packets), max(peak_packets_per_minute) from {source} "
                         f"group by victim order by sum(packets) desc, victim").fetchall()
report = {"attacks": attacks, "victims": victims, "packets": int(packets or 0),
          "per_day": [[d, a, v, int(p)] for d, a, v, p in per_day],
          "per_victim": [[v, a, int(p), m] for v, a, p, m in per_victim]}
print(json.dumps({"oracle": oracle, "store": stored, "report": report}))
