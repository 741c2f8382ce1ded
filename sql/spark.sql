-- The store's tables as Spark SQL views, each row with `part`: its file's
-- name (<sensor>-<part>.parquet), which the (source, port) rows share with
-- their sources rows. `day` is the Hive partition (a DATE, by Spark's
-- partition discovery). Files whose names start with '.' (being written)
-- are skipped, as darkscope's report skips them.
-- The store's first_seen and last_seen are nanosecond timestamps, which
-- Spark reads only as numbers (no query here uses them).
set spark.sql.legacy.parquet.nanosAsLong = true;
create or replace temporary view coverage_files using parquet options (path '{store}/coverage');
create or replace temporary view coverage as
  select *, regexp_extract(input_file_name(), '[^/]+$', 0) as part from coverage_files;
create or replace temporary view sources_files using parquet options (path '{store}/sources');
create or replace temporary view sources as
  select *, regexp_extract(input_file_name(), '[^/]+$', 0) as part from sources_files;
create or replace temporary view source_ports_files using parquet options (path '{store}/source_ports');
create or replace temporary view source_ports as
  select *, regexp_extract(input_file_name(), '[^/]+$', 0) as part from source_ports_files;
