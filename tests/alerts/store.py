"""Reads a store's `alerts` table with DuckDB (independently of darkscope):
prints {"methods": [[method, alerts, sources]] most alerts first then name,
"total": alerts, "days": {day: alerts}, "signatures": distinct (gid, sid, rev,
signature)}. Usage: store.py STORE_DIR"""

import json
import sys

import duckdb

store = sys.argv[1]
alerts = f"read_parquet('{store}/alerts/**/*.parquet', hive_partitioning = true)"
con = duckdb.connect()
methods = con.execute(
    f"select method, sum(alerts)::bigint, count(distinct source) from {alerts} group by method "
    "order by 2 desc, 1").fetchall()
total = con.execute(f"select coalesce(sum(alerts), 0)::bigint from {alerts}").fetchone()[0]
days = dict(con.execute(f"select day::varchar, sum(alerts)::bigint from {alerts} group by 1 order by 1").fetchall())
signatures = con.execute(f"select count(*) from (select distinct gid, sid, rev, signature from {alerts})").fetchone()[0]
print(json.dumps({"methods": [list(m) for m in methods], "total": total, "days": days, "signatures": signatures}))
