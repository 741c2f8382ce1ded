//! `darkscope report`: store → period statistics → rankings → Markdown,
//! HTML, JSON or CSV.

use std::io::Write;

use anyhow::Context;

use super::{Failure, ReportArgs};
use crate::report::{ReportOptions, build, render_html, render_markdown};

pub fn run(args: ReportArgs) -> Result<(), Failure> {
    if !args.store.join(crate::store::MANIFEST).is_file() {
        return Err(Failure::Usage(format!(
            "--store {}: no darkscope store there (no {}); write one with `darkscope replay INPUT --store DIR`",
            args.store.display(),
            crate::store::MANIFEST
        )));
    }
    if args.format == "csv" && args.out.is_none() {
        return Err(Failure::Usage("--format csv writes one file per table: give the folder with --out DIR".into()));
    }
    let options = ReportOptions {
        period: args.period,
        baseline: args.baseline,
        top: args.top as usize,
        home_country: args.home_country.clone(),
        min_baseline: args.min_baseline,
        sensors: args.sensor.clone(),
    };
    let report = build(&args.store, &options)
        .with_context(|| format!("reading the store {}", args.store.display()))?
        .ok_or_else(|| Failure::Usage(format!("--store {}: it holds no days yet", args.store.display())))?;
    if let ("csv", Some(dir)) = (args.format.as_str(), &args.out) {
        crate::report::render::csv::write(dir, &report)
            .with_context(|| format!("writing the CSV report into {}", dir.display()))?;
        return Ok(());
    }
    let text = match args.format.as_str() {
        "json" => serde_json::to_string_pretty(&report).context("encoding the report")? + "\n",
        "html" => render_html(&report),
        _ => render_markdown(&report),
    };
    match &args.out {
        Some(path) => std::fs::write(path, text).with_context(|| format!("writing --out {}", path.display()))?,
        None => std::io::stdout().lock().write_all(text.as_bytes()).context("writing the report")?,
    }
    Ok(())
}
