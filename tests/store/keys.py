"""Reads a darkscope store with DuckDB and prints its per-key tables as one
JSON object (tests/capture_live.rs holds them against pcap_truth.py's):
packets per source and per (source, port), the distinct ports and
addresses each source's rows state, unique sources, days, covered seconds
and capture drops; with SENSOR, of that sensor's rows only. Usage:
keys.py STORE_DIR [SENSOR]"""

import json
import sys

import duckdb

store = sys.argv[1]
sensor = sys.argv[2] if len(sys.argv) > 2 else None
con = duckdb.connect()


def table(name):
    rows = f"read_parquet('{store}/{name}/**/*.parquet', hive_partitioning = true)"
    if sensor is None:
        return rows
    return f"(select * from {rows} where sensor = '{sensor}')"


def pairs(sql):
    return {str(k): v for k, v in con.execute(sql).fetchall()}


def one(sql):
    return con.execute(sql).fetchone()[0]


print(json.dumps({
    "packets": one(f"select coalesce(sum(packets), 0)::bigint from {table('sources')}"),
    "sources": pairs(f"select source, sum(packets)::bigint from {table('sources')} group by 1"),
    "ports": pairs(f"select proto || '/' || port, sum(packets)::bigint from {table('source_ports')} group by 1"),
    "source_ports": pairs(
        f"select source || ' ' || proto || '/' || port, sum(packets)::bigint from {table('source_ports')} group by 1"),
    "distinct_ports": pairs(f"select source, sum(distinct_ports)::bigint from {table('sources')} group by 1"),
    "distinct_addrs": pairs(f"select source, sum(distinct_addrs)::bigint from {table('sources')} group by 1"),
    "unique_sources": one(f"select count(distinct source) from {table('sources')}"),
    "days": one(f"select count(distinct day) from {table('sources')}"),
    "seconds": one(f"select coalesce(sum(seconds), 0) from {table('coverage')}"),
    "drops": one(f"select coalesce(sum(drops), 0)::bigint from {table('coverage')}"),
}))
