"""The "Intrusion attempts" tables a report of a generated two-period store
must print, from the generator's truth alone (`generate --scenario
two-period --alerts`): per method and per country the alerts and distinct
sources of the baseline and the period; address-days from the truth's
covered seconds per day times the darknet's addresses (DESIGN.md); the
table's arithmetic is npa.py's. Beside them, the same counts read from the
store's `alerts` table with DuckDB.

usage: truth.py TRUTH_JSON STORE MIN TOP
prints {"address_days": [before, now], "attack_methods": [row],
"attack_countries": [row], "truth": {...}, "duckdb": {...}, "rates": {...}},
where truth and duckdb are {"before"|"now": {"methods"|"countries": {key:
[alerts, sources]}}} and rates {"before"|"now": {method: alerts per IP per
day}}
"""
import json
import os
import sys

import duckdb

sys.path.insert(0, os.path.dirname(__file__))
from npa import table  # noqa: E402

truth_path, store, least, top = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
truth = json.load(open(truth_path))
before, now = truth["alerts"]["periods"]
addresses = 2 ** (32 - int(truth["config"]["darknet"].split("/")[1]))


def address_days(period):
    return sum(d["covered_seconds"] / 86400 * addresses
               for day, d in truth["by_day"].items() if period["from"] <= day <= period["to"])


def planted(period):
    return {kind: {k: [v["alerts"], v["sources"]] for k, v in period[kind].items()} for kind in ["methods", "countries"]}


def stored(period):
    con = duckdb.connect()
    rel = f"read_parquet('{store}/alerts/**/*.parquet', hive_partitioning = true)"
    where = f"where day between '{period['from']}' and '{period['to']}'"
    out = {}
    for kind, column in [("methods", "method"), ("countries", "country")]:
        rows = con.execute(f"select {column}, sum(alerts)::bigint, count(distinct source) from {rel} {where} group by 1")
        out[kind] = {k: [n, s] for k, n, s in rows.fetchall()}
    return out


ad_before, ad_now = address_days(before), address_days(now)
t_before, t_now = planted(before), planted(now)
print(json.dumps({
    "address_days": [ad_before, ad_now],
    "attack_methods": table(t_now["methods"], t_before["methods"], ad_now, ad_before, least, top),
    "attack_countries": table(t_now["countries"], t_before["countries"], ad_now, ad_before, least, top),
    "truth": {"before": t_before, "now": t_now},
    "rates": {"before": {m: v[0] / ad_before for m, v in t_before["methods"].items()},
              "now": {m: v[0] / ad_now for m, v in t_now["methods"].items()}},
    "duckdb": {"before": stored(before), "now": stored(now)},
}))
