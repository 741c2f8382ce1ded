"""The report's "Intrusion attempts" tables of a two-period store, from the
README's arithmetic: methods from the raw alert files (methods.py's rule),
countries from the store's alerts table (DuckDB); per IP per day over the
address-days the report prints (its totals, checked elsewhere); the table's
arithmetic is npa.py's.

usage: report.py MAPPING DARKNET EXCLUDE STORE NOW_FROM..NOW_TO BASE_FROM..BASE_TO AD_NOW AD_BEFORE MIN TOP FILE...
prints {"attack_methods": [row], "attack_countries": [row]}
"""
import json
import os
import sys

import duckdb

sys.path.insert(0, os.path.dirname(__file__))
import methods  # noqa: E402
from npa import table  # noqa: E402

mapping, darknet, exclude, store, now, before, ad_now, ad_before, least, top = sys.argv[1:11]
files = sys.argv[11:]
now, before = now.split(".."), before.split("..")
ad_now, ad_before, least, top = float(ad_now), float(ad_before), int(least), int(top)


def by_country(days):
    sql = (f"select country, sum(alerts)::bigint, count(distinct source) from "
           f"read_parquet('{store}/alerts/**/*.parquet', hive_partitioning = true) "
           f"where day between '{days[0]}' and '{days[1]}' group by country")
    return {cc: [n, s] for cc, n, s in duckdb.connect().execute(sql).fetchall()}


per = lambda days: methods.count(mapping, darknet, exclude, files, days)["per_method"]
print(json.dumps({
    "attack_methods": table(per(now), per(before), ad_now, ad_before, least, top),
    "attack_countries": table(by_country(now), by_country(before), ad_now, ad_before, least, top),
}))
