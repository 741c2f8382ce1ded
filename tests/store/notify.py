"""The notification list as DuckDB computes it from a store: the sources of
country CC on the days FROM..TO with their packets, days, first and last
seen (UTC, to the second), origin AS, tool labels and scanner tag, and
their five busiest destination ports (ties by protocol, tcp first, then
port number). Usage: notify.py STORE_DIR FROM TO CC. Prints a JSON list,
busiest source first (ties by source text)."""

import json
import sys

import duckdb

store, first, last, cc = sys.argv[1:5]
con = duckdb.connect()


def table(name):
    return (f"(select * from read_parquet('{store}/{name}/**/*.parquet', hive_partitioning = true) "
            f"where day between '{first}' and '{last}')")


rows = con.execute(
    f"select source, max(asn), sum(packets)::bigint, count(distinct day), "
    f"strftime(min(first_seen) at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'), "
    f"strftime(max(last_seen) at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'), "
    f"list_sort(list_distinct(list(tool))), max(scanner) "
    f"from {table('sources')} where country = '{cc}' group by source").fetchall()
ports = {}
for source, key, _, _, _ in con.execute(
        f"select p.source, p.proto || '/' || p.port, sum(p.packets) n, p.proto, p.port "
        f"from {table('source_ports')} p "
        f"where p.source in (select source from {table('sources')} where country = '{cc}') "
        f"group by p.source, p.proto, p.port order by p.source, n desc, p.proto, p.port").fetchall():
    ports.setdefault(source, [])
    if len(ports[source]) < 5:
        ports[source].append(key)
out = [{"source": s, "asn": a, "packets": p, "days": d, "first_seen": f, "last_seen": l, "ports": ports.get(s, []),
        "tools": [t for t in tools if t is not None], "scanner": sc}
       for s, a, p, d, f, l, tools, sc in rows]
out.sort(key=lambda n: (-n["packets"], n["source"]))
print(json.dumps(out))
