"""The NPA's ranking table with the README's arithmetic, shared by the
report oracles: per IP per day over the given address-days; ranks by alerts
then key; change when the baseline had at least LEAST alerts; rise and fall
ranks among all keys by absolute change (ties in key order).

counts_now, counts_before: {key: [alerts, sources]}."""


def table(counts_now, counts_before, ad_now, ad_before, least, top):
    order = lambda counts: sorted((k for k, v in counts.items() if v[0] > 0), key=lambda k: (-counts[k][0], k))
    prev = {k: i + 1 for i, k in enumerate(order(counts_before))}
    changed = {}
    for key in sorted(set(counts_now) | set(counts_before)):
        n, b = counts_now.get(key, [0, 0])[0], counts_before.get(key, [0, 0])[0]
        if b >= max(least, 1):
            changed[key] = n / ad_now - b / ad_before
    rising = sorted((k for k in changed if changed[k] > 0), key=lambda k: -changed[k])
    falling = sorted((k for k in changed if changed[k] < 0), key=lambda k: changed[k])
    rows = []
    for i, key in enumerate(order(counts_now)[:top]):
        n, sources = counts_now[key]
        b = counts_before.get(key, [0, 0])[0]
        rows.append({"rank": i + 1, "prev_rank": prev.get(key), "key": key, "alerts": n, "per_ip_day": n / ad_now,
                     "prev_per_ip_day": b / ad_before, "change_abs": changed.get(key), "sources": sources,
                     "change_pct": changed[key] / (b / ad_before) * 100 if key in changed else None,
                     "rise_rank": rising.index(key) + 1 if key in rising else None,
                     "fall_rank": falling.index(key) + 1 if key in falling else None})
    return rows
