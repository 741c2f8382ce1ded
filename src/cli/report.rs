//! `darkscope report`: store → period statistics → rankings → Markdown,
//! HTML, JSON or CSV.

use std::collections::BTreeSet;
use std::io::Write;

use anyhow::Context;

use super::{Failure, ReportArgs};
use crate::report::analysis::changes::{Alert, MIN_HISTORY_DAYS};
use crate::report::render::numbers::{grouped, rate};
use crate::report::sql::{Engine, SqlScope, emit};
use crate::report::{Period, ReportOptions, build, render_html, render_markdown};
use crate::store::read::files;
use crate::time::Day;

/// Writes the report; with `--alerts`, only what changed. Gives whether an
/// alert fired (`--alerts` only).
pub fn run(args: ReportArgs) -> Result<bool, Failure> {
    if !crate::store::is_store(&args.store) {
        return Err(Failure::Usage(format!(
            "--store {}: no darkscope store there (no {}); write one with `darkscope replay INPUT --store DIR`",
            args.store.display(),
            crate::store::ENTRIES
        )));
    }
    // A write killed after its commit point is finished first (it needs
    // write access; without it the report may count that write half done).
    if let Err(e) = crate::store::finish_interrupted(&args.store) {
        eprintln!("darkscope: warning: an interrupted write to the store could not be finished: {e}");
    }
    // The store's days are the days of the report.
    let offset = crate::store::Manifest::load(&args.store)
        .and_then(|manifest| manifest.day_offset(&args.store))
        .map_err(|e| Failure::store(e, format!("reading the store {}", args.store.display())))?;
    crate::time::set_day_offset(offset);
    if args.format == "csv" && args.out.is_none() {
        return Err(Failure::Usage("--format csv writes one file per table: give the folder with --out DIR".into()));
    }
    // Alerts are about the newest day unless a period is given.
    let period = match (args.period, args.alerts) {
        (None, true) => crate::report::analysis::stored_days(&args.store, &args.sensor)
            .with_context(|| format!("reading the store {}", args.store.display()))?
            .map(|days| Period { from: days.to, to: days.to }),
        (period, _) => period,
    };
    check_scope(&args, period)?;
    let options = ReportOptions {
        period,
        baseline: args.baseline,
        top: args.top as usize,
        home_country: args.home_country.clone(),
        min_baseline: args.min_baseline,
        sensors: args.sensor.clone(),
        changes: true,
    };
    if let Some(engine) = &args.emit_sql {
        return emit_sql(&args, engine, &options);
    }
    let report = build(&args.store, &options)
        .with_context(|| format!("reading the store {}", args.store.display()))?
        .ok_or_else(|| Failure::Usage(format!("--store {}: it holds no days yet", args.store.display())))?;
    if args.alerts {
        let changes = report.changes.as_ref().expect("asked for");
        if changes.history_days < MIN_HISTORY_DAYS {
            eprintln!(
                "darkscope: warning: --alerts: the store holds {} covered day(s) in the 28 before the period \
                 ({}..{}), fewer than {MIN_HISTORY_DAYS}: nothing is judged",
                changes.history_days, changes.history.from, changes.history.to
            );
        }
        let text = match args.format.as_str() {
            "json" => serde_json::to_string_pretty(changes).context("encoding the alerts")? + "\n",
            _ => changes.alerts.iter().map(|a| alert_line(a, changes.history_days) + "\n").collect(),
        };
        write(&args, &text)?;
        return Ok(!changes.alerts.is_empty());
    }
    if let ("csv", Some(dir)) = (args.format.as_str(), &args.out) {
        crate::report::render::csv::write(dir, &report)
            .with_context(|| format!("writing the CSV report into {}", dir.display()))?;
        return Ok(false);
    }
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&report).context("encoding the report")? + "\n",
        "html" => render_html(&report),
        _ => render_markdown(&report),
    };
    write(&args, &text)?;
    Ok(false)
}

/// `--emit-sql ENGINE`: the SQL of the report's core tables, over the
/// store's absolute path.
fn emit_sql(args: &ReportArgs, engine: &str, options: &ReportOptions) -> Result<bool, Failure> {
    let engine = Engine::named(engine).ok_or_else(|| Failure::Usage(format!("--emit-sql {engine}: no such engine")))?;
    let (period, baseline) = crate::report::analysis::periods(&args.store, options)
        .with_context(|| format!("reading the store {}", args.store.display()))?
        .ok_or_else(|| Failure::Usage(format!("--store {}: it holds no days yet", args.store.display())))?;
    let store = std::fs::canonicalize(&args.store).with_context(|| format!("reading {}", args.store.display()))?;
    let scope = SqlScope {
        store: &store,
        period,
        baseline,
        top: options.top,
        min_baseline: options.min_baseline,
        sensors: &options.sensors,
    };
    write(args, &emit(engine, &scope))?;
    Ok(false)
}

/// Refuses a `--sensor`, `--period` or `--baseline` the store holds
/// nothing of (bad usage: exit 2), saying what it does hold; an empty
/// store too.
fn check_scope(args: &ReportArgs, period: Option<Period>) -> Result<(), Failure> {
    let store = args.store.display();
    let all = files(&args.store, "coverage", Day(i32::MIN), Day(i32::MAX), &[])
        .with_context(|| format!("reading the store {store}"))?;
    if all.is_empty() {
        return Err(Failure::Usage(format!(
            "--store {store}: it holds no days yet; write some with `darkscope replay INPUT --store {store}`"
        )));
    }
    let sensors: BTreeSet<&str> = all.iter().map(|f| f.sensor.as_str()).collect();
    let listed = || sensors.iter().copied().collect::<Vec<_>>().join(", ");
    if let Some(missing) = args.sensor.iter().find(|s| !sensors.contains(s.as_str())) {
        return Err(Failure::Usage(format!(
            "--sensor {missing}: the store {store} holds no sensor of that name; it holds {}",
            listed()
        )));
    }
    let days: BTreeSet<Day> =
        all.iter().filter(|f| args.sensor.is_empty() || args.sensor.contains(&f.sensor)).map(|f| f.day).collect();
    let asked = [("--period", period), ("--baseline", args.baseline)];
    for (flag, span) in asked.into_iter().filter_map(|(flag, p)| Some((flag, p?))) {
        if days.range(span.from..=span.to).next().is_none() {
            let whose = match args.sensor.as_slice() {
                [] => String::new(),
                names => format!(" for sensor {}", names.join(", ")),
            };
            return Err(Failure::Usage(format!(
                "{flag} {span}: the store {store} holds no day of it{whose}; it holds {}",
                day_ranges(&days)
            )));
        }
    }
    Ok(())
}

/// Days as runs: `2024-01-01..2024-01-07, 2024-02-01 (8 days)`, the first
/// six runs.
fn day_ranges(days: &BTreeSet<Day>) -> String {
    let mut runs: Vec<(Day, Day)> = Vec::new();
    for &day in days {
        match runs.last_mut() {
            Some((_, last)) if last.0 + 1 == day.0 => *last = day,
            _ => runs.push((day, day)),
        }
    }
    let shown: Vec<String> =
        runs.iter().take(6).map(|(a, b)| if a == b { a.to_string() } else { format!("{a}..{b}") }).collect();
    let more = if runs.len() > 6 { format!(", … ({} runs of days in all)", runs.len()) } else { String::new() };
    format!("{}{more} ({} days)", shown.join(", "), days.len())
}

/// One alert as a line of text.
fn alert_line(a: &Alert, history_days: usize) -> String {
    let head = format!(
        "{} {} {}: {} packets, {} per IP/day",
        a.kind,
        a.key,
        a.change,
        grouped(a.packets),
        rate(Some(a.per_ip_day))
    );
    match a.ratio {
        Some(ratio) => format!(
            "{head}, {ratio:.2}× the usual {} (score {:+.1} over {history_days} days)",
            rate(Some(a.usual_per_ip_day)),
            a.score
        ),
        None => format!("{head}, not seen on the {history_days} days before (score {:+.1})", a.score),
    }
}

fn write(args: &ReportArgs, text: &str) -> Result<(), Failure> {
    match &args.out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing --out {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("writing the report")?,
    }
    Ok(())
}
