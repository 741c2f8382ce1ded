-- The store's tables as DuckDB views, each row with `part`: its file's
-- name (<sensor>-<part>.parquet), which the (source, port) rows share with
-- their sources rows. `day` is the Hive partition (a DATE).
create or replace temporary view coverage as
  select *, regexp_extract(filename, '[^/]+$') as part
  from read_parquet('{store}/coverage/*/*.parquet', hive_partitioning = true, filename = true);
create or replace temporary view sources as
  select *, regexp_extract(filename, '[^/]+$') as part
  from read_parquet('{store}/sources/*/*.parquet', hive_partitioning = true, filename = true);
create or replace temporary view source_ports as
  select *, regexp_extract(filename, '[^/]+$') as part
  from read_parquet('{store}/source_ports/*/*.parquet', hive_partitioning = true, filename = true);
