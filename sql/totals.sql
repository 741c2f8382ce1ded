-- table: totals
-- The period's darknet packets, address-days (per sensor and day: covered
-- seconds of all its parts, at most a day, ÷ 86,400 × the monitored
-- addresses, summed) and unique sources, and the baseline's address-days.
with days as (
  select sensor, day,
         least(sum(seconds), 86400.0) / 86400.0 * max(cast(monitored as double)) as address_days,
         sum(packets) as packets
  from coverage where {scope}
  group by sensor, day
)
select
  (select cast(sum(packets) as bigint) from days where {now}) as packets,
  (select sum(address_days) from days where {now}) as address_days,
  (select sum(address_days) from days where {before}) as baseline_address_days,
  (select count(distinct source) from sources where {now} {sensors}) as unique_sources;
