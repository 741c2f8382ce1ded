"""Runs the SQL `darkscope report --emit-sql ENGINE` printed on that engine:
DuckDB (the duckdb package) or Apache Spark in local mode (the pyspark
package, with the Debian Java runtime; both cores). The file's statements
before the first `-- table: NAME` line make the views; each such line
starts one query, whose rows are printed under NAME.

usage: sql.py duckdb|spark FILE
prints {NAME: [{column: value}]}
"""
import json
import os
import sys


def split(text):
    chunks = text.split("\n-- table: ")
    # The views: statements split at ';', comment lines left out.
    code = "\n".join(line for line in chunks[0].splitlines() if not line.lstrip().startswith("--"))
    views = [s.strip() for s in code.split(";") if s.strip()]
    queries = []
    for chunk in chunks[1:]:
        name, _, body = chunk.partition("\n")
        queries.append((name.strip(), body.strip().rstrip(";")))
    return views, queries


def plain(value):
    if value is None or isinstance(value, (int, float, str, bool)):
        return value
    return float(value)  # Decimal


engine, path = sys.argv[1], sys.argv[2]
views, queries = split(open(path).read())
out = {}
if engine == "duckdb":
    import duckdb
    con = duckdb.connect()
    for view in views:
        con.execute(view)
    for name, query in queries:
        cur = con.execute(query)
        columns = [d[0] for d in cur.description]
        out[name] = [dict(zip(columns, map(plain, row))) for row in cur.fetchall()]
else:
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[2]").appName("darkscope-sql")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4")
             .config("spark.driver.bindAddress", "127.0.0.1").config("spark.driver.host", "127.0.0.1")
             .getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    for view in views:
        spark.sql(view)
    for name, query in queries:
        out[name] = [{k: plain(v) for k, v in row.asDict().items()} for row in spark.sql(query).collect()]
    spark.stop()
print(json.dumps(out))
