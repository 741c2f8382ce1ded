"""Reads a store's sources table with DuckDB and prints, as one JSON
object, the sources each scanner organisation tags ("tags": organisation
→ distinct sources, untagged as "none") and the distinct IPv4 sources in
0.0.0.0/1 ("low_half", from the address text alone), which a list naming
0.0.0.0/1 must tag. Usage: scanner_tags.py STORE_DIR"""

import json
import sys

import duckdb

con = duckdb.connect()
src = f"read_parquet('{sys.argv[1]}/sources/**/*.parquet', hive_partitioning = true)"
tags = con.execute(f"select coalesce(scanner, 'none'), count(distinct source) from {src} group by 1").fetchall()
low = con.execute(
    f"select count(distinct source) from {src} where cast(split_part(source, '.', 1) as integer) < 128"
).fetchone()[0]
print(json.dumps({"tags": dict(tags), "low_half": low}))
