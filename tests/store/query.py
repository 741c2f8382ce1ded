"""Reads a darkscope store with DuckDB (independently of darkscope) and
prints the totals tests/store_duckdb.rs compares with the generator's ground
truth, as one JSON object. Usage: query.py STORE_DIR"""

import glob
import json
import sys

import duckdb

store = sys.argv[1]
con = duckdb.connect()


def table(name):
    return f"read_parquet('{store}/{name}/**/*.parquet', hive_partitioning = true)"


def pairs(sql):
    return {str(k): v for k, v in con.execute(sql).fetchall()}


def stored(name):
    """Whether the store has files of table `name` (a run may write none)."""
    return bool(glob.glob(f"{store}/{name}/**/*.parquet", recursive=True))


# source_ports rows with their source's scanner tag (same sensor, day, source).
tagged_ports = (f"select p.proto || '/' || p.port as port, p.source, p.packets, s.scanner "
                f"from {table('source_ports')} p join {table('sources')} s "
                f"on p.sensor = s.sensor and p.day = s.day and p.source = s.source")

print(json.dumps({
    "ports": pairs(f"select proto || '/' || port, sum(packets)::bigint from {table('source_ports')} group by 1"),
    "ports_hourly": pairs(f"select proto || '/' || port, sum(packets)::bigint from {table('ports_hourly')} group by 1"),
    "countries": pairs(f"select country, sum(packets)::bigint from {table('sources')} group by 1"),
    "days": pairs(f"select strftime(day, '%Y-%m-%d'), sum(packets)::bigint from {table('coverage')} group by 1"),
    "days_from_sources": pairs(f"select strftime(day, '%Y-%m-%d'), sum(packets)::bigint from {table('sources')} group by 1"),
    "sources": pairs(f"select source, sum(packets)::bigint from {table('sources')} group by 1"),
    "unique_sources": con.execute(f"select count(distinct source) from {table('sources')}").fetchone()[0],
    "unique_by_sensor": pairs(f"select sensor, count(distinct source) from {table('sources')} group by 1"),
    "port_sources": pairs(f"select proto || '/' || port, count(distinct source) from {table('source_ports')} group by 1"),
    "ports_clean": pairs(f"select port, sum(packets)::bigint from ({tagged_ports}) where scanner is null group by 1"),
    "ports_clean_sources": pairs(
        f"select port, count(distinct source) from ({tagged_ports}) where scanner is null group by 1"),
    "scanner_sources": pairs(
        f"select scanner, count(distinct source) from {table('sources')} where scanner is not null group by 1"),
    "scanners": pairs(f"select coalesce(scanner, '-'), sum(packets)::bigint from {table('sources')} group by 1"),
    "bytes": con.execute(f"select sum(bytes)::bigint from {table('sources')}").fetchone()[0],
    "backscatter": pairs(f"select kind, sum(packets)::bigint from {table('backscatter')} group by 1")
    if stored("backscatter") else {},
    "darknet_packets": con.execute(f"select sum(packets)::bigint from {table('darknet_addrs')}").fetchone()[0],
    "sensors": pairs(f"select sensor, sum(packets)::bigint from {table('coverage')} group by 1"),
    "covered_seconds": pairs(f"select sensor || ' ' || strftime(day, '%Y-%m-%d'), seconds from {table('coverage')}"),
}))
