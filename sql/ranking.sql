-- table: {table}
-- {about}
-- Rank by packets (ties by key), previous rank in the baseline's full
-- ranking, packets per IP per day now and before, the change when the
-- baseline had at least {min_baseline} packets, unique sources.
with ad as (
  select nullif(sum(case when in_now then address_days end), 0) as now_ad,
         nullif(sum(case when in_before then address_days end), 0) as before_ad
  from (
    select {now} as in_now, {before} as in_before,
           least(sum(seconds), 86400.0) / 86400.0 * max(cast(monitored as double)) as address_days
    from coverage where {scope}
    group by sensor, day
  ) per_sensor_day
),
keyed as (
  select {keys}, source, packets, {now} as in_now, {before} as in_before
  from {rows} where {scope}
),
now_keys as (
  select key_a, key_b, cast(sum(packets) as bigint) as packets, count(distinct source) as sources
  from keyed where in_now group by key_a, key_b
),
before_keys as (
  select key_a, key_b, cast(sum(packets) as bigint) as packets from keyed where in_before group by key_a, key_b
),
prev as (
  select key_a, key_b, packets, row_number() over (order by packets desc, key_a, key_b) as prev_rank
  from before_keys where packets > 0
),
ranked as (
  select key_a, key_b, packets, sources, row_number() over (order by packets desc, key_a, key_b) as rank
  from now_keys where packets > 0
)
select r.rank, p.prev_rank, {key} as key, r.packets,
       r.packets / ad.now_ad as per_ip_day,
       coalesce(p.packets, 0) / ad.before_ad as prev_per_ip_day,
       case when coalesce(p.packets, 0) >= {min_baseline}
            then (r.packets / ad.now_ad - p.packets / ad.before_ad) / (p.packets / ad.before_ad) * 100 end as change_pct,
       case when coalesce(p.packets, 0) >= {min_baseline}
            then r.packets / ad.now_ad - p.packets / ad.before_ad end as change_abs,
       r.sources
from ranked r cross join ad left join prev p on p.key_a = r.key_a and p.key_b = r.key_b
where r.rank <= {top}
order by r.rank;
