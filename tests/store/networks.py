"""The report's section 12 as DuckDB computes it from a store: per origin
AS (column asn of sources) the packets and unique sources of the days
FROM..TO, and per destination port the distinct origin ASes of its
sources (source_ports joined with sources on sensor, day and source).
Usage: networks.py STORE_DIR FROM TO. Prints JSON {"asns": {"AS…":
[packets, sources]}, "port_asns": {"tcp/23": n}, "packets": all packets,
"address_days": covered seconds / 86,400 x monitored addresses}."""

import json
import sys

import duckdb

store, first, last = sys.argv[1:4]
con = duckdb.connect()


def table(name):
    return (f"(select * from read_parquet('{store}/{name}/**/*.parquet', hive_partitioning = true) "
            f"where day between '{first}' and '{last}')")


asns = con.execute(f"select 'AS' || asn, sum(packets)::bigint, count(distinct source) from {table('sources')} "
                   f"where asn is not null group by asn").fetchall()
port_asns = con.execute(
    f"select p.proto || '/' || p.port, count(distinct s.asn) from {table('source_ports')} p "
    f"join {table('sources')} s using (sensor, day, source) where s.asn is not null group by 1").fetchall()
packets = con.execute(f"select sum(packets)::bigint from {table('sources')}").fetchone()[0]
address_days = con.execute(f"select sum(least(seconds, 86400) / 86400 * monitored) from {table('coverage')}").fetchone()[0]
print(json.dumps({"asns": {k: [p, n] for k, p, n in asns}, "port_asns": dict(port_asns), "packets": packets,
                  "address_days": address_days}))
