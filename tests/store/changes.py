"""An independent reading of README "What changed" with DuckDB: for the
one-day period DAY, each port's and country's daily rate over the 28 days
before it, ln((packets + 1) / address-days), its median and 1.4826 x MAD
(at least 0.15), the period's robust score, and the alerts (score >= 4 with
>= 100 packets: surge, or new when no history day had the key; <= -4 with
a usual level of >= 100 packets: drop). Prints JSON: the alerts (kind,
key, change, packets, score) and the largest |score| of a key that has
>= 100 packets without alerting. Usage: changes.py STORE_DIR DAY"""

import datetime
import json
import math
import statistics
import sys

import duckdb

store, day = sys.argv[1], datetime.date.fromisoformat(sys.argv[2])
con = duckdb.connect()


def table(name):
    return f"read_parquet('{store}/{name}/**/*.parquet', hive_partitioning = true)"


first = day - datetime.timedelta(days=28)
# Address-days per day: covered seconds (at most a day) x monitored, per sensor.
address_days = dict(con.execute(
    f"select day, sum(least(s, 86400) / 86400 * m) from (select day, sensor, sum(seconds) s, max(monitored) m "
    f"from {table('coverage')} group by day, sensor) group by day").fetchall())
history = [d for d in sorted(address_days) if first <= d < day and address_days[d] > 0]

ports = con.execute(f"select day, proto || '/' || port, sum(packets) from {table('ports_hourly')} "
                    f"group by all").fetchall()
countries = con.execute(f"select day, country, sum(packets) from {table('sources')} group by all").fetchall()


def judge(kind, rows):
    daily = {}
    for d, key, n in rows:
        daily.setdefault(key, {})[d] = n
    alerts, quiet = [], 0.0
    for key, by_day in daily.items():
        logs = [math.log((by_day.get(d, 0) + 1) / address_days[d]) for d in history]
        usual = statistics.median(logs)
        spread = max(1.4826 * statistics.median([abs(x - usual) for x in logs]), 0.15)
        packets = by_day.get(day, 0)
        score = (math.log((packets + 1) / address_days[day]) - usual) / spread
        seen = any(by_day.get(d, 0) > 0 for d in history)
        if score >= 4 and packets >= 100:
            alerts.append({"kind": kind, "key": key, "change": "surge" if seen else "new", "packets": packets,
                           "score": score})
        elif score <= -4 and math.exp(usual) * address_days[day] >= 100:
            alerts.append({"kind": kind, "key": key, "change": "drop", "packets": packets, "score": score})
        elif packets >= 100:
            quiet = max(quiet, abs(score))
    return alerts, quiet


port_alerts, port_quiet = judge("port", ports)
country_alerts, country_quiet = judge("country", countries)
print(json.dumps({"history_days": len(history), "alerts": port_alerts + country_alerts,
                  "largest_quiet_score": max(port_quiet, country_quiet)}))
