"""Reads every table of a darkscope store with DuckDB (independently of
darkscope) and prints, per table, its rows and the sum of its packets
column (where it has one), plus the manifest's parts, as one JSON line.

Usage: totals.py, then one store folder per line on stdin; one JSON line
per store on stdout (DuckDB starts once, so a test can ask hundreds of
times). A table DuckDB cannot read is reported as {"error": "..."}, so the
test names it."""

import glob
import json
import os
import sys

import duckdb

TABLES = ["sources", "source_ports", "darknet_addrs", "ports_hourly", "backscatter", "coverage", "attacks", "scans"]
con = duckdb.connect()


def totals(store):
    out = {}
    for name in TABLES:
        files = sorted(glob.glob(f"{store}/{name}/**/*.parquet", recursive=True))
        if not files:
            out[name] = [0, 0]
            continue
        source = f"read_parquet({files!r}, hive_partitioning = true, union_by_name = true)"
        try:
            columns = [row[0] for row in con.execute(f"describe select * from {source}").fetchall()]
            packets = "sum(packets)::bigint" if "packets" in columns else "0"
            rows, total = con.execute(f"select count(*), coalesce({packets}, 0) from {source}").fetchone()
            out[name] = [rows, total]
        except duckdb.Error as e:
            out[name] = {"error": str(e)}
    # The manifest: the union of the entry files (DESIGN.md "Store").
    entries = os.path.join(store, "manifest.d")
    parts = []
    if os.path.isdir(entries):
        for name in sorted(os.listdir(entries)):
            if name.endswith(".json") and not name.startswith("."):
                with open(os.path.join(entries, name)) as f:
                    parts.append(json.load(f)["part"])
    out["parts"] = sorted(f"{p['sensor']}-{p['part']}:{len(p['inputs'])}" for p in parts)
    return out


for line in sys.stdin:
    print(json.dumps(totals(line.strip()), sort_keys=True), flush=True)
