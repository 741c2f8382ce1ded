"""An independent reading of DESIGN's days and coverage at a fixed day
offset, over captures read by tshark, beside the store's tables read by
DuckDB.

A day at offset +H runs from 00:00 to 24:00 of UTC+H: the instant t (UTC)
falls in the day floor((t + H hours) / 86,400 s). Its packets are the
records whose outer IPv4/IPv6 destination lies in the darknet; its covered
seconds are the union of the spans between records consecutive in time
over the whole run (every record counts, inside the darknet or not) no
more than MAX_GAP seconds apart, cut at the day's ends.

Usage: days.py OFFSET_HOURS DARKNET_CIDR MAX_GAP_SECS STORE_DIR|- CAPTURE...
Prints JSON {"oracle": {day: [packets, covered_seconds]}, "store": {day:
[packets of sources, packets of coverage, seconds of coverage]}} (no
"store" for -)."""

import collections
import datetime
import glob
import ipaddress
import json
import os
import subprocess
import sys

SEC = 10**9
DAY = 86_400 * SEC


def ns(epoch):
    whole, _, frac = epoch.partition(".")
    return int(whole) * SEC + int((frac + "000000000")[:9])


def day_name(index):
    return (datetime.date(1970, 1, 1) + datetime.timedelta(days=index)).isoformat()


def records(captures):
    """[(ns, outer destination or None)] of every record of every capture."""
    out = []
    for capture in captures:
        args = ["tshark", "-r", capture, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE", "-T", "fields",
                "-E", "separator=/t", "-E", "occurrence=f", "-e", "frame.time_epoch", "-e", "frame.protocols",
                "-e", "ip.dst", "-e", "ipv6.dst"]
        text = subprocess.run(args, check=True, capture_output=True, text=True).stdout
        for line in text.splitlines():
            t, layers, dst4, dst6 = line.split("\t")
            outer = next((p for p in layers.split(":") if p in ("ip", "ipv6")), None)
            dst = dst4 if outer == "ip" else dst6 if outer == "ipv6" else ""
            out.append((ns(t), dst or None))
    return out


def oracle(offset_ns, darknet, max_gap_ns, captures):
    rows = records(captures)
    packets = collections.Counter()
    for t, dst in rows:
        if dst is not None and ipaddress.ip_address(dst) in darknet:
            packets[(t + offset_ns) // DAY] += 1
    covered = collections.Counter()
    times = sorted(t for t, _ in rows)
    for a, b in zip(times, times[1:]):
        if b - a > max_gap_ns:
            continue
        while a < b:
            day = (a + offset_ns) // DAY
            end = min(b, (day + 1) * DAY - offset_ns)
            covered[day] += end - a
            a = end
    days = sorted(set(packets) | set(covered))
    return {day_name(d): [packets[d], covered[d] / SEC] for d in days}


def stored(store):
    import duckdb

    def table(name):
        files = glob.glob(os.path.join(store, name, "**", "*.parquet"), recursive=True)
        return f"read_parquet({files!r}, hive_partitioning = true, union_by_name = true)"

    con = duckdb.connect()
    sources = dict(con.execute(
        f"select cast(day as varchar), sum(packets)::bigint from {table('sources')} group by 1").fetchall())
    coverage = con.execute(
        f"select cast(day as varchar), sum(packets)::bigint, sum(seconds) from {table('coverage')} group by 1"
    ).fetchall()
    return {day: [sources.get(day, 0), packets, seconds] for day, packets, seconds in sorted(coverage)}


def main():
    offset_hours, darknet, max_gap, store, *captures = sys.argv[1:]
    offset_ns = int(offset_hours) * 3600 * SEC
    result = {"oracle": oracle(offset_ns, ipaddress.ip_network(darknet), int(float(max_gap) * SEC), captures)}
    if store != "-":
        result["store"] = stored(store)
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
