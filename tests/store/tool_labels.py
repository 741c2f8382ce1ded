"""Decides each source-day's tool label over the rows of all its parts, with
the query the README gives ("The store": tool labels across parts), and
gives the per-part `tool` column beside it, as JSON:
{"labels": {"DAY SOURCE": label or null}, "per_part": {"DAY SOURCE PART": tool}}.
Usage: tool_labels.py STORE_DIR"""

import json
import sys

import duckdb

store = sys.argv[1]
con = duckdb.connect()
rows = f"read_parquet('{store}/sources/*/*.parquet', hive_partitioning = true, filename = true)"
labels = con.sql(f"""
    select day, source,
           case when bool_and(syn_all_mirai) then 'mirai'
                when bool_and(syn_all_masscan) then 'masscan'
                when bool_and(syn_all_zmap) then 'zmap' end as tool
    from {rows}
    group by sensor, day, source
""").fetchall()
parts = con.sql(f"select day, source, regexp_extract(filename, '-([^-]+)\\.parquet$', 1), tool from {rows}").fetchall()
print(json.dumps({
    "labels": {f"{day} {source}": tool for day, source, tool in labels},
    "per_part": {f"{day} {source} {part}": tool for day, source, part, tool in parts},
}))
