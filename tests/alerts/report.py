"""The report's "Intrusion attempts" tables of a two-period store, from the
README's arithmetic: methods from the raw alert files (methods.py's rule),
countries from the store's alerts table (DuckDB); per IP per day over the
address-days the report prints (its totals, checked elsewhere); ranks by
alerts then key; change when the baseline had at least MIN alerts; rise and
fall ranks among all keys by absolute change (ties in key order).

usage: report.py MAPPING DARKNET EXCLUDE STORE NOW_FROM..NOW_TO BASE_FROM..BASE_TO AD_NOW AD_BEFORE MIN TOP FILE...
prints {"attack_methods": [row], "attack_countries": [row]}
"""
import json
import os
import sys

import duckdb

sys.path.insert(0, os.path.dirname(__file__))
import methods  # noqa: E402

mapping, darknet, exclude, store, now, before, ad_now, ad_before, least, top = sys.argv[1:11]
files = sys.argv[11:]
now, before = now.split(".."), before.split("..")
ad_now, ad_before, least, top = float(ad_now), float(ad_before), int(least), int(top)


def table(counts_now, counts_before):
    order = lambda counts: sorted((k for k, v in counts.items() if v[0] > 0), key=lambda k: (-counts[k][0], k))
    prev = {k: i + 1 for i, k in enumerate(order(counts_before))}
    rows, changed = [], {}
    for key in sorted(set(counts_now) | set(counts_before)):
        n, b = counts_now.get(key, [0, 0])[0], counts_before.get(key, [0, 0])[0]
        if b >= max(least, 1):
            changed[key] = n / ad_now - b / ad_before
    rising = sorted((k for k in changed if changed[k] > 0), key=lambda k: -changed[k])
    falling = sorted((k for k in changed if changed[k] < 0), key=lambda k: changed[k])
    for i, key in enumerate(order(counts_now)[:top]):
        n, sources = counts_now[key]
        b = counts_before.get(key, [0, 0])[0]
        row = {"rank": i + 1, "prev_rank": prev.get(key), "key": key, "alerts": n, "per_ip_day": n / ad_now,
               "prev_per_ip_day": b / ad_before, "change_abs": changed.get(key), "sources": sources,
               "change_pct": changed[key] / (b / ad_before) * 100 if key in changed else None,
               "rise_rank": rising.index(key) + 1 if key in rising else None,
               "fall_rank": falling.index(key) + 1 if key in falling else None}
        rows.append(row)
    return rows


def by_country(days):
    sql = (f"select country, sum(alerts)::bigint, count(distinct source) from "
           f"read_parquet('{store}/alerts/**/*.parquet', hive_partitioning = true) "
           f"where day between '{days[0]}' and '{days[1]}' group by country")
    return {cc: [n, s] for cc, n, s in duckdb.connect().execute(sql).fetchall()}


per = lambda days: methods.count(mapping, darknet, exclude, files, days)["per_method"]
print(json.dumps({
    "attack_methods": table(per(now), per(before)),
    "attack_countries": table(by_country(now), by_country(before)),
}))
