//! `darkscope report --emit-sql ENGINE`: the report's core tables as SQL
//! that DuckDB (one host) and Apache Spark SQL (a cluster) run over the
//! store's Parquet files, for stores one machine's report cannot finish.
//!
//! The queries are the repository's `sql/` files, filled in here: the
//! engine's views of the store (`duckdb.sql` or `spark.sql`: each table
//! with its rows' part, so a (source, port) row joins its source's row of
//! the same part), then `totals.sql` and `ranking.sql` four times (ports,
//! countries, and both without the research scanners' sources). The
//! queries are the same for both engines; only the views differ. Each
//! result set is introduced by a `-- table: NAME` line, named as the JSON
//! report's table, with the same columns.

use std::path::Path;

use super::Period;

const DUCKDB: &str = include_str!("../../sql/duckdb.sql");
const SPARK: &str = include_str!("../../sql/spark.sql");
const TOTALS: &str = include_str!("../../sql/totals.sql");
const RANKING: &str = include_str!("../../sql/ranking.sql");

/// The engines the SQL is written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    DuckDb,
    Spark,
}

impl Engine {
    pub fn named(name: &str) -> Option<Engine> {
        match name {
            "duckdb" => Some(Engine::DuckDb),
            "spark" => Some(Engine::Spark),
            _ => None,
        }
    }
}

/// What the SQL covers (the report's options, periods resolved).
pub struct SqlScope<'a> {
    pub store: &'a Path,
    pub period: Period,
    pub baseline: Option<Period>,
    pub top: usize,
    pub min_baseline: u64,
    pub sensors: &'a [String],
}

/// A string literal.
fn quoted(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn within(p: Period) -> String {
    format!("day between date '{}' and date '{}'", p.from, p.to)
}

/// The four rankings: (table, what it ranks, key columns, rows, key text).
const RANKINGS: [(&str, &str, &str, &str, &str); 4] = [
    (
        "ports",
        "Destination ports (protocol/port), from source_ports.",
        "proto as key_a, port as key_b",
        "source_ports",
        "r.key_a || '/' || cast(r.key_b as string)",
    ),
    ("countries", "Source countries, from sources.", "country as key_a, 0 as key_b", "sources", "r.key_a"),
    (
        "ports_no_scanners",
        "Destination ports without the sources the research-scanner list tags (their part's sources row).",
        "proto as key_a, port as key_b",
        "(select p.sensor, p.day, p.source, p.proto, p.port, p.packets from source_ports p \
         join sources s on p.day = s.day and p.part = s.part and p.source = s.source \
         where s.scanner is null) untagged",
        "r.key_a || '/' || cast(r.key_b as string)",
    ),
    (
        "countries_no_scanners",
        "Source countries without the sources the research-scanner list tags.",
        "country as key_a, 0 as key_b",
        "(select * from sources where scanner is null) untagged",
        "r.key_a",
    ),
];

/// The SQL of `scope` for `engine`.
pub fn emit(engine: Engine, scope: &SqlScope<'_>) -> String {
    let store = scope.store.to_string_lossy();
    let store = store.trim_end_matches('/').replace('\'', "''");
    let now = within(scope.period);
    let before = scope.baseline.map_or_else(|| "false".to_string(), within);
    let sensors = match scope.sensors {
        [] => String::new(),
        names => format!("and sensor in ({})", names.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", ")),
    };
    let scope_text = format!("({now} or {before}) {sensors}");
    let fill = |template: &str| {
        template
            .replace("{scope}", &scope_text)
            .replace("{now}", &now)
            .replace("{before}", &before)
            .replace("{sensors}", &sensors)
            .replace("{top}", &scope.top.to_string())
            .replace("{min_baseline}", &scope.min_baseline.max(1).to_string())
    };
    let views = match engine {
        Engine::DuckDb => DUCKDB,
        Engine::Spark => SPARK,
    };
    let mut out = format!(
        "-- darkscope {} report SQL for {}: period {}..{}, baseline {}\n",
        env!("CARGO_PKG_VERSION"),
        match engine {
            Engine::DuckDb => "DuckDB",
            Engine::Spark => "Spark SQL",
        },
        scope.period.from,
        scope.period.to,
        scope.baseline.map_or_else(|| "none".to_string(), |b| format!("{}..{}", b.from, b.to)),
    );
    out.push_str(&views.replace("{store}", &store));
    out.push('\n');
    out.push_str(&fill(TOTALS));
    for (table, about, keys, rows, key) in RANKINGS {
        let query = RANKING
            .replace("{table}", table)
            .replace("{about}", about)
            .replace("{keys}", keys)
            .replace("{rows}", rows)
            .replace("{key}", key);
        out.push('\n');
        out.push_str(&fill(&query));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Day;

    #[test]
    fn every_placeholder_is_filled_and_names_are_quoted() {
        let period =
            Period { from: Day::from_ymd(2024, 2, 1).expect("day"), to: Day::from_ymd(2024, 2, 29).expect("day") };
        let sensors = ["s1".to_string(), "o'k".to_string()];
        let scope = SqlScope {
            store: Path::new("/srv/st'ore/"),
            period,
            baseline: None,
            top: 10,
            min_baseline: 0,
            sensors: &sensors,
        };
        for engine in [Engine::DuckDb, Engine::Spark] {
            let sql = emit(engine, &scope);
            assert!(!sql.contains('{') && !sql.contains('}'), "{sql}");
            assert!(sql.contains("'/srv/st''ore/sources"), "{sql}");
            assert!(sql.contains("and sensor in ('s1', 'o''k')"));
            assert!(sql.contains("(day between date '2024-02-01' and date '2024-02-29' or false)"));
            assert!(sql.contains(">= 1\n"), "the change needs a baseline packet at least");
            let tables: Vec<&str> = sql.lines().filter_map(|l| l.strip_prefix("-- table: ")).collect();
            assert_eq!(tables, ["totals", "ports", "countries", "ports_no_scanners", "countries_no_scanners"]);
        }
    }
}
